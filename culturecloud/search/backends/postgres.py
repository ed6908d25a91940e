"""PostgreSQL: terms in a `tsvector` (weights A title, B subject, C body) with a GIN index.

The vector is built here from rjieba's terms (not by to_tsvector), so documents and queries
are cut by the same code on both backends; the 'simple' configuration only matters for
what the database parses by itself (nothing here). One position per term and weight is
kept: ranking needs the weights, not every occurrence, and the vectors stay small.

A query never ranks every match: the candidate scan takes the `candidates + 1` most viewed
(newest) matches in index order — the planner walks the popularity index and checks each
row against the vector for a common term, or reads the GIN index and sorts for a rare one
(the column's statistics target is raised so it can tell them apart) — and only those are
ranked (ts_rank) and checked for title / subject hits.
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
from .base import CANDIDATE_COLUMNS, COLUMNS, Row, SqlBackend, prepare

MAX_POSITION = 16383
RANK_WEIGHTS = "{0.05, 0.2, 0.5, 1.0}"  # D, C (body), B (subject), A (title)

COLUMN_TYPES = {
    "doc_type": "varchar",
    "object_id": "varchar",
    "title": "varchar",
    "subject": "varchar",
    "body": "text",
    "url": "varchar",
    "image": "varchar",
    "institution_id": "bigint",
    "institution_path": "varchar",
    "region_code": "varchar",
    "category": "varchar",
    "kind": "varchar",
    "language": "varchar",
    "year": "smallint",
    "facets": "jsonb",
    "published_at": "timestamptz",
    "popularity": "bigint",
    "indexed_at": "timestamptz",
}


def _lexeme(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(row: Row) -> str:
    """'term':position+weight for the first occurrence of each term in each field."""
    parts: list[str] = []
    seen: set[tuple[str, str]] = set()
    position = 0
    for terms, weight in ((row.title_terms, "A"), (row.subject_terms, "B"), (row.body_terms, "C")):
        for term in terms:
            position += 1
            if (term, weight) in seen:
                continue
            seen.add((term, weight))
            parts.append(f"{_lexeme(term)}:{min(position, MAX_POSITION)}{weight}")
    return " ".join(parts)


def tsquery_literal(terms: Sequence[QueryTerm], weights: str = "") -> str:
    """Every term must match: 'a' & ('b' | 'b1' & 'b2'); `weights` restricts to fields."""
    suffix = f":{weights}" if weights else ""
    parts = []
    for t in terms:
        word = _lexeme(t.word) + suffix
        if t.chars:
            chars = " & ".join(_lexeme(c) + suffix for c in t.chars)
            parts.append(f"({word} | {chars})")
        else:
            parts.append(word)
    return " & ".join(parts)


class PostgresBackend(SqlBackend):
    name = "postgresql"

    def index(self, documents: Sequence[Document]) -> int:
        if not documents:
            return 0
        now = timezone.now()
        rows: dict[tuple[str, str], Row] = {}
        for doc in documents:
            row = prepare(doc, now)
            rows[(row.values["doc_type"], row.values["object_id"])] = row
        columns = [*COLUMNS, "tsv"]
        arrays: list[list[Any]] = []
        for col in COLUMNS:
            if col == "facets":
                arrays.append(
                    [json.dumps(r.values[col], ensure_ascii=False) for r in rows.values()]
                )
            else:
                arrays.append([r.values[col] for r in rows.values()])
        arrays.append([tsvector_literal(r) for r in rows.values()])
        casts = [
            f"%s::text[]::{COLUMN_TYPES[col]}[]"
            if col == "facets"
            else f"%s::{COLUMN_TYPES[col]}[]"
            for col in COLUMNS
        ] + ["%s::text[]::tsvector[]"]
        updates = ", ".join(
            f"{col} = EXCLUDED.{col}" for col in columns if col not in ("doc_type", "object_id")
        )
        sql = (
            f"INSERT INTO search_searchdocument ({', '.join(columns)}) "  # noqa: S608
            f"SELECT * FROM unnest({', '.join(casts)}) "
            f"ON CONFLICT (doc_type, object_id) DO UPDATE SET {updates}"
        )
        with self.connection.cursor() as cursor:
            cursor.execute(sql, arrays)
        return len(rows)

    def _extra_facet_sql(self, name: str, value: str) -> tuple[str, list[Any]]:
        return "d.facets @> %s::jsonb", [json.dumps({name: [value]}, ensure_ascii=False)]

    def _candidates(self, request: SearchRequest, limit: int) -> list[tuple[Any, ...]]:
        where, params = self._filter_sql(request)
        query = tsquery_literal(request.terms) if request.terms else ""
        if query:
            where.insert(0, "d.tsv @@ %s::tsquery")
            params.insert(0, query)
        order = (
            "d.published_at DESC, d.id DESC"
            if request.sort is Sort.NEWEST
            else "d.popularity DESC, d.id DESC"
        )
        where_sql = f"WHERE {' AND '.join(where)}" if where else ""
        params.append(limit)
        if query and request.sort is Sort.RELEVANCE:
            # rank only the bounded candidates: the LIMIT sits in the subquery
            inner = (
                f"SELECT {CANDIDATE_COLUMNS}, d.tsv FROM search_searchdocument d {where_sql} "  # noqa: S608
                f"ORDER BY {order} LIMIT %s"
            )
            sql = (
                f"SELECT {CANDIDATE_COLUMNS.replace('d.', 'c.')}, ts_rank(%s, c.tsv, %s::tsquery), "  # noqa: S608
                "CASE WHEN c.tsv @@ %s::tsquery THEN 2 WHEN c.tsv @@ %s::tsquery THEN 1 ELSE 0 END "
                f"FROM ({inner}) c"
            )
            params = [
                RANK_WEIGHTS,
                query,
                tsquery_literal(request.terms, "A"),
                tsquery_literal(request.terms, "AB"),
                *params,
            ]
        else:
            sql = (
                f"SELECT {CANDIDATE_COLUMNS}, 0.0, 0 FROM search_searchdocument d {where_sql} "  # noqa: S608
                f"ORDER BY {order} LIMIT %s"
            )
        with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            # A plan that JIT-compiles costs more than the whole bounded query.
            cursor.execute("SET LOCAL jit = off")
            cursor.execute(sql, params)
            return cursor.fetchall()
