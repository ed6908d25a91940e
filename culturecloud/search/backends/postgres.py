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

from ..registry import Document, extra_facet_names
from ..segmentation import QueryTerm
from ..types import SearchRequest, Sort
from .base import (
    CANDIDATE_COLUMNS,
    COLUMNS,
    FACET_VALUES,
    Counted,
    Row,
    SqlBackend,
    prepare,
    region_facet_length,
)

MAX_POSITION = 16383

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


def tsquery_literal(terms: Sequence[QueryTerm], weights: str = "", operator: str = "&") -> str:
    """Every term must match: 'a' & ('b' | 'b1' & 'b2') (operator "|": any term);
    `weights` restricts the match to fields ("A": title)."""
    suffix = f":{weights}" if weights else ""
    parts = []
    for t in terms:
        word = _lexeme(t.word) + suffix
        if t.chars:
            chars = " & ".join(_lexeme(c) + suffix for c in t.chars)
            parts.append(f"({word} | {chars})")
        else:
            parts.append(word)
    return f" {operator} ".join(parts)


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

    def _inner(self, request: SearchRequest, *, with_tsv: bool) -> tuple[str, list[Any]]:
        """The bounded candidate scan: matches ∧ filters, in index order, LIMIT %s (last param
        still to append)."""
        where, params = self._filter_sql(request)
        if request.terms:
            where.insert(0, "d.tsv @@ %s::tsquery")
            params.insert(0, tsquery_literal(request.terms))
        order = (
            "d.published_at DESC, d.id DESC"
            if request.sort is Sort.NEWEST
            else "d.popularity DESC, d.id DESC"
        )
        where_sql = f"WHERE {' AND '.join(where)}" if where else ""
        columns = f"{CANDIDATE_COLUMNS}, d.published_at" + (", d.tsv" if with_tsv else "")
        sql = f"SELECT {columns} FROM search_searchdocument d {where_sql} ORDER BY {order} LIMIT %s"  # noqa: S608
        return sql, params

    def _tier(self, request: SearchRequest, alias: str) -> tuple[str, list[Any]]:
        if not (request.terms and request.sort is Sort.RELEVANCE):
            return "0", []
        sql = (
            f"4 * ({alias}.tsv @@ %s::tsquery)::int + 2 * ({alias}.tsv @@ %s::tsquery)::int "
            f"+ ({alias}.tsv @@ %s::tsquery)::int"
        )
        return sql, [
            tsquery_literal(request.terms, "A"),
            tsquery_literal(request.terms, "AB"),
            tsquery_literal(request.terms, "A", operator="|"),
        ]

    def _execute(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        with transaction.atomic(using=self.using), self.connection.cursor() as cursor:
            # JIT compiling a plan costs more than the whole bounded query
            cursor.execute("SET LOCAL jit = off")
            cursor.execute(sql, params)
            return cursor.fetchall()

    def _candidates(self, request: SearchRequest, limit: int) -> list[tuple[Any, ...]]:
        inner, params = self._inner(request, with_tsv=True)
        tier, tier_params = self._tier(request, "c")
        columns = CANDIDATE_COLUMNS.replace("d.", "c.")
        sql = f"SELECT {columns}, {tier} FROM ({inner}) c"  # noqa: S608
        return self._execute(sql, [*tier_params, *params, limit])

    def _count(self, request: SearchRequest) -> Counted:
        """Page, total and facets in one statement: the candidates are materialized once and
        aggregated in the database (the Python path of SqlBackend spent more time decoding
        1,000 rows than the database spent finding them)."""
        inner, params = self._inner(request, with_tsv=True)
        tier, tier_params = self._tier(request, "c")
        order = {
            Sort.RELEVANCE: "tier DESC, popularity DESC, id DESC",
            Sort.VIEWS: "popularity DESC, id DESC",
            Sort.NEWEST: "published_at DESC, id DESC",
        }[request.sort]
        cand_order = (
            "published_at DESC, id DESC"
            if request.sort is Sort.NEWEST
            else ("popularity DESC, id DESC")
        )
        sql_params: list[Any] = [*tier_params, *params, request.candidates + 1]
        head = (
            "WITH c AS MATERIALIZED ("  # noqa: S608
            f"SELECT c.id, c.doc_type, c.institution_id, c.region_code, c.category, c.kind, "
            f"c.language, c.year, c.facets, c.popularity, c.published_at, {tier} AS tier, "
            f"row_number() OVER (ORDER BY {cand_order}) AS rn FROM ({inner}) c), "
            "k AS (SELECT * FROM c WHERE rn <= %s) "
        )
        sql_params.append(request.candidates)
        branches = [
            "(SELECT 'n', NULL, count(*), 0 FROM c)",
            # (ORDER BY the ordinal: "id" here would be the text output column)
            f"(SELECT 'p', k.id::text, k.tier, row_number() OVER (ORDER BY {order}) AS o "  # noqa: S608
            "FROM k ORDER BY o LIMIT %s OFFSET %s)",
        ]
        sql_params += [request.page_size, (request.page - 1) * request.page_size]
        if request.facets:
            length = region_facet_length(request.filters.region_prefix)
            typed = [
                ("doc_type", "doc_type", "doc_type <> ''"),
                ("institution", "institution_id::text", "institution_id IS NOT NULL"),
                ("category", "category", "category <> ''"),
                ("kind", "kind", "kind <> ''"),
                ("year", "year::text", "year IS NOT NULL"),
                ("language", "language", "language <> ''"),
            ]
            if length:
                typed.append(("region", f"substr(region_code, 1, {length})", "region_code <> ''"))
            for name, expr, cond in typed:
                branches.append(
                    f"(SELECT '{name}', {expr}, count(*), 0 FROM k WHERE {cond} "  # noqa: S608
                    f"GROUP BY 2 ORDER BY 3 DESC, 2 LIMIT {FACET_VALUES})"
                )
            for name in extra_facet_names():
                branches.append(
                    "(SELECT %s, v, count(*), 0 FROM k, jsonb_array_elements_text("  # noqa: S608
                    "CASE WHEN jsonb_typeof(k.facets -> %s) = 'array' THEN k.facets -> %s "
                    "ELSE '[]'::jsonb END) v "
                    f"GROUP BY 2 ORDER BY 3 DESC, 2 LIMIT {FACET_VALUES})"
                )
                sql_params += [name, name, name]
        sql = head + " UNION ALL ".join(branches)
        rows = self._execute(sql, sql_params)
        found = 0
        page: list[tuple[int, int, float]] = []
        facets: dict[str, list[tuple[str, int]]] = {}
        for section, value, n, ordinal in rows:
            if section == "n":
                found = n
            elif section == "p":
                page.append((ordinal, int(value), float(n)))
            else:
                facets.setdefault(section, []).append((value, n))
        page.sort()
        return Counted(
            page=[(doc_id, score) for _ordinal, doc_id, score in page],
            total=min(found, request.candidates),
            capped=found > request.candidates,
            facets=facets,
        )
