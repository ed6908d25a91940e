"""`search()`: the one read entry point of the search module (API, pages, other apps)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable

from django.conf import settings
from django.db import router
from django.utils.translation import gettext as _

from culturecloud.core import ratelimit
from culturecloud.core.errors import ServiceError
from culturecloud.core.origin import current_origin

from .backends import get_backend
from .models import SearchDocument
from .registry import extra_facet_names, get_doc_type
from .segmentation import MAX_QUERY_LENGTH, query_terms
from .types import Filters, Results, SearchRequest, Sort

MAX_PAGE_SIZE = 100
REGION_RE = re.compile(r"^\d{2}(?:\d{2}){0,2}$")


def candidate_limit() -> int:
    return int(getattr(settings, "SEARCH_CANDIDATES", 1000))


def search_rate() -> tuple[int, int]:
    """Searches per client IP (limit, seconds) in the shared cache: every search is a
    ranked, faceted query, so one client must not be able to keep the database busy."""
    limit, window = getattr(settings, "SEARCH_RATE_PER_IP", (300, 60))
    return int(limit), int(window)


def region_prefix(code: str) -> str:
    """ "440000" → "44", "440100" → "4401", "440117" → "440117" (prefixes pass through)."""
    code = (code or "").strip()
    if not code:
        return ""
    if not REGION_RE.match(code):
        raise ServiceError(
            _("Unknown region."), code="invalid_region", fields={"region": [_("Unknown region.")]}
        )
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


def _field_error(field: str, message: str) -> ServiceError:
    return ServiceError(message, code="invalid_search", fields={field: [message]})


def search(
    q: str = "",
    *,
    doc_types: Iterable[str] | None = None,
    filters: Filters | None = None,
    sort: str | Sort = Sort.RELEVANCE,
    page: int = 1,
    page_size: int = 20,
    facets: bool = True,
) -> Results:
    """Search the public index.

    Every word of `q` must match (title, subject or text; traditional characters find
    simplified text). Results are ranked among the SEARCH_CANDIDATES (1,000) most viewed
    matches — the newest for sort="newest" — title hits first; `total` counts at most
    that many (`total_is_capped` says there are more), and so do the facets. An empty `q`
    lists what the filters select. Raises ServiceError on bad arguments.
    """
    ip = current_origin().ip  # empty outside a request (tasks, commands): not limited
    if ip:
        ratelimit.check(
            f"search:ip:{ip}",
            search_rate(),
            _("Too many searches from your network. Please wait a moment and try again."),
        )
    started = time.perf_counter()
    q = (q or "").strip()
    if len(q) > MAX_QUERY_LENGTH:
        raise _field_error("q", _("At most %(n)d characters.") % {"n": MAX_QUERY_LENGTH})
    try:
        sort = Sort(sort or Sort.RELEVANCE)
    except ValueError:
        raise _field_error("sort", _("Unknown sort order.")) from None
    types = tuple(dict.fromkeys(t for t in (doc_types or ()) if t))
    for name in types:
        if get_doc_type(name) is None:
            raise _field_error("type", _("Unknown type: %(type)s.") % {"type": name[:64]})
    if page < 1:
        raise _field_error("page", _("Pages start at 1."))
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise _field_error(
            "page_size", _("Between 1 and %(n)d results per page.") % {"n": MAX_PAGE_SIZE}
        )
    filters = filters or Filters()
    known = set(extra_facet_names())
    for name, _value in filters.extra:
        if name not in known:
            raise _field_error("facet", _("Unknown filter: %(name)s.") % {"name": name[:32]})
    if (
        filters.year_from is not None
        and filters.year_to is not None
        and filters.year_from > filters.year_to
    ):
        raise _field_error("year_to", _("The end year is before the start year."))
    request = SearchRequest(
        q=q,
        terms=tuple(query_terms(q)),
        doc_types=types,
        filters=filters,
        sort=sort,
        page=page,
        page_size=page_size,
        candidates=candidate_limit(),
        facets=facets,
    )
    results = get_backend(router.db_for_read(SearchDocument)).search(request)
    results.took_ms = round((time.perf_counter() - started) * 1000, 2)
    return results


def parse_facets(values: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """["ich_category:传统音乐", …] → (("ich_category", "传统音乐"), …)."""
    result = []
    for raw in values:
        name, sep, value = (raw or "").partition(":")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            raise _field_error("facet", _("Write a filter as name:value."))
        result.append((name[:32], value[:100]))
    return tuple(dict.fromkeys(result))


def search_for(
    *,
    q: str = "",
    types: Iterable[str] = (),
    sort: str = "",
    institution: str = "",
    region: str = "",
    category: str = "",
    kind: str = "",
    language: str = "",
    year: int | None = None,
    year_from: int | None = None,
    year_to: int | None = None,
    facets: Iterable[str] = (),
    page: int = 1,
    page_size: int = 20,
) -> Results:
    """`search()` from request parameters (the API and the page): an institution by its
    code (its whole subtree), a region by its code or prefix, `year` for one year, extra
    facets as "name:value"."""
    from culturecloud.institutions.models import Institution

    path = ""
    institution = (institution or "").strip()
    if institution:
        path = (
            Institution.objects.filter(code=institution[:64], is_active=True)
            .values_list("path", flat=True)
            .first()
        ) or ""
        if not path:
            raise _field_error("institution", _("Unknown institution."))
    if year is not None:
        year_from = year_to = year
    filters = Filters(
        institution_path=path,
        region_prefix=region_prefix(region),
        category=(category or "").strip()[:64],
        kind=(kind or "").strip()[:32],
        language=(language or "").strip()[:16],
        year_from=year_from,
        year_to=year_to,
        extra=parse_facets(facets),
    )
    return search(
        q,
        doc_types=types,
        filters=filters,
        sort=sort or Sort.RELEVANCE,
        page=page,
        page_size=page_size,
    )
