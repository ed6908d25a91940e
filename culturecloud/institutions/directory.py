"""Reads of the public directory: lists and name search whose cost does not grow with the
number of institutions (pages `/institutions/`, API `/api/v1/institutions`, `.../tree`,
`.../by-region/...`).

- Order: top of the tree first, then by name (depth, name, id), walked on the partial index
  `inst_public_order` and stopped after the page: never a sort of the whole table.
- Counts stop at RESULT_CAP: a longer list says "1000+" (`count_is_capped`), and pages go
  as far as the cap, like the site search; filters (region, kind) or a name narrow it. A
  tree level (the children of one node) is small and counted exactly.
- Name search (part of the name or short name, any case; or the exact code) on PostgreSQL:
  1. the first PREFIX_SCAN rows of the directory's order are tested in one index-only scan:
     enough for a common word (a kind such as 综合文化站 matches thousands), whose first
     RESULT_CAP matches are then exactly the ones shown;
  2. otherwise, when a sample of the table says the word is common (COMMON_MATCHES or more,
     such as 村综合性文化服务中心 in every village's name), the walk of the order goes on
     until RESULT_CAP + 1 matches;
  3. otherwise the GIN index of name bigrams (migration 0002) gives at most RESULT_CAP + 1
     candidates, tested against the name and sorted: a rare name costs what its matches
     cost. Beyond the cap, the matches after the scanned prefix come in index order, not
     strictly by name.
  SQLite (the embedded default, small networks) filters the table as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

from culturecloud.core.pagination import RESULT_CAP, CappedPage, capped_count

from .models import Institution, Region

PREFIX_SCAN = 10_000
# From this many matches (estimated on SAMPLE_ROWS rows) a walk of the order is cheaper
# than the bigram index, whose cost follows the number of candidates.
COMMON_MATCHES = 20_000
SAMPLE_ROWS = 5_000
ORDER = ("depth", "name", "pk")
_CODE_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# Must spell the expression of the index inst_name_grams (migration 0002) exactly.
GRAMS_MATCH = (
    "institutions_name_grams(upper("
    '"institutions_institution"."name" || \' \' || "institutions_institution"."short_name"'
    ")) @> institutions_query_grams(upper(%s))"
)


def with_relations(qs: QuerySet[Institution]) -> QuerySet[Institution]:
    """What a row of a list shows: its region, its parent, whether it has active children."""
    children = Institution.objects.filter(parent=OuterRef("pk"), is_active=True)
    return qs.select_related("region", "parent").annotate(has_kids=Exists(children))


def public_filtered(*, region: Region | None = None, kind: str = "") -> QuerySet[Institution]:
    qs = Institution.objects.filter(is_active=True)
    if region is not None:
        qs = qs.filter(region__code__startswith=region.code_prefix)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def _rows(ids: Sequence[int]) -> list[Institution]:
    """The page's institutions, in the order of `ids` (one query)."""
    if not ids:
        return []
    found = {i.pk: i for i in with_relations(Institution.objects.filter(pk__in=ids))}
    return [found[pk] for pk in ids if pk in found]


def _page_bounds(number: int, page_size: int, reachable: int) -> tuple[int, int]:
    start = (number - 1) * page_size
    return start, max(start, min(start + page_size, reachable))


def list_page(
    qs: QuerySet[Institution], *, number: int, page_size: int, capped: bool = True
) -> CappedPage:
    """A page of `qs` in the directory's order; count stops at RESULT_CAP if `capped`."""
    if capped:
        count, is_capped = capped_count(qs, RESULT_CAP)
    else:
        count, is_capped = qs.count(), False
    start, end = _page_bounds(number, page_size, count)
    items = list(with_relations(qs).order_by(*ORDER)[start:end]) if end > start else []
    return CappedPage(items, count, is_capped, number, page_size)


def search_page(qs: QuerySet[Institution], q: str, *, number: int, page_size: int) -> CappedPage:
    """A page of the institutions of `qs` whose name or short name contains `q` (any case)
    or whose code is `q`, in the directory's order."""
    ids, is_capped = matching_ids(qs, q)
    count = len(ids)
    start, end = _page_bounds(number, page_size, count)
    return CappedPage(_rows(ids[start:end]), count, is_capped, number, page_size)


def _name_match(q: str) -> Q:
    return Q(name__icontains=q) | Q(short_name__icontains=q)


def matching_ids(qs: QuerySet[Institution], q: str) -> tuple[list[int], bool]:
    """Up to RESULT_CAP primary keys of matches in the directory's order, and whether there
    are more."""
    code = q.lower() if _CODE_RE.match(q.lower()) else None
    if connections[qs.db].vendor != "postgresql":
        match = _name_match(q) | Q(code=code) if code else _name_match(q)
        ids = list(qs.filter(match).order_by(*ORDER).values_list("pk", flat=True)[: RESULT_CAP + 1])
        return ids[:RESULT_CAP], len(ids) > RESULT_CAP

    scanned, hits, common = _scan_prefix(qs, q, code)
    if len(hits) > RESULT_CAP:
        return hits[:RESULT_CAP], True
    if scanned < PREFIX_SCAN:  # the prefix was the whole list
        return hits, False
    if common:
        # Many matches, few near the top (village names…): the bigram index would hand
        # over most of the table, while the walk of the order soon meets enough of them.
        # strpos, not LIKE: the planner guesses LIKE '%…%' rare and would sort the table.
        contains = _contains_sql('"institutions_institution".', cased=q.upper() != q.lower())
        hit = RawSQL(contains, [q, q], BooleanField())  # noqa: S611 - q is a parameter
        match = Q(hit) | Q(code=code) if code else Q(hit)
        ids = list(qs.filter(match).order_by(*ORDER).values_list("pk", flat=True)[: RESULT_CAP + 1])
        return ids[:RESULT_CAP], len(ids) > RESULT_CAP
    candidates = _gram_candidates(qs, q)
    merged = list(hits)
    seen = set(hits)
    if code is not None:  # a code that the scanned prefix did not hold: next in line
        exact = qs.filter(code=code).values_list("pk", flat=True).first()
        if exact is not None and exact not in seen:
            merged.append(exact)
            seen.add(exact)
    merged.extend(pk for pk in candidates if pk not in seen)
    is_capped = len(candidates) > RESULT_CAP or len(merged) > RESULT_CAP
    return merged[:RESULT_CAP], is_capped


def _contains_sql(prefix: str, *, cased: bool = True) -> str:
    """SQL: the name or the short name contains the parameter (twice), in any case.
    Upper-casing costs more than the scan: leave it out when the query has no cased letter."""
    column = f"upper({prefix}{{0}})" if cased else f"{prefix}{{0}}"
    needle = "upper(%s)" if cased else "%s"
    return (
        "("
        + " OR ".join(f"strpos({column.format(c)}, {needle}) > 0" for c in ("name", "short_name"))
        + ")"
    )


def _scan_prefix(
    qs: QuerySet[Institution], q: str, code: str | None
) -> tuple[int, list[int], bool]:
    """Test the first PREFIX_SCAN rows of the order, in one statement: (rows scanned,
    matches in order, whether `q` looks common). Only when the prefix is not enough does
    the statement also count the matches in a sample of about SAMPLE_ROWS rows of the table
    (TABLESAMPLE: a fixed set of pages, so the answer is stable) to tell a common word,
    COMMON_MATCHES or more, from a rarer one."""
    prefix = qs.order_by(*ORDER).values("id", "name", "short_name", "code")[:PREFIX_SCAN]
    inner, params = prefix.query.sql_with_params()
    cased = q.upper() != q.lower()
    hit = _contains_sql("p.", cased=cased)
    args: list[Any] = [q, q]
    if code is not None:
        hit += " OR p.code = %s"
        args.append(code)
    contains = RawSQL(_contains_sql('"institutions_institution".', cased=cased), [q, q])  # noqa: S611
    sample = qs.filter(Q(ExpressionWrapper(contains, BooleanField()))).order_by().values("id")
    sql, sample_params = sample.query.sql_with_params()
    table = 'FROM "institutions_institution"'
    sampled = sql.replace(
        table,
        f"{table} TABLESAMPLE SYSTEM ((SELECT pct FROM c)) REPEATABLE (0)",  # noqa: S608
        1,
    )
    # The table's size from the planner's statistics (pg_class.reltuples) sets the share
    # to sample. A CASE branch not taken never runs its subquery (an InitPlan runs on
    # first use): the sample is read only when the prefix was not enough.
    sample_sql = (
        f"CASE WHEN s.n >= {PREFIX_SCAN} AND s.h <= {RESULT_CAP} "  # noqa: S608
        f"AND (SELECT total FROM c) >= {COMMON_MATCHES} "
        f"THEN (SELECT count(*) FROM ({sampled}) AS t) * 100.0 / (SELECT pct FROM c) END"
    )
    sql = (
        "WITH c AS (SELECT reltuples AS total, "  # noqa: S608
        f"least(100, {SAMPLE_ROWS} * 100.0 / greatest(reltuples, 1))::real AS pct "
        "FROM pg_class WHERE oid = 'institutions_institution'::regclass) "
        f"SELECT s.n, s.ids, {sample_sql} FROM ("
        "SELECT count(*) AS n, count(*) FILTER (WHERE m.hit) AS h, "
        f"(array_agg(m.id) FILTER (WHERE m.hit))[1:{RESULT_CAP + 1}] AS ids "
        f"FROM (SELECT p.id, ({hit}) AS hit FROM ({inner}) AS p) AS m) AS s"
    )
    with connections[qs.db].cursor() as cursor:
        cursor.execute(sql, [*sample_params, *args, *params])
        scanned, ids, estimate = cursor.fetchone()
    return int(scanned), list(ids or []), estimate is not None and estimate >= COMMON_MATCHES


def _gram_candidates(qs: QuerySet[Institution], q: str) -> list[int]:
    """Up to RESULT_CAP + 1 matches found through the bigram index, in the directory's order."""
    grams = RawSQL(GRAMS_MATCH, [q], output_field=BooleanField())  # noqa: S611 - q is a parameter
    inner = qs.filter(grams).filter(_name_match(q)).values("id", "depth", "name")
    sql, params = inner[: RESULT_CAP + 1].query.sql_with_params()
    # A LIMIT subquery is computed first, then sorted: never a walk of the whole order.
    with connections[qs.db].cursor() as cursor:
        cursor.execute(f"SELECT c.id FROM ({sql}) AS c ORDER BY c.depth, c.name, c.id", params)  # noqa: S608
        return [row[0] for row in cursor.fetchall()]


def find(
    *,
    q: str = "",
    region: Region | None = None,
    kind: str = "",
    number: int = 1,
    page_size: int = 20,
) -> CappedPage:
    """The directory's list or search: one page, count capped at RESULT_CAP."""
    qs = public_filtered(region=region, kind=kind)
    # No name holds a NUL character (PostgreSQL text cannot), and a query may not carry one.
    q = q.replace("\x00", "").strip()
    if q:
        return search_page(qs, q, number=number, page_size=page_size)
    return list_page(qs, number=number, page_size=page_size)


class Paged:
    """A directory page source for `DirectoryPagination`: `page(number, size)` gives the
    CappedPage, `to_item` the payload of one row."""

    def __init__(
        self, page: Callable[[int, int], CappedPage], to_item: Callable[[Any], Any]
    ) -> None:
        self.page = page
        self.to_item = to_item
