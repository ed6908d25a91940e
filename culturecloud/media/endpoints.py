"""/api/v1/media: uploads (one request, or resumable in chunks), asset status, retry.

Staff only (session with CSRF, or bearer token); every decision is made by the services
and `institutions.permissions`: reading needs WORKBENCH, writing EDIT_CONTENT, on the
asset's institution or an ancestor. Assets and uploads outside the scope answer 404.

Resumable upload:
    POST   /sessions                  {institution, filename, size, sha256?, kinds?} → 201
    PUT    /sessions/{id}/chunks?offset=N   raw bytes (Content-Length ≤ max_chunk_size)
           → 200 with the new offset; a chunk already received → 200, unchanged;
           another offset → 409 "offset_mismatch" with the header Upload-Offset
    GET    /sessions/{id}             where to continue (offset), after a failure
    POST   /sessions/{id}/complete    → 201 the asset (200 when completed before)
    DELETE /sessions/{id}             cancel
"""

from typing import Any

from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import Field

from culturecloud.core.errors import NotFound, ServiceError
from culturecloud.core.http import private
from culturecloud.core.pagination import CappedPagination, Mapped
from culturecloud.institutions.models import Institution
from culturecloud.institutions.permissions import Perm, has_perm
from culturecloud.institutions.services import with_code

from . import conf, services
from .models import AssetKind, AssetStatus, MediaAsset, UploadSession, UploadStatus
from .schemas import AssetOut, SessionIn, SessionOut

router = Router(tags=["media"])


def user_of(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def institution_by_code(code: str) -> Institution:
    inst = with_code(Institution.objects.all(), code or "").first()
    if inst is None:
        message = _("No such institution.")
        raise NotFound(message, fields={"institution": [message]})
    return inst


def asset_payload(asset: MediaAsset, user: Any) -> dict[str, Any]:
    url = default_storage.url
    return {
        "id": asset.pk,
        "institution_code": asset.institution.code,
        "kind": asset.kind,
        "kind_label": str(asset.get_kind_display()),
        "status": asset.status,
        "status_label": str(asset.get_status_display()),
        "original_name": asset.original_name,
        "mime": asset.mime,
        "size": asset.size,
        "sha256": asset.sha256,
        "error_code": asset.error_code,
        "error_message": asset.error_message,
        "attempts": asset.attempts,
        "metadata": asset.metadata,
        "renditions": [
            {
                "name": name,
                "url": url(r["path"]),
                "mime": r.get("mime", ""),
                "width": r.get("width"),
                "height": r.get("height"),
                "bitrate": r.get("bitrate"),
            }
            for name, r in sorted(asset.renditions.items())
        ],
        "original_url": asset.original.url,
        "hls_url": url(asset.hls_path) if asset.hls_path else None,
        "poster_url": url(asset.poster_path) if asset.poster_path else None,
        "preview_url": url(asset.preview_path) if asset.preview_path else None,
        "can_retry": asset.status == AssetStatus.FAILED
        and has_perm(user, Perm.EDIT_CONTENT, asset.institution),
        "created_at": asset.created_at,
        "processed_at": asset.processed_at,
    }


def session_payload(session: UploadSession) -> dict[str, Any]:
    kwargs = {"session_id": session.pk}
    return {
        "id": session.pk,
        "institution_code": session.institution.code,
        "filename": session.filename,
        "expected_size": session.expected_size,
        "offset": session.received_bytes,
        "chunk_size": session.chunk_size,
        "max_chunk_size": int(conf.get("MEDIA_UPLOAD_MAX_CHUNK_BYTES")),
        "status": session.status,
        "kind": session.kind,
        "mime": session.mime,
        "error_code": session.error_code,
        "error_message": session.error_message,
        "expires_at": session.expires_at,
        "asset_id": session.asset_id,
        "chunk_url": reverse("api:media_session_chunk", kwargs=kwargs),
        "complete_url": reverse("api:media_session_complete", kwargs=kwargs),
    }


def with_offset(response: HttpResponse, offset: int) -> HttpResponse:
    response["Upload-Offset"] = str(offset)
    return private(response)


# --- assets ------------------------------------------------------------------------------


class AssetFilter(Schema):
    institution: str = Field("", max_length=64, description="Code; includes its subtree.")
    status: str = Field("", max_length=16)
    kind: str = Field("", max_length=16)


@router.post(
    "/assets",
    response={201: AssetOut},
    summary="Staff: upload a file in one request",
    description=(
        "Multipart form with `institution` (code) and `file`, at most "
        "MEDIA_DIRECT_UPLOAD_MAX_BYTES (32 MiB by default); larger files use /sessions. "
        "The file is checked by content (magic bytes) and by the size limit of its kind; "
        "processing starts after the upload is stored."
    ),
)
def upload_asset(
    request: HttpRequest,
    institution: Form[str],
    file: File[UploadedFile],
    kinds: Form[str] = "",
) -> Any:
    asset = services.create_asset_from_upload(
        actor=user_of(request),
        institution=institution_by_code(institution),
        uploaded_file=file,
        kinds=[k.strip() for k in kinds.split(",") if k.strip()] or None,
    )
    asset.refresh_from_db()
    return Status(201, asset_payload(asset, user_of(request)))


@router.get(
    "/assets",
    response=list[AssetOut],
    url_name="media_assets",
    summary="Staff: media files in scope",
)
@paginate(CappedPagination)
def list_assets(request: HttpRequest, filters: Query[AssetFilter]) -> Any:
    """The media files in the caller's scope, newest first. Only the page's files are read;
    the count stops at 1,000 (`count_is_capped`) and so do the pages: narrow with
    `institution` (its subtree), `status` and `kind`."""
    user = user_of(request)
    qs = services.staff_assets(user).select_related("institution")
    if filters.institution:
        inst = institution_by_code(filters.institution)
        qs = qs.filter(institution__path__startswith=inst.path)
    for field, choices in (("status", AssetStatus), ("kind", AssetKind)):
        value = getattr(filters, field)
        if value:
            if value not in choices.values:
                message = _("Choose a valid value.")
                raise ServiceError(message, code="invalid_filter", fields={field: [message]})
            qs = qs.filter(**{field: value})
    return Mapped(qs.order_by("-created_at", "pk"), lambda asset: asset_payload(asset, user))


@router.get("/assets/{asset_id}", response=AssetOut, summary="Staff: one media file")
def get_asset(request: HttpRequest, response: HttpResponse, asset_id: str) -> Any:
    private(response)
    asset = services.get_asset(actor=user_of(request), asset_id=asset_id)
    return asset_payload(asset, user_of(request))


@router.post(
    "/assets/{asset_id}/retry", response=AssetOut, summary="Staff: process a failed file again"
)
def retry_asset(request: HttpRequest, asset_id: str) -> Any:
    user = user_of(request)
    asset = services.get_asset(actor=user, asset_id=asset_id)
    asset = services.retry(actor=user, asset=asset)
    asset.refresh_from_db()
    return asset_payload(asset, user)


@router.delete("/assets/{asset_id}", response={204: None}, summary="Staff: delete a file")
def delete_asset(request: HttpRequest, asset_id: str) -> Any:
    user = user_of(request)
    services.delete_asset(actor=user, asset=services.get_asset(actor=user, asset_id=asset_id))
    return Status(204, None)


# --- resumable uploads -----------------------------------------------------------------


@router.post(
    "/sessions",
    response={201: SessionOut},
    url_name="media_sessions",
    summary="Staff: start a resumable upload",
)
def create_session(request: HttpRequest, payload: SessionIn) -> Any:
    session = services.create_upload_session(
        actor=user_of(request),
        institution=institution_by_code(payload.institution),
        filename=payload.filename,
        size=payload.size,
        sha256=payload.sha256,
        kinds=payload.kinds or None,
    )
    return Status(201, session_payload(session))


@router.get(
    "/sessions/{session_id}",
    response=SessionOut,
    url_name="media_session",
    summary="Staff: where a resumable upload stands",
)
def get_session(request: HttpRequest, response: HttpResponse, session_id: str) -> Any:
    session = services.get_session(actor=user_of(request), session_id=session_id)
    with_offset(response, session.received_bytes)
    return session_payload(session)


@router.put(
    "/sessions/{session_id}/chunks",
    response=SessionOut,
    url_name="media_session_chunk",
    summary="Staff: send one chunk of a resumable upload",
    description=(
        "The request body is the raw bytes of the chunk starting at `offset`. Optional header "
        "`X-Chunk-Sha256`: the SHA-256 of the chunk, checked before it is stored."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        },
        "responses": {
            409: {"description": "Another offset was expected; see the Upload-Offset header."}
        },
    },
)
def put_chunk(
    request: HttpRequest,
    response: HttpResponse,
    session_id: str,
    offset: int = Query(..., ge=0, le=2**53),
) -> Any:
    user = user_of(request)
    session = services.get_session(actor=user, session_id=session_id)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = -1
    limit = int(conf.get("MEDIA_UPLOAD_MAX_CHUNK_BYTES"))
    if length < 0:
        raise ServiceError(
            _("The request has no valid length."), code="length_required", status=411
        )
    if length > limit:  # refused before a byte of it is read
        raise ServiceError(
            _("A chunk may be at most %(limit)s bytes.") % {"limit": limit},
            code="chunk_too_large",
            status=413,
        )
    data = request.read(length) if length else b""
    if len(data) != length:
        raise ServiceError(
            _("The chunk arrived incomplete. Please send it again."), code="chunk_incomplete"
        )
    try:
        session = services.receive_chunk(
            actor=user,
            session=session,
            offset=offset,
            data=data,
            checksum=request.headers.get("X-Chunk-Sha256", "")[:64],
        )
    except services.OffsetConflict as conflict:
        from culturecloud.api import error_response

        return with_offset(error_response(request, conflict), conflict.expected)
    with_offset(response, session.received_bytes)
    return session_payload(session)


@router.post(
    "/sessions/{session_id}/complete",
    response={200: AssetOut, 201: AssetOut},
    url_name="media_session_complete",
    summary="Staff: finish a resumable upload",
)
def complete_session(request: HttpRequest, session_id: str) -> Any:
    user = user_of(request)
    session = services.get_session(actor=user, session_id=session_id)
    already = session.status == UploadStatus.COMPLETED
    asset = services.complete_upload(actor=user, session=session)
    asset.refresh_from_db()
    return Status(200 if already else 201, asset_payload(asset, user))


@router.delete(
    "/sessions/{session_id}", response={204: None}, summary="Staff: cancel a resumable upload"
)
def delete_session(request: HttpRequest, session_id: str) -> Any:
    user = user_of(request)
    services.abort_upload(
        actor=user, session=services.get_session(actor=user, session_id=session_id)
    )
    return Status(204, None)
