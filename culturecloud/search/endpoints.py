"""/api/v1/search: public full-text search over everything registered with the search app."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from culturecloud.core.http import public

from .query import search_for
from .schemas import SearchFilter, SearchOut
from .types import Results

router = Router(tags=["search"])


def results_payload(results: Results) -> dict[str, Any]:
    return {
        "items": [
            {
                "doc_type": h.doc_type,
                "object_id": h.object_id,
                "title": h.title,
                "title_html": str(h.title_html),
                "snippet_html": str(h.snippet_html),
                "url": h.url,
                "image": h.image,
                "institution": (
                    {"id": h.institution_id, "name": h.institution_name}
                    if h.institution_id is not None
                    else None
                ),
                "region_code": h.region_code,
                "category": h.category,
                "kind": h.kind,
                "language": h.language,
                "year": h.year,
                "facets": h.facets,
                "published_at": h.published_at,
                "views": h.popularity,
            }
            for h in results.items
        ],
        "count": results.total,
        "count_is_capped": results.total_is_capped,
        "page": results.page,
        "page_size": results.page_size,
        "num_pages": results.num_pages,
        "sort": str(results.sort),
        "terms": results.terms,
        "facets": [
            {
                "name": f.name,
                "label": f.label,
                "values": [
                    {"value": v.value, "label": v.label, "count": v.count, "selected": v.selected}
                    for v in f.values
                ],
            }
            for f in results.facets
        ],
        "took_ms": results.took_ms,
    }


@router.get("", response=SearchOut, auth=None, summary="Search")
def search(request: HttpRequest, response: HttpResponse, filters: Query[SearchFilter]) -> Any:
    """Chinese full-text search. Every word must match (title, tags or text; traditional
    characters find simplified text); title hits rank first. At most 1,000 hits are ranked,
    counted and faceted (`count_is_capped` when there are more)."""
    public(response)
    results = search_for(
        q=filters.q,
        types=filters.type,
        sort=filters.sort,
        institution=filters.institution,
        region=filters.region,
        category=filters.category,
        kind=filters.kind,
        language=filters.language,
        year=filters.year,
        year_from=filters.year_from,
        year_to=filters.year_to,
        facets=filters.facet,
        page=filters.page,
        page_size=filters.page_size,
    )
    return results_payload(results)
