"""SQLite (the embedded default): the FTS5 table `search_fts` beside the documents table.

`search_fts` (created by migration 0002) holds each document's terms, space separated, in
three columns (title, subject, body) under rowid = SearchDocument.id; FTS5's unicode61
tokenizer only splits them at the spaces again. A trigger deletes the FTS row with the
document. Relevance: title hits, then subject hits, then the rest, each by views (`SqlBackend`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..registry import Document
from ..segmentation import QueryTerm
from ..types import SearchRequest, Sort
from .base import C_ID, CANDIDATE_COLUMNS, COLUMNS, SqlBackend, prepare


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def fts_query(terms: Sequence[QueryTerm], operator: str = "AND") -> str:
    """Every term must match ("OR": any term): "a" AND ("b" OR ("b1" AND "b2"))."""
    parts = []
    for t in terms:
        if t.chars:
            chars = " AND ".join(_phrase(c) for c in t.chars)
            parts.append(f"({_phrase(t.word)} OR ({chars}))")
        else:
            parts.append(_phrase(t.word))
    return f" {operator} ".join(parts)


class SqliteFtsBackend(SqlBackend):
    name = "sqlite"

    def index(self, documents: Sequence[Document]) -> int:
        if not documents:
            return 0
        now = timezone.now()
        placeholders = ", ".join(["%s"] * len(COLUMNS))
        updates = ", ".join(
            f"{col} = excluded.{col}" for col in COLUMNS if col not in ("doc_type", "object_id")
        )
        upsert = (
            f"INSERT INTO search_searchdocument ({', '.join(COLUMNS)}) VALUES ({placeholders}) "  # noqa: S608
            f"ON CONFLICT (doc_type, object_id) DO UPDATE SET {updates} RETURNING id"
        )
        with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            for doc in documents:
                row = prepare(doc, now)
                values = [
                    json.dumps(row.values[c], ensure_ascii=False)
                    if c == "facets"
                    else row.values[c]
                    for c in COLUMNS
                ]
                cursor.execute(upsert, values)
                (doc_id,) = cursor.fetchone()
                cursor.execute("DELETE FROM search_fts WHERE rowid = %s", [doc_id])
                cursor.execute(
                    "INSERT INTO search_fts (rowid, title, subject, body) VALUES (%s, %s, %s, %s)",
                    [
                        doc_id,
                        " ".join(row.title_terms),
                        " ".join(row.subject_terms),
                        " ".join(row.body_terms),
                    ],
                )
        return len(documents)

    def _extra_facet_sql(self, name: str, value: str) -> tuple[str, list[Any]]:
        return (
            "EXISTS (SELECT 1 FROM json_each(d.facets, %s) WHERE json_each.value = %s)",
            [f"$.{name}", value],
        )

    def _candidates(self, request: SearchRequest, limit: int) -> list[tuple[Any, ...]]:
        where, params = self._filter_sql(request)
        order = (
            "d.published_at DESC, d.id DESC"
            if request.sort is Sort.NEWEST
            else "d.popularity DESC, d.id DESC"
        )
        source = "search_searchdocument d"
        if request.terms:
            where.insert(0, "search_fts MATCH %s")
            params.insert(0, fts_query(request.terms))
            source = "search_fts JOIN search_searchdocument d ON d.id = search_fts.rowid"
        sql = (
            f"SELECT {CANDIDATE_COLUMNS} FROM {source} "  # noqa: S608
            f"{'WHERE ' + ' AND '.join(where) if where else ''} ORDER BY {order} LIMIT %s"
        )
        params.append(limit)
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            if not (request.terms and request.sort is Sort.RELEVANCE and rows):
                return [(*r, 0) for r in rows]
            ids = [r[C_ID] for r in rows]
            all_title = self._matching(cursor, "{title}", fts_query(request.terms), ids)
            all_ts = self._matching(cursor, "{title subject}", fts_query(request.terms), ids)
            any_title = self._matching(cursor, "{title}", fts_query(request.terms, "OR"), ids)
        return [
            (
                *r,
                4 * (r[C_ID] in all_title) + 2 * (r[C_ID] in all_ts) + (r[C_ID] in any_title),
            )
            for r in rows
        ]

    @staticmethod
    def _matching(cursor: Any, columns: str, query: str, ids: list[int]) -> set[int]:
        """Which of `ids` match `query` in `columns` ("{title}")."""
        found: set[int] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            cursor.execute(
                "SELECT rowid FROM search_fts WHERE search_fts MATCH %s "  # noqa: S608
                f"AND rowid IN ({', '.join(['%s'] * len(chunk))})",
                [f"{columns} : ({query})", *chunk],
            )
            found.update(r[0] for r in cursor.fetchall())
        return found
