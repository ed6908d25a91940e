"""Staff pages: /uploads/ (the upload widget, the files in scope with their status and a
retry action for failed ones) and one file's page. Needs EDIT_CONTENT somewhere; the
files shown are those of the chosen institution's subtree."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from culturecloud.core.errors import NotFound, ServiceError
from culturecloud.core.http import page_number, private
from culturecloud.core.pagination import capped_page
from culturecloud.institutions.permissions import Perm
from culturecloud.workbench.scope import institution_choices, institutions_for, pick_institution

from . import services
from .models import AssetStatus, MediaAsset

PAGE_SIZE = 20
BADGES = {
    AssetStatus.PENDING: "pending",
    AssetStatus.PROCESSING: "pending",
    AssetStatus.READY: "published",
    AssetStatus.FAILED: "rejected",
}


def _staff_only(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return None


def _decorate(asset: MediaAsset) -> MediaAsset:
    asset.badge = BADGES[AssetStatus(asset.status)]  # type: ignore[attr-defined]
    return asset


@require_GET
def upload(request: HttpRequest) -> HttpResponse:
    if (login := _staff_only(request)) is not None:
        return login
    institution = pick_institution(request.user, Perm.EDIT_CONTENT, request.GET.get("institution"))
    if institution is None:
        raise DjangoPermissionDenied
    assets = (
        services.staff_assets(request.user, Perm.EDIT_CONTENT)
        .filter(institution__path__startswith=institution.path)
        .select_related("institution")
        .order_by("-created_at", "pk")
    )
    # An institution high in the tree has as many files as the library: the count stops at
    # RESULT_CAP and so do the pages (as on the resource lists).
    page = capped_page(assets, page_number(request.GET.get("page")), PAGE_SIZE, clamp=True)
    for asset in page.object_list:
        _decorate(asset)
    context: dict[str, Any] = {
        "institution": institution,
        "choices": institution_choices(institutions_for(request.user, Perm.EDIT_CONTENT)),
        "page_obj": page,
    }
    return private(render(request, "media/upload.html", context))


@require_GET
def detail(request: HttpRequest, pk: str) -> HttpResponse:
    if (login := _staff_only(request)) is not None:
        return login
    try:
        asset = services.get_asset(actor=request.user, asset_id=pk)
    except NotFound as exc:
        raise Http404 from exc
    renditions = [
        {"name": name, "url": MediaAsset.url_of(r["path"]), **r}
        for name, r in sorted(asset.renditions.items())
    ]
    context = {
        "asset": _decorate(asset),
        "renditions": renditions,
        "can_edit": services.can_edit(request.user, asset),
        "hls_url": MediaAsset.url_of(asset.hls_path),
        "preview_url": MediaAsset.url_of(asset.preview_path),
        "audio_url": MediaAsset.url_of(asset.renditions.get("aac", {}).get("path", "")),
    }
    return private(render(request, "media/detail.html", context))


@require_POST
def retry(request: HttpRequest, pk: str) -> HttpResponse:
    if (login := _staff_only(request)) is not None:
        return login
    try:
        asset = services.get_asset(actor=request.user, asset_id=pk)
    except NotFound as exc:
        raise Http404 from exc
    try:
        services.retry(actor=request.user, asset=asset)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        asset.refresh_from_db()
        if asset.status == AssetStatus.READY:
            messages.success(request, _("The file was processed again and is ready."))
        elif asset.status == AssetStatus.FAILED:
            messages.error(
                request,
                _("Processing failed again: %(reason)s") % {"reason": asset.error_message},
            )
        else:
            messages.success(request, _("The file will be processed again."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("media:detail", kwargs={"pk": asset.pk})
    return redirect(target)
