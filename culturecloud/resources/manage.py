"""Staff pages of the library (/resources/manage/…) in the workbench: the resources of the
user's scope, the metadata form with the media upload widget, submitting for review,
retrying failed media, moderating comments, curating collections. Reviewers approve in the
workbench's review queue (every Reviewable is listed there)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from culturecloud.core import review
from culturecloud.core.errors import ServiceError
from culturecloud.core.forms import add_service_error
from culturecloud.core.http import page_number
from culturecloud.core.models import ReviewStatus
from culturecloud.core.pagination import capped_page
from culturecloud.core.queries import available_actions, content_for_editor
from culturecloud.institutions.permissions import Perm, scope_queryset
from culturecloud.media import services as media_services
from culturecloud.media.models import MediaAsset
from culturecloud.workbench.scope import institutions_for
from culturecloud.workbench.views import page, safe_next, staff_page

from . import services
from .forms import CollectionForm, ResourceForm
from .models import Collection, Comment, Resource, ResourceImage, ResourceKind
from .presentation import player_for

PAGE_SIZE = 20
EDITOR_ACTIONS = ("submit", "withdraw", "reopen")


def editor_actions(user: Any, obj: Any) -> list[str]:
    return [a for a in available_actions(user, obj) if a in EDITOR_ACTIONS]


def _editable_resource(request: HttpRequest, pk: int) -> Resource:
    resource = (
        content_for_editor(request.user, Resource)
        .select_related("media", "region", "heritage_project")
        .prefetch_related("tags", "inheritors", "images__asset")
        .filter(pk=pk)
        .first()
    )
    if resource is None:
        raise Http404
    return resource


@staff_page(Perm.EDIT_CONTENT)
def resource_list(request: HttpRequest) -> HttpResponse:
    """The resources in the staff member's scope, most recently changed first. At the scale
    of a province or the nation the count stops at RESULT_CAP and so do the pages (as on the
    public list); the status and institution filters narrow it."""
    qs = content_for_editor(request.user, Resource).select_related("media")
    status_filter = request.GET.get("status", "")
    if status_filter not in ReviewStatus.values:
        status_filter = ""  # the select offers the states only: anything else shows them all
    institution_filter = str(request.GET.get("institution", "")).strip()[:64]
    institution_error = ""
    try:
        qs = services.narrow_staff_list(qs, status=status_filter, institution=institution_filter)
    except ServiceError as exc:
        institution_error = exc.message
        qs = qs.none()
    current = capped_page(qs, page_number(request.GET.get("page")), PAGE_SIZE, clamp=True)
    for resource in current:
        resource.wb_actions = editor_actions(request.user, resource)  # type: ignore[attr-defined]
    return page(
        request,
        "resources/manage/list.html",
        {
            "page_obj": current,
            "statuses": ReviewStatus.choices,
            "status_filter": status_filter,
            "institution_filter": institution_filter,
            "institution_error": institution_error,
        },
    )


def _save_resource(request: HttpRequest, form: ResourceForm, resource: Resource | None) -> Resource:
    fields = form.service_fields()
    new_media = str(request.POST.get("new_media") or "").strip()
    with transaction.atomic():
        if resource is None:
            resource = services.create_resource(
                actor=request.user, institution=form.cleaned_data["institution"], **fields
            )
        else:
            if new_media:
                if fields.get("kind", resource.kind) == ResourceKind.IMAGE_SET:
                    current = [str(i.asset_id) for i in resource.images.all()]
                    fields["images"] = [*current, new_media]
                else:
                    fields["media"] = new_media
            resource = services.update_resource(actor=request.user, resource=resource, **fields)
        if request.POST.get("submit"):
            resource = review.submit(resource, actor=request.user)
    return resource


def _saved(request: HttpRequest, resource: Resource) -> HttpResponse:
    if resource.status == ReviewStatus.PENDING:
        messages.success(
            request,
            _("“%(title)s” was saved and submitted for review.") % {"title": resource.title},
        )
    else:
        messages.success(request, _("“%(title)s” was saved.") % {"title": resource.title})
    return redirect("resources:manage_edit", pk=resource.pk)


@require_http_methods(["GET", "POST"])
@staff_page(Perm.EDIT_CONTENT)
def resource_new(request: HttpRequest) -> HttpResponse:
    institutions = institutions_for(request.user, Perm.EDIT_CONTENT)
    form = ResourceForm(request.POST or None, institutions=institutions)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                return _saved(request, _save_resource(request, form, None))
            except ServiceError as exc:
                add_service_error(form, exc)
    return page(
        request, "resources/manage/form.html", {"form": form, "resource": None}, status=status
    )


@require_http_methods(["GET", "POST"])
@staff_page(Perm.EDIT_CONTENT)
def resource_edit(request: HttpRequest, pk: int) -> HttpResponse:
    resource = _editable_resource(request, pk)
    form = ResourceForm(
        request.POST or None, institutions=None, initial=ResourceForm.initial_for(resource)
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                return _saved(request, _save_resource(request, form, resource))
            except ServiceError as exc:
                add_service_error(form, exc)
    context = {
        "form": form,
        "resource": resource,
        "editable": resource.status in services.EDITABLE_STATUSES,
        "actions": editor_actions(request.user, resource),
        "player": player_for(resource),
        "images": list(resource.images.all()),
        "widget_kinds": "image" if resource.kind == ResourceKind.IMAGE_SET else resource.media_kind,
    }
    return page(request, "resources/manage/form.html", context, status=status)


@require_POST
@staff_page(Perm.EDIT_CONTENT)
def retry_media(request: HttpRequest, pk: int, asset: Any) -> HttpResponse:
    """Process a failed media file of the resource again (media.services.retry)."""
    resource = _scoped_resource(request, pk)
    ids = {str(resource.media_id)} if resource.media_id else set()
    ids |= {
        str(a)
        for a in ResourceImage.objects.filter(resource=resource).values_list("asset_id", flat=True)
    }
    if str(asset) not in ids:
        raise Http404
    target = MediaAsset.objects.select_related("institution").get(pk=asset)
    try:
        media_services.retry(actor=request.user, asset=target)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The file is being processed again."))
    return redirect(_next(request, reverse("resources:manage_edit", kwargs={"pk": resource.pk})))


def _scoped_resource(request: HttpRequest, pk: int) -> Resource:
    resource = (
        scope_queryset(
            Resource.objects.select_related("institution"), request.user, Perm.EDIT_CONTENT
        )
        .filter(pk=pk)
        .first()
    )
    if resource is None:
        raise Http404
    return resource


def _next(request: HttpRequest, default: str) -> str:
    return safe_next(request, default)


@require_POST
@staff_page(Perm.EDIT_CONTENT)
def remove_image(request: HttpRequest, pk: int, image: int) -> HttpResponse:
    resource = _editable_resource(request, pk)
    remaining = [str(i.asset_id) for i in resource.images.all() if i.pk != image]
    try:
        services.update_resource(actor=request.user, resource=resource, images=remaining)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The image was removed from the set."))
    return redirect("resources:manage_edit", pk=resource.pk)


# --- comments -------------------------------------------------------------------------


@staff_page(Perm.REVIEW)
def comment_queue(request: HttpRequest) -> HttpResponse:
    qs = services.comments_to_moderate(request.user)
    current = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return page(request, "resources/manage/comments.html", {"page_obj": current})


@require_POST
@staff_page(Perm.REVIEW)
def comment_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    comment = (
        scope_queryset(
            Comment.objects.select_related("resource__institution"),
            request.user,
            Perm.REVIEW,
            path_field="resource__institution_path",
        )
        .filter(pk=pk)
        .first()
    )
    if comment is None or decision not in ("approve", "reject"):
        raise Http404
    try:
        services.moderate_comment(actor=request.user, comment=comment, decision=decision)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The comment was approved.")
            if decision == "approve"
            else _("The comment was rejected."),
        )
    return redirect(_next(request, reverse("resources:manage_comments")))


# --- collections ----------------------------------------------------------------------


@staff_page(Perm.EDIT_CONTENT)
def collection_list(request: HttpRequest) -> HttpResponse:
    qs = content_for_editor(request.user, Collection)
    current = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for item in current:
        item.wb_actions = editor_actions(request.user, item)  # type: ignore[attr-defined]
    return page(request, "resources/manage/collections.html", {"page_obj": current})


@require_http_methods(["GET", "POST"])
@staff_page(Perm.EDIT_CONTENT)
def collection_new(request: HttpRequest) -> HttpResponse:
    form = CollectionForm(
        request.POST or None, institutions=institutions_for(request.user, Perm.EDIT_CONTENT)
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                item = services.create_collection(
                    actor=request.user,
                    institution=form.cleaned_data["institution"],
                    title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"],
                    resource_ids=form.resource_ids(),
                )
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("“%(title)s” was saved.") % {"title": item.title})
                return redirect("resources:manage_collection_edit", pk=item.pk)
    return page(
        request,
        "resources/manage/collection_form.html",
        {"form": form, "collection": None},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_page(Perm.EDIT_CONTENT)
def collection_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = content_for_editor(request.user, Collection).filter(pk=pk).first()
    if item is None:
        raise Http404
    form = CollectionForm(
        request.POST or None, institutions=None, initial=CollectionForm.initial_for(item)
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                item = services.update_collection(
                    actor=request.user,
                    collection=item,
                    title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"],
                    resource_ids=form.resource_ids(),
                )
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("“%(title)s” was saved.") % {"title": item.title})
                return redirect("resources:manage_collection_edit", pk=item.pk)
    context = {
        "form": form,
        "collection": item,
        "editable": item.status in services.EDITABLE_STATUSES,
        "actions": editor_actions(request.user, item),
    }
    return page(request, "resources/manage/collection_form.html", context, status=status)
