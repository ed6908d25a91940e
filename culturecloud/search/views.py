"""The search page (/search/): results with snippets, facets as filter links, sort, pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render

from culturecloud.core.errors import ServiceError
from culturecloud.core.forms import add_service_error
from culturecloud.core.http import public

from .forms import SORT_LABELS, SearchForm
from .query import search_for
from .types import Results, Sort

PAGE_SIZE = 20
# Filters the page passes on; each facet of the results is named like its parameter.
SINGLE_PARAMS = ("type", "institution", "region", "category", "kind", "language", "year")
KEPT_PARAMS = ("q", "sort", *SINGLE_PARAMS, "facet")


def _query(params: QueryDict, **changes: Any) -> str:
    """The page's query string with `changes` (None removes a parameter; page is reset)."""
    pairs: list[tuple[str, str]] = []
    for key in KEPT_PARAMS:
        if key in changes:
            continue
        pairs.extend((key, value) for value in params.getlist(key) if value)
    for key, value in changes.items():
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        pairs.extend((key, str(v)) for v in values if v != "")
    return "?" + urlencode(pairs)


def _facet_links(params: QueryDict, results: Results) -> list[dict[str, Any]]:
    facets = []
    chosen_extras = params.getlist("facet")
    for facet in results.facets:
        values = []
        for v in facet.values:
            if facet.name in SINGLE_PARAMS:
                href = _query(params, **{facet.name: None if v.selected else v.value})
            else:
                token = f"{facet.name}:{v.value}"
                others = [t for t in chosen_extras if t != token]
                href = _query(params, facet=others if v.selected else [*others, token])
            values.append({"value": v, "href": href})
        facets.append({"facet": facet, "values": values})
    return facets


def _active_filters(params: QueryDict) -> list[dict[str, str]]:
    active = []
    for key in SINGLE_PARAMS:
        value = params.get(key, "")
        if value:
            active.append({"name": key, "value": value, "href": _query(params, **{key: None})})
    chosen = params.getlist("facet")
    for token in chosen:
        others = [t for t in chosen if t != token]
        active.append({"name": "facet", "value": token, "href": _query(params, facet=others)})
    return active


def page(request: HttpRequest) -> HttpResponse:
    params = request.GET
    form = SearchForm(params)
    context: dict[str, Any] = {"form": form, "searched": False}
    status = 200
    searched = any(params.get(k) for k in ("q", *SINGLE_PARAMS, "facet"))
    if form.is_valid() and searched:
        data = form.cleaned_data
        try:
            results = search_for(
                q=data["q"],
                types=[params.get("type", "")] if params.get("type") else [],
                sort=data["sort"] or Sort.RELEVANCE,
                institution=params.get("institution", ""),
                region=params.get("region", ""),
                category=params.get("category", ""),
                kind=params.get("kind", ""),
                language=params.get("language", ""),
                year=data["year"],
                facets=params.getlist("facet"),
                page=data["page"] or 1,
                page_size=PAGE_SIZE,
            )
        except ServiceError as exc:
            add_service_error(form, exc)
            status = exc.status  # 400, or 429 when rate limited
        else:
            current = results.sort
            context.update(
                searched=True,
                results=results,
                first_number=(results.page - 1) * results.page_size + 1,
                facets=_facet_links(params, results),
                active_filters=_active_filters(params),
                sorts=[
                    {
                        "label": label,
                        "href": _query(params, sort=str(sort), page=None),
                        "current": sort == current,
                    }
                    for sort, label in SORT_LABELS.items()
                ],
                previous_href=_query(params, page=results.page - 1) if results.has_previous else "",
                next_href=_query(params, page=results.page + 1) if results.has_next else "",
            )
    elif form.is_bound and not form.is_valid():
        status = 400
    context["hidden_filters"] = [
        (key, value) for key in (*SINGLE_PARAMS, "facet") for value in params.getlist(key) if value
    ]
    return public(render(request, "search/page.html", context, status=status))
