"""Public browsing of the library straight from the database: filters by category,
heritage category, kind, region (with its subtree), institution (with its subtree), year,
heritage project, tag and audience, with facet counts. Free text goes through the search
app (`search_resources`).

Cost does not grow with the library: the list walks an index in its order (migration
0003) and stops after the page; its count stops at core.pagination.RESULT_CAP ("1000+");
facets group at most FACET_SCAN rows. Query count of the browse page: the capped count,
the page (and its prefetches), the facets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from culturecloud.core.errors import ServiceError
from culturecloud.core.http import int_param
from culturecloud.institutions.models import Institution, Region
from culturecloud.search.query import search_for
from culturecloud.search.types import Results

from .models import ArtCategory, Audience, HeritageProject, IchCategory, Resource, ResourceKind
from .presentation import as_cards
from .searchdoc import DOC_TYPE
from .services import public_resources

SORTS = {
    "newest": ("-published_at", "-pk"),
    "views": ("-view_count", "-pk"),
    "year": ("-year", "-published_at", "-pk"),
}
FACET_LIMIT = 12
# The facets are counted over at most this many rows of a list (one bounded query); a
# longer list shows the values of its first FACET_SCAN rows without counts.
FACET_SCAN = 2_000


@dataclass
class BrowseFilters:
    category: str = ""
    ich_category: str = ""
    kind: str = ""
    region: Region | None = None
    institution: Institution | None = None
    year: int | None = None
    project: HeritageProject | None = None
    tag: str = ""
    audience: str = ""
    sort: str = "newest"

    def as_params(self) -> dict[str, str]:
        """The filters as query parameters (codes), for links."""
        params = {
            "category": self.category,
            "ich_category": self.ich_category,
            "kind": self.kind,
            "region": self.region.code if self.region else "",
            "institution": self.institution.code if self.institution else "",
            "year": str(self.year) if self.year is not None else "",
            "project": str(self.project.pk) if self.project else "",
            "tag": self.tag,
            "audience": self.audience,
        }
        return {k: v for k, v in params.items() if v}


def _invalid(field_name: str, message: str, code: str = "invalid_filter") -> ServiceError:
    return ServiceError(message, code=code, fields={field_name: [message]})


def parse_filters(params: Any) -> BrowseFilters:
    """Filters from request parameters (a QueryDict or a dict); ServiceError (400) for an
    unknown category, kind, region, institution or project."""

    def get(name: str) -> str:
        value = params.get(name, "") if params is not None else ""
        return str(value or "").strip()[:64]

    result = BrowseFilters()
    for name, choices, code in (
        ("category", ArtCategory, "unknown_category"),
        ("ich_category", IchCategory, "unknown_category"),
        ("kind", ResourceKind, "unknown_kind"),
        ("audience", Audience, "unknown_audience"),
    ):
        value = get(name)
        if value and value not in choices.values:
            raise _invalid(name, _("Unknown value “%(value)s”.") % {"value": value}, code)
        setattr(result, name, value)
    region = get("region")
    if region:
        result.region = Region.objects.filter(code=region).first()
        if result.region is None:
            raise _invalid("region", _("Unknown region."), "unknown_region")
    code = get("institution")
    if code:
        result.institution = Institution.objects.filter(code=code, is_active=True).first()
        if result.institution is None:
            raise _invalid("institution", _("Unknown institution."), "unknown_institution")
    year = get("year")
    if year:
        number = int_param(year, max_digits=4)
        if number is None or not 1 <= number <= 9999:
            raise _invalid("year", _("Give a year such as 2024."))
        result.year = number
    project = get("project")
    if project:
        project_id = int_param(project)
        result.project = (
            HeritageProject.objects.filter(pk=project_id).first() if project_id else None
        )
        if result.project is None:
            raise _invalid("project", _("Unknown heritage project."), "unknown_heritage_project")
    result.tag = get("tag")[:30]
    sort = get("sort") or "newest"
    if sort not in SORTS:
        raise _invalid("sort", _("Unknown sort order."))
    result.sort = sort
    return result


def filtered(filters: BrowseFilters, base: QuerySet[Resource] | None = None) -> QuerySet[Resource]:
    qs = public_resources() if base is None else base
    for name in ("category", "ich_category", "kind", "audience"):
        value = getattr(filters, name)
        if value:
            qs = qs.filter(**{name: value})
    if filters.region is not None:
        qs = qs.filter(region__code__startswith=filters.region.code_prefix)
    if filters.institution is not None:
        qs = qs.filter(institution_path__startswith=filters.institution.path)
    if filters.year is not None:
        qs = qs.filter(year=filters.year)
    if filters.project is not None:
        qs = qs.filter(heritage_project=filters.project)
    if filters.tag:
        qs = qs.filter(tags__name=filters.tag)
    return qs


def listing(filters: BrowseFilters) -> QuerySet[Resource]:
    """The filtered public resources with what a card shows, in the chosen order."""
    return as_cards(filtered(filters)).order_by(*SORTS[filters.sort])


@dataclass
class FacetValue:
    value: str
    label: str
    count: int | None  # None: the list is too long to count (see `facets`)
    selected: bool = False


@dataclass
class Facet:
    name: str
    label: str
    values: list[FacetValue] = field(default_factory=list)


def facets(filters: BrowseFilters) -> tuple[list[Facet], bool]:
    """The facets of the filtered resources (kind, category, heritage category, year, region,
    institution; the FACET_LIMIT most frequent values of each, years newest first), and
    whether their counts are exact.

    One query reads at most FACET_SCAN + 1 rows of the list and groups them: when they are
    all the matches, the counts are exact; otherwise the values are those of the FACET_SCAN
    rows read, shown without counts (count None) rather than with numbers that would be
    wrong."""
    # No order: any FACET_SCAN + 1 rows tell whether the list is short, at the cheapest plan.
    qs = filtered(filters).order_by()
    connection = connections[qs.db]
    quote = connection.ops.quote_name
    sample_sql, params = qs.values_list(
        "kind", "category", "ich_category", "year", "region_id", "institution_id"
    )[: FACET_SCAN + 1].query.sql_with_params()
    region_table = quote(Region._meta.db_table)
    inst_table = quote(Institution._meta.db_table)
    # name, column of the sample, order of its groups, join naming them, key, label
    parts = [
        ("kind", "f_kind", "2 DESC, 1", "", "g.v", "''"),
        ("category", "f_category", "2 DESC, 1", "", "g.v", "''"),
        ("ich_category", "f_ich", "2 DESC, 1", "", "g.v", "''"),
        ("year", "f_year", "1 DESC", "", "CAST(g.v AS TEXT)", "''"),
        (
            "region",
            "f_region",
            "2 DESC, 1",
            f"JOIN {region_table} r ON r.code = g.v",
            "g.v",
            "r.name",
        ),
        (
            "institution",
            "f_inst",
            "2 DESC, 1",
            f"JOIN {inst_table} i ON i.id = g.v",
            "i.code",
            "i.name",
        ),
    ]
    selects = ["SELECT '', '', COUNT(*), '' FROM s"]  # how many rows were sampled
    for name, column, order, join, key, label_sql in parts:
        blank = "" if name in ("year", "institution") else f" AND {column} <> ''"
        selects.append(
            f"SELECT '{name}', {key}, g.n, {label_sql} FROM ("  # noqa: S608
            f"SELECT {column} AS v, COUNT(*) AS n FROM s WHERE {column} IS NOT NULL{blank} "
            f"GROUP BY {column} ORDER BY {order} LIMIT {FACET_LIMIT}) AS g {join}"
        )
    sql = (
        "WITH s (f_kind, f_category, f_ich, f_year, f_region, f_inst) AS "
        f"({sample_sql}) " + " UNION ALL ".join(selects)
    )
    counts: dict[str, list[tuple[str, int, str]]] = {part[0]: [] for part in parts}
    sampled = 0
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for name, key, n, text in cursor.fetchall():
            if not name:
                sampled = int(n)
            else:
                counts[name].append((str(key), int(n), str(text)))
    exact = sampled <= FACET_SCAN
    # UNION ALL keeps no order: each facet's rows are sorted again here.
    for name, rows in counts.items():
        if name == "year":
            rows.sort(key=lambda row: -int(row[0]))
        else:
            rows.sort(key=lambda row: (-row[1], row[0]))

    def shown(n: int) -> int | None:
        return n if exact else None

    result: list[Facet] = []
    for name, label, choices in (
        ("kind", gettext_lazy("Kind"), ResourceKind),
        ("category", gettext_lazy("Art category"), ArtCategory),
        ("ich_category", gettext_lazy("Intangible heritage category"), IchCategory),
    ):
        labels = dict(choices.choices)
        chosen = getattr(filters, name)
        values = [
            FacetValue(v, str(labels.get(v, v)), shown(n), v == chosen) for v, n, _l in counts[name]
        ]
        if values:
            result.append(Facet(name, str(label), values))
    chosen_year = str(filters.year) if filters.year is not None else ""
    values = [FacetValue(y, y, shown(n), y == chosen_year) for y, n, _l in counts["year"]]
    if values:
        result.append(Facet("year", _("Year"), values))
    chosen_region = filters.region.code if filters.region else ""
    values = [FacetValue(c, name, shown(n), c == chosen_region) for c, n, name in counts["region"]]
    if values:
        result.append(Facet("region", _("Region"), values))
    chosen_inst = filters.institution.code if filters.institution else ""
    values = [
        FacetValue(c, name, shown(n), c == chosen_inst) for c, n, name in counts["institution"]
    ]
    if values:
        result.append(Facet("institution", _("Institution"), values))
    return result, exact


def search_resources(
    q: str, filters: BrowseFilters, *, page: int = 1, page_size: int = 20
) -> Results:
    """Free text over the library through the search app, with the same filters."""
    extra = [f"ich_category:{filters.ich_category}"] if filters.ich_category else []
    sort = {"newest": "newest", "views": "views"}.get(filters.sort, "relevance")
    return search_for(
        q=q,
        types=[DOC_TYPE],
        sort=sort,
        institution=filters.institution.code if filters.institution else "",
        region=filters.region.code if filters.region else "",
        category=filters.category,
        kind=filters.kind,
        year=filters.year,
        facets=extra,
        page=page,
        page_size=page_size,
    )
