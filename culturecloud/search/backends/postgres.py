"""PostgreSQL: terms in a `tsvector` (weights A title, B subject, C body) with a GIN index.

The vector is built here from rjieba's terms (not by to_tsvector), so documents and queries
are cut by the same code on both backends. One position per term and weight is kept:
ranking needs the weights, not every occurrence, and the vectors stay small.

Besides the words, each vector carries tokens that cannot come from text (they start
with "~"), so that filters and the candidate bound are answered inside the GIN index:
- filter tokens: ~t<type>, ~r<region prefix> (2, 4 and 6 digits), ~c<category>,
  ~k<kind>, ~l<language>, ~y<year>, ~f<facet>=<value>;
- popularity tiers: ~p8, ~p16, … ~p8192 on every document with at least that many views;
- the month and year of publication, ~m<YYYYMM> and ~Y<YYYY>.

A query never ranks every match. It wants the `candidates + 1` most viewed matches; it
asks first among the documents of the highest tier ("q & '~p8192'"), then the next, and
so on, in one statement (each tier is a CTE that runs only if the ones before it found too
few). A tier that answers with enough rows holds exactly the most viewed matches, so each
query reads about a thousand to a few thousand rows whether its words are in ten documents
or in half of them (BENCHMARKS.md: ranking all matches of a common word took 481 ms).
"Newest" does the same with the last 1, 2, 4, 8 months, then since 1 January of 1, 2, 4, 8
years ago (ORs of month and year tokens).
Only the candidates are then checked for title / subject hits, counted and faceted.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from functools import cached_property, lru_cache
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from ..registry import Document, extra_facet_names
from ..segmentation import CachedIndexTerms, QueryTerm
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


@lru_cache(maxsize=65536)  # terms repeat: quoting them again cost a third of indexing
def _lexeme(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(row: Row) -> str:
    """'term':position+weight for the first occurrence of each term in each field."""
    parts: list[str] = []
    position = 0
    for terms, weight in ((row.title_terms, "A"), (row.subject_terms, "B"), (row.body_terms, "C")):
        if not terms:
            continue
        # each term's first position (read backwards, the first occurrence is written last)
        first = dict(zip(reversed(terms), range(position + len(terms), position, -1), strict=True))
        parts += [
            f"{_lexeme(term)}:{min(first[term], MAX_POSITION)}{weight}"
            for term in dict.fromkeys(terms)
        ]
        position += len(terms)
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


# A document with at least this many views carries the token ~p<n>; queries ask the
# highest tier first. The ratio between tiers (×2) bounds the rows a query reads: the tier
# that answers holds at most about twice the rows it needs, the ones above it as many again.
POPULARITY_TIERS = (8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192)
POPULARITY_TOKENS = [f"~p{n}" for n in POPULARITY_TIERS]
# "Newest" asks the documents published in the last 1, 2, 4, 8 months first (every
# document carries the tokens ~m<YYYYMM> and ~y<YYYY> of its publication month and year),
# then since 1 January of 1, 2, 4, 8 years ago (a few year tokens), then everything.
NEWEST_MONTHS = (1, 2, 4, 8)
NEWEST_YEARS = (1, 2, 4, 8)
# A tier whose estimated matches (an upper bound, from the column statistics) are no more
# than `candidates` is not asked at all; the statistics are read every STATS_CACHE_SECONDS.
STATS_CACHE_SECONDS = 600


def popularity_tokens(popularity: int) -> list[str]:
    return [f"~p{n}" for n in POPULARITY_TIERS if popularity >= n]


def filter_tokens(values: dict[str, Any]) -> list[str]:
    """The filter tokens of a document's column values (see the module docstring)."""
    tokens = [f"~t{values['doc_type']}"]
    region = values["region_code"] or ""
    tokens += [f"~r{region[:n]}" for n in (2, 4, 6) if len(region) >= n]
    for prefix, column in (("~c", "category"), ("~k", "kind"), ("~l", "language")):
        if values[column]:
            tokens.append(prefix + values[column])
    if values["year"] is not None:
        tokens.append(f"~y{values['year']}")
    for name, facet_values in (values["facets"] or {}).items():
        tokens += [f"~f{name}={v}" for v in facet_values]
    return tokens


def publication_tokens(moment: dt.datetime) -> list[str]:
    local = timezone.localtime(moment)
    return [f"~m{local.year:04d}{local.month:02d}", f"~Y{local.year:04d}"]


def newest_tiers(now: dt.datetime | None = None) -> list[list[str]]:
    """The publication windows of "newest", the most recent first, as token lists (OR)."""
    local = timezone.localtime(now or timezone.now())
    tiers = [recent_month_tokens(n, local) for n in NEWEST_MONTHS]
    tiers += [[f"~Y{local.year - i:04d}" for i in range(n + 1)] for n in NEWEST_YEARS]
    return tiers


def recent_month_tokens(months: int, now: dt.datetime | None = None) -> list[str]:
    """The month tokens of the last `months` months, this one included."""
    local = timezone.localtime(now or timezone.now())
    index = local.year * 12 + local.month - 1
    return [f"~m{(index - i) // 12:04d}{(index - i) % 12 + 1:02d}" for i in range(months)]


def vector_literal(row: Row) -> str:
    """The document's whole vector: words with weights, then filter and tier tokens."""
    tokens = filter_tokens(row.values) + popularity_tokens(row.values["popularity"])
    tokens += publication_tokens(row.values["published_at"])
    return " ".join([tsvector_literal(row), *(_lexeme(t) for t in dict.fromkeys(tokens))])


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
        arrays.append([vector_literal(r) for r in rows.values()])
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

    def index_new(self, documents: Sequence[Document]) -> int:
        """One COPY: no ON CONFLICT (a document that is indexed already makes it fail), and
        the server reads each vector's text once, with no array of literals to cast; the
        segmentation of repeated pieces of text is remembered across calls."""
        if not documents:
            return 0
        now = timezone.now()
        rows: dict[tuple[str, str], Row] = {}
        for doc in documents:
            row = prepare(doc, now, self._bulk_terms)
            rows[(row.values["doc_type"], row.values["object_id"])] = row
        sql = f"COPY search_searchdocument ({', '.join([*COLUMNS, 'tsv'])}) FROM STDIN"
        facets = COLUMNS.index("facets")
        with self.connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows.values():
                values = [row.values[col] for col in COLUMNS]
                values[facets] = json.dumps(values[facets], ensure_ascii=False)
                values.append(vector_literal(row))
                copy.write_row(values)
        return len(rows)

    @cached_property
    def _bulk_terms(self) -> CachedIndexTerms:
        return CachedIndexTerms()

    def set_popularity(self, doc_type: str, object_id: str | int, popularity: int) -> None:
        """Change the views and the document's tier tokens."""
        tokens = " ".join(_lexeme(t) for t in popularity_tokens(popularity))
        with self.connection.cursor() as cursor:
            cursor.execute(
                "UPDATE search_searchdocument SET popularity = %s, "
                "tsv = ts_delete(tsv, %s::text[]) || %s::tsvector "
                "WHERE doc_type = %s AND object_id = %s",
                [popularity, POPULARITY_TOKENS, tokens, doc_type, str(object_id)],
            )

    def _extra_facet_sql(self, name: str, value: str) -> tuple[str, list[Any]]:
        return "d.facets @> %s::jsonb", [json.dumps({name: [value]}, ensure_ascii=False)]

    def _query_parts(
        self, request: SearchRequest
    ) -> tuple[str, list[str], list[Any], list[list[list[str]]]]:
        """(tsquery of words and filter tokens, other WHERE fragments, their params, and the
        tsquery's factors for estimates: each factor an OR of ANDs of lexemes)."""
        f = request.filters
        parts: list[str] = []
        factors: list[list[list[str]]] = []
        if request.terms:
            parts.append(f"({tsquery_literal(request.terms)})")
            factors += [[[t.word], list(t.chars)] if t.chars else [[t.word]] for t in request.terms]
        if request.doc_types:
            parts.append("(" + " | ".join(_lexeme(f"~t{t}") for t in request.doc_types) + ")")
            factors.append([[f"~t{t}"] for t in request.doc_types])
        where: list[str] = []
        params: list[Any] = []
        tokens: list[str] = []
        if f.region_prefix and len(f.region_prefix) in (2, 4, 6):
            tokens.append(f"~r{f.region_prefix}")
        elif f.region_prefix:
            where.append("d.region_code LIKE %s")
            params.append(f.region_prefix + "%")
        for prefix, value in (("~c", f.category), ("~k", f.kind), ("~l", f.language)):
            if value:
                tokens.append(prefix + value)
        if f.year_from is not None and f.year_from == f.year_to:
            tokens.append(f"~y{f.year_from}")
        else:
            if f.year_from is not None:
                where.append("d.year >= %s")
                params.append(f.year_from)
            if f.year_to is not None:
                where.append("d.year <= %s")
                params.append(f.year_to)
        tokens += [f"~f{name}={value}" for name, value in f.extra]
        parts += [_lexeme(t) for t in tokens]
        factors += [[[t]] for t in tokens]
        if f.institution_path:  # paths move with the tree: a column, not a token
            where.append("d.institution_path LIKE %s")
            params.append(f.institution_path + "%")
        return " & ".join(parts), where, params, factors

    def _frequencies(self) -> tuple[float, float, dict[str, float]] | None:
        """(rows, the lowest listed frequency, lexeme → share of rows) from the tsv column's
        statistics (ANALYZE), cached for STATS_CACHE_SECONDS; None without statistics."""
        key = f"search:pg:lexeme-frequencies:{self.using}"
        data = cache.get(key)
        if data is None:
            with self.connection.cursor() as cursor:
                cursor.execute(
                    "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, "
                    "c.reltuples FROM pg_stats s JOIN pg_class c "
                    "ON c.oid = 'search_searchdocument'::regclass "
                    "WHERE s.schemaname = current_schema() "
                    "AND s.tablename = 'search_searchdocument' AND s.attname = 'tsv'"
                )
                row = cursor.fetchone()
                if row is None or not row[0] or not row[2] or row[2] <= 0:
                    data = (0.0, 0.0, {})
                else:
                    elems, freqs, rows = row
                    # the frequencies of the elements, then the lowest and highest, then nulls
                    shares = {e: float(f) for e, f in zip(elems, freqs, strict=False)}
                    # the high popularity tiers are too rare to be listed: count them by the
                    # popularity index (each has fewer rows than the rarest listed lexeme)
                    for threshold, token in zip(POPULARITY_TIERS, POPULARITY_TOKENS, strict=True):
                        if token not in shares:
                            cursor.execute(
                                "SELECT count(*) FROM search_searchdocument WHERE popularity >= %s",
                                [threshold],
                            )
                            shares[token] = cursor.fetchone()[0] / float(rows)
                    data = (float(rows), float(freqs[len(elems)]), shares)
            cache.set(key, data, STATS_CACHE_SECONDS)
        return data if data[0] > 0 else None

    def _first_useful_tier(
        self, factors: list[list[list[str]]], tier_lexemes: list[list[str]], candidates: int
    ) -> int:
        """Index of the first tier that may hold more than `candidates` matches, by the
        statistics (a lexeme missing from them is rarer than the rarest listed one). A tier
        left out only costs rows, never results: every later tier holds it."""
        stats = self._frequencies()
        if stats is None or not factors:
            return 0
        rows, lowest, freq = stats

        def upper(lexeme: str) -> float:
            return float(freq.get(lexeme, lowest))

        shares = [
            min(1.0, sum(min(upper(lex) for lex in alternative) for alternative in factor))
            for factor in factors
        ]
        # All factors hold together at most as often as the rarest; as if independent, as
        # often as their product. Take twice the product, but at least an eighth of the rarest:
        # correlated words then make a tier start at most three steps too wide.
        product = 1.0
        for share in shares:
            product *= share
        joint = min(min(shares), max(2 * product, min(shares) / 8))
        for i, lexemes in enumerate(tier_lexemes):
            share = min(1.0, sum(upper(lex) for lex in lexemes))
            if rows * joint * share > candidates:
                return i
        return len(tier_lexemes)

    def _tiers(
        self, request: SearchRequest, query: str, factors: list[list[list[str]]]
    ) -> list[tuple[str, str, list[Any]]]:
        """(tsquery, extra condition, params) per tier, the narrowest first, the last one
        unbounded; tiers that cannot hold enough matches (by the statistics) left out."""
        if not query:
            return [("", "", [])]  # no words, no filter token: one walk down the index
        if request.sort is Sort.NEWEST:
            now = timezone.now()
            tier_lexemes = newest_tiers(now)
        else:
            tier_lexemes = [[token] for token in reversed(POPULARITY_TOKENS)]
        tiers: list[tuple[str, str, list[Any]]] = [
            (f"{query} & ({' | '.join(_lexeme(t) for t in lexemes)})", "", [])
            for lexemes in tier_lexemes
        ] + [(query, "", [])]
        return tiers[self._first_useful_tier(factors, tier_lexemes, request.candidates) :]

    def _inner(self, request: SearchRequest) -> tuple[str, list[Any], str, list[Any]]:
        """The bounded candidates: CTEs t0…tn (one per tier) and the UNION ALL that takes the
        first tier with more than `candidates` rows (or the last). Returns (WITH items, their
        params, the union, its params)."""
        query, where, params, factors = self._query_parts(request)
        order = (
            "d.published_at DESC, d.id DESC"
            if request.sort is Sort.NEWEST
            else "d.popularity DESC, d.id DESC"
        )
        # only the sort keys: the winners' other columns are read once, by id, afterwards
        columns = "d.id, d.popularity, d.published_at"
        ctes: list[str] = []
        cte_params: list[Any] = []
        tiers = self._tiers(request, query, factors)
        # Read the tiers through the GIN index (ORDER BY an expression, not the index): a walk
        # down the popularity index stops only after `candidates + 1` matches, and a tier that
        # has fewer would be walked to its very end (the 110 ms of BENCHMARKS.md). The last
        # tier runs only when the one before it held few matches, so it is read the same way,
        # unless a filter outside the vector (institution, years) may make a walk cheaper.
        gin_order = (
            "d.published_at + interval '0 seconds' DESC, d.id DESC"
            if request.sort is Sort.NEWEST
            else "d.popularity + 0 DESC, d.id DESC"
        )
        for i, (tsquery, condition, condition_params) in enumerate(tiers):
            conditions = list(where)
            values: list[Any] = []
            if tsquery:
                conditions.insert(0, "d.tsv @@ %s::tsquery")
                values.append(tsquery)
            values += params
            if condition:
                conditions.append(condition)
                values += condition_params
            where_sql = f"WHERE {' AND '.join(conditions)}" if conditions else ""
            free = not tsquery or (i == len(tiers) - 1 and where)
            ctes.append(
                f"t{i} AS MATERIALIZED (SELECT {columns} FROM search_searchdocument d "  # noqa: S608
                f"{where_sql} ORDER BY {order if free else gin_order} LIMIT %s)"
            )
            cte_params += [*values, request.candidates + 1]
        branches = []
        union_params: list[Any] = []
        for i in range(len(tiers)):
            # InitPlans run lazily: a tier is only read when every tier before it was short
            gates = [f"(SELECT count(*) FROM t{j}) <= %s" for j in range(i)]  # noqa: S608
            union_params += [request.candidates] * i
            if i < len(tiers) - 1:
                gates.append(f"(SELECT count(*) FROM t{i}) > %s")  # noqa: S608
                union_params.append(request.candidates)
            gate = f" WHERE {' AND '.join(gates)}" if gates else ""
            branches.append(f"SELECT * FROM t{i}{gate}")  # noqa: S608
        return ", ".join(ctes), cte_params, " UNION ALL ".join(branches), union_params

    def _tier(self, request: SearchRequest, alias: str) -> tuple[str, list[Any]]:
        """The relevance tier of a candidate (see SqlBackend._candidates)."""
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

    def _winners(self, request: SearchRequest) -> tuple[str, list[Any]]:
        """The candidates (tier rows) with their columns and relevance tier: one primary-key
        probe per candidate (LATERAL … OFFSET 0 keeps it a probe, not a merge with the whole
        table, and computes the tier before anything sorts the rows with their vectors)."""
        ctes, cte_params, union, union_params = self._inner(request)
        tier, tier_params = self._tier(request, "s")
        sql = (
            f"WITH {ctes}, w AS MATERIALIZED (SELECT s.id, s.doc_type, s.institution_id, "  # noqa: S608
            "s.region_code, s.category, s.kind, s.language, s.year, s.facets, u.popularity, "
            f"u.published_at, s.tier FROM ({union}) u CROSS JOIN LATERAL ("
            "SELECT s.id, s.doc_type, s.institution_id, s.region_code, s.category, s.kind, "
            f"s.language, s.year, s.facets, {tier} AS tier FROM search_searchdocument s "
            "WHERE s.id = u.id OFFSET 0) s)"
        )
        return sql, [*cte_params, *union_params, *tier_params]

    def _candidates(self, request: SearchRequest, limit: int) -> list[tuple[Any, ...]]:
        """The candidates as tuples (the Python path of SqlBackend; tests compare it with
        `_count`). `limit` is always `candidates + 1` here: the tiers are built for it."""
        winners, params = self._winners(request)
        order = (
            "published_at DESC, id DESC"
            if request.sort is Sort.NEWEST
            else "popularity DESC, id DESC"
        )
        columns = CANDIDATE_COLUMNS.replace("d.", "")
        sql = f"{winners} SELECT {columns}, tier FROM w ORDER BY {order}"  # noqa: S608
        return self._execute(sql, params)[:limit]

    def _count(self, request: SearchRequest) -> Counted:
        """Page, total and facets in one statement: the candidates are materialized once and
        aggregated in the database (the Python path of SqlBackend spent more time decoding
        1,000 rows than the database spent finding them)."""
        winners, sql_params = self._winners(request)
        order = {
            Sort.RELEVANCE: "tier DESC, popularity DESC, id DESC",
            Sort.VIEWS: "popularity DESC, id DESC",
            Sort.NEWEST: "published_at DESC, id DESC",
        }[request.sort]
        cand_order = (
            "published_at DESC, id DESC"
            if request.sort is Sort.NEWEST
            else "popularity DESC, id DESC"
        )
        head = (
            f"{winners}, c AS MATERIALIZED (SELECT w.*, "  # noqa: S608
            f"row_number() OVER (ORDER BY {cand_order}) AS rn FROM w), "
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
