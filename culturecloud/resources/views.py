"""Public pages of the library: browse (filters and facets; free text through the search
app), a resource's page (player, viewer or reader; JSON-LD; favorites; comments), the
collections (专题) and the reader's favorites."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from culturecloud.core.errors import NotFound, RateLimited, ServiceError
from culturecloud.core.forms import add_service_error
from culturecloud.core.http import page_number, private, public_unless_personal
from culturecloud.core.origin import client_ip
from culturecloud.core.pagination import capped_page
from culturecloud.institutions.permissions import Perm, has_perm

from . import browse, services
from .forms import CommentForm
from .models import ArtCategory, Audience, IchCategory, Resource, ResourceKind
from .presentation import as_cards, jsonld_for, jsonld_script_body, player_for, with_thumbnails

PAGE_SIZE = 20
COMMENTS_SHOWN = 100


def _query(params: dict[str, str], **changes: str | None) -> str:
    merged = {**params}
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    merged.pop("page", None)
    return "?" + urlencode(merged) if merged else "?"


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Browse the library (database filters and facets); with `q`, search it."""
    q = str(request.GET.get("q", "")).strip()[:100]
    context: dict[str, Any] = {
        "q": q,
        "categories": ArtCategory.choices,
        "ich_categories": IchCategory.choices,
        "kinds": ResourceKind.choices,
    }
    status = 200
    try:
        filters = browse.parse_filters(request.GET)
    except ServiceError as exc:
        context["error"] = exc
        return public_unless_personal(
            request, render(request, "resources/index.html", context, status=400)
        )
    params = filters.as_params()
    if q:
        params["q"] = q
    if filters.sort != "newest":
        params["sort"] = filters.sort
    context["filters"] = filters
    context["params"] = params
    number = page_number(request.GET.get("page"))
    if q:
        try:
            results = browse.search_resources(q, filters, page=number, page_size=PAGE_SIZE)
        except ServiceError as exc:
            context["error"] = exc
            status = exc.status  # 400, or 429 when rate limited
        else:
            context["results"] = results
            context["facets"] = _search_facets(results, params)
            base = _query(params)
            context["previous_href"] = (
                f"{base}&page={results.page - 1}" if results.has_previous else ""
            )
            context["next_href"] = f"{base}&page={results.page + 1}" if results.has_next else ""
    else:
        # The count stops at RESULT_CAP ("1000+") and pages at the cap: a deeper or
        # malformed page number shows the last (first) page, as Paginator.get_page does.
        page = capped_page(browse.listing(filters), number, PAGE_SIZE, clamp=True)
        with_thumbnails(page.items)
        context["page_obj"] = page
        facets, context["facets_counted"] = browse.facets(filters)
        context["facet_scan"] = browse.FACET_SCAN
        context["facets"] = [
            {
                "name": facet.name,
                "label": facet.label,
                "values": [
                    {
                        "label": v.label,
                        "count": v.count,
                        "selected": v.selected,
                        "href": _query(params, **{facet.name: None if v.selected else v.value}),
                    }
                    for v in facet.values
                ],
            }
            for facet in facets
        ]
    context["active_filters"] = [
        {"label": label, "value": value, "href": _query(params, **{key: None})}
        for key, label, value in _filter_labels(filters)
    ]
    context["sorts"] = [
        {
            "value": s,
            "href": _query(params, sort=None if s == "newest" else s),
            "current": s == filters.sort,
        }
        for s in browse.SORTS
    ]
    return public_unless_personal(
        request, render(request, "resources/index.html", context, status=status)
    )


def _filter_labels(filters: browse.BrowseFilters) -> list[tuple[str, str, str]]:
    """(parameter, what it is, its value as shown) of each active filter."""
    rows: list[tuple[str, str, str]] = []
    for key, label, choices in (
        ("category", _("Art category"), ArtCategory),
        ("ich_category", _("Intangible heritage category"), IchCategory),
        ("kind", _("Kind"), ResourceKind),
        ("audience", _("Audience"), Audience),
    ):
        value = getattr(filters, key)
        if value:
            rows.append((key, label, str(choices(value).label)))
    if filters.region is not None:
        rows.append(("region", _("Region"), filters.region.name))
    if filters.institution is not None:
        rows.append(("institution", _("Institution"), filters.institution.name))
    if filters.year is not None:
        rows.append(("year", _("Year"), str(filters.year)))
    if filters.project is not None:
        rows.append(("project", _("Heritage project"), filters.project.name))
    if filters.tag:
        rows.append(("tag", _("Tag"), filters.tag))
    return rows


def _search_facets(results: Any, params: dict[str, str]) -> list[dict[str, Any]]:
    facets = []
    for facet in results.facets:
        if facet.name == "type":
            continue
        name = facet.name
        values = []
        for v in facet.values:
            href = _query(params, **{name: None if v.selected else v.value})
            values.append(
                {"label": v.label, "count": v.count, "selected": v.selected, "href": href}
            )
        facets.append({"name": name, "label": facet.label, "values": values})
    return facets


def visitor_key(request: HttpRequest) -> str:
    """Who is viewing, for counting a view once: the account, else address and browser."""
    if request.user.is_authenticated:
        return f"u{request.user.pk}"
    raw = f"{client_ip(request.META)}|{request.META.get('HTTP_USER_AGENT', '')[:200]}"
    return "a" + hashlib.sha256(raw.encode()).hexdigest()[:24]


def _detail_queryset() -> Any:
    return Resource.objects.select_related(
        "institution", "region", "media", "heritage_project", "created_by"
    ).prefetch_related("tags", "inheritors", "images__asset")


def _detail_context(
    request: HttpRequest, resource: Resource, published: bool, form: CommentForm
) -> dict[str, Any]:
    player = player_for(resource)
    jsonld = jsonld_for(resource, player, request.build_absolute_uri)
    can_edit = has_perm(request.user, Perm.EDIT_CONTENT, resource.institution)
    try:
        play_url = reverse("api:resources_play", kwargs={"resource_id": resource.pk})
        view_url = reverse("api:resources_view", kwargs={"resource_id": resource.pk})
    except NoReverseMatch:  # the API is not mounted (counting is optional)
        play_url = view_url = ""
    return {
        "play_url": play_url if published else "",
        "view_url": view_url if published else "",
        "resource": resource,
        "published": published,
        "player": player,
        "jsonld": jsonld_script_body(jsonld),
        "tags": list(resource.tags.all()),
        "inheritors": list(resource.inheritors.all()),
        "comments": list(services.public_comments(resource)[:COMMENTS_SHOWN]) if published else [],
        "comment_form": form,
        "is_favorite": services.is_favorite(request.user, resource),
        "staff_can_retry": bool(player.failed_assets) and can_edit,
        "can_edit": can_edit,
        "collections": list(
            services.public_collections().filter(items__resource=resource).distinct()[:5]
        )
        if published
        else [],
    }


@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    resource = _detail_queryset().filter(pk=pk).first()
    if resource is None:
        raise Http404
    published = resource.status == "published" and resource.institution.is_active
    if not published and not services.can_preview(request.user, resource):
        raise Http404
    context = _detail_context(request, resource, published, CommentForm())
    response = render(request, "resources/detail.html", context)
    if not published:  # a staff preview
        return private(response)
    # The page's script counts the view (POST to the API), so the page itself can be shared.
    return public_unless_personal(request, response)


def _login(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return None


@require_POST
def favorite(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(_detail_url(pk))
    try:
        resource = services.get_public_resource(pk)
    except NotFound as exc:
        raise Http404 from exc
    if request.POST.get("action") == "remove":
        services.remove_favorite(user=request.user, resource=resource)
        messages.success(request, _("Removed from your favorites."))
    else:
        services.add_favorite(user=request.user, resource=resource)
        messages.success(request, _("Added to your favorites."))
    return redirect(_safe_next(request, resource.get_absolute_url()))


def _detail_url(pk: int) -> str:
    return reverse("resources:detail", kwargs={"pk": pk})


def _safe_next(request: HttpRequest, default: str) -> str:
    target = str(request.POST.get("next") or "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@require_POST
def comment(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(_detail_url(pk))
    resource = _detail_queryset().filter(pk=pk, status="published").first()
    if resource is None:
        raise Http404
    form = CommentForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.post_comment(
                user=request.user, resource=resource, body=form.cleaned_data["body"]
            )
        except RateLimited as exc:
            add_service_error(form, exc)
            status = 429
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request, _("Thank you. Your comment will be shown once it has been approved.")
            )
            return redirect(f"{resource.get_absolute_url()}#comments")
    context = _detail_context(request, resource, True, form)
    return private(render(request, "resources/detail.html", context, status=status))


@require_GET
def favorites(request: HttpRequest) -> HttpResponse:
    if (login := _login(request)) is not None:
        return login
    qs = as_cards(services.favorites_of(request.user))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    with_thumbnails(page.object_list)
    return private(render(request, "resources/favorites.html", {"page_obj": page}))


@require_GET
def collections(request: HttpRequest) -> HttpResponse:
    qs = services.public_collections().select_related("institution")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return public_unless_personal(
        request, render(request, "resources/collections.html", {"page_obj": page})
    )


@require_GET
def collection(request: HttpRequest, pk: int) -> HttpResponse:
    item = services.public_collections().select_related("institution").filter(pk=pk).first()
    if item is None:
        raise Http404
    resources = with_thumbnails(as_cards(services.collection_resources(item))[:500])
    return public_unless_personal(
        request,
        render(request, "resources/collection.html", {"collection": item, "resources": resources}),
    )
