"""Public pages: the directory (tree and search), an institution's mini-site, an article."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from culturecloud.core.http import page_number, public
from culturecloud.core.pagination import last_page

from . import directory as listing
from . import services
from .forms import DirectoryFilterForm
from .models import Institution

PAGE_SIZE = 20


def _with_children_flag(qs: QuerySet[Institution]) -> QuerySet[Institution]:
    children = Institution.objects.filter(parent=OuterRef("pk"), is_active=True)
    return qs.select_related("region").annotate(has_kids=Exists(children))


def directory(request: HttpRequest) -> HttpResponse:
    form = DirectoryFilterForm(request.GET or None)
    context: dict[str, object] = {"form": form}
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
        context["mode"] = "tree"
        context["nodes"] = _top_nodes()
    elif form.is_bound and any(form.cleaned_data.get(k) for k in ("q", "region", "kind")):
        page = listing.find(
            q=form.cleaned_data["q"],
            region=form.selected_region,
            kind=form.cleaned_data["kind"],
            number=_page_number(request.GET.get("page")),
            page_size=PAGE_SIZE,
        )
        if not page.items and page.number > page.num_pages:  # past the end: the last page
            page = listing.find(
                q=form.cleaned_data["q"],
                region=form.selected_region,
                kind=form.cleaned_data["kind"],
                number=page.num_pages,
                page_size=PAGE_SIZE,
            )
        query = request.GET.copy()
        query.pop("page", None)
        context.update(mode="search", page=page, query=query.urlencode())
    else:
        context.update(mode="tree", nodes=_top_nodes())
    return public(render(request, "institutions/directory.html", context, status=status))


def _page_number(raw: str | None) -> int:
    """As Paginator.get_page: anything but a page within reach is the first or last page."""
    return min(page_number(raw), last_page(listing.RESULT_CAP, PAGE_SIZE))


def _top_nodes() -> list[dict[str, object]]:
    """The national centre with the provinces under it (each one expandable)."""
    rows = list(
        _with_children_flag(services.public_institutions().filter(depth__lte=1)).order_by(
            "depth", "name", "pk"
        )
    )
    roots = [{"inst": r, "children": []} for r in rows if r.depth == 0]
    by_pk = {node["inst"].pk: node for node in roots}  # type: ignore[attr-defined]
    for row in rows:
        if row.depth == 1 and row.parent_id in by_pk:
            by_pk[row.parent_id]["children"].append({"inst": row, "children": []})  # type: ignore[attr-defined]
    return roots


def children(request: HttpRequest, code: str) -> HttpResponse:
    """The children of one node, as a list fragment for the expandable tree (htmx)."""
    parent = services.public_institutions().filter(code=code[:64]).first()
    if parent is None:
        raise Http404
    if not request.headers.get("HX-Request"):
        return redirect("institutions:detail", code=parent.code)
    rows = _with_children_flag(services.public_institutions().filter(parent=parent)).order_by(
        "name", "pk"
    )
    nodes = [{"inst": r, "children": []} for r in rows[:500]]
    return public(render(request, "institutions/_tree_children.html", {"nodes": nodes}))


def detail(request: HttpRequest, code: str) -> HttpResponse:
    inst = (
        Institution.objects.select_related("region", "parent", "merged_into")
        .filter(code=code[:64])
        .first()
    )
    if inst is None:
        raise Http404
    if not inst.is_active:
        if inst.merged_into is not None and inst.merged_into.is_active:
            return redirect("institutions:detail", code=inst.merged_into.code, permanent=True)
        raise Http404
    ancestors = list(Institution.objects.filter(pk__in=inst.ancestor_ids()[:-1]).order_by("depth"))
    kids = Paginator(
        services.public_institutions().filter(parent=inst).order_by("name", "pk"), 50
    ).get_page(request.GET.get("children"))
    articles = Paginator(services.public_articles(inst), 10).get_page(request.GET.get("page"))
    context = {
        "inst": inst,
        "ancestors": ancestors,
        "children": kids,
        "articles": articles,
        "is_grassroots": inst.kind in services.GRASSROOTS_KINDS,
    }
    return public(render(request, "institutions/detail.html", context))


def article(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    found = (
        services.public_articles()
        .select_related("institution")
        .filter(institution__code=code[:64], pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    inst = found.institution
    ancestors = list(Institution.objects.filter(pk__in=inst.ancestor_ids()).order_by("depth"))
    return public(
        render(
            request,
            "institutions/article.html",
            {"article": found, "inst": inst, "ancestors": ancestors},
        )
    )
