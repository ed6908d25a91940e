"""Every write to media assets and resumable uploads.

Uploads are checked by content (magic bytes, `detect`), by kind and by size before
anything is stored; the asset row is created, audited and its processing queued in one
transaction, and a failure on the way removes what was stored (nothing half-written).

Processing (`run_processing`, called by `tasks.process_asset`) is idempotent:
* it claims the asset with a conditional UPDATE (pending/processing → processing, with a
  fresh run token), so a ready or failed asset is left alone;
* it deletes whatever an earlier, interrupted run left behind before it starts;
* it writes its outputs under `media/<asset>/<run>/` and publishes them with a second
  conditional UPDATE on its run token, so a run overtaken by a newer one (a redelivered
  task) throws its own outputs away instead of publishing them.
A bad input (`processing.MediaRejected`) fails the asset at once with its reason; any other
error is transient: the task tries again with backoff and, when out of tries, fails the
asset with "processing_error". Either way the asset ends ready or visibly failed, and
`retry` (staff) queues a failed one again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import IO, Any

from django.db import models, transaction
from django.db.models import F, QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from culturecloud.core import audit, pagecache, ratelimit
from culturecloud.core.errors import Conflict, NotFound, RateLimited, ServiceError
from culturecloud.institutions.models import Institution
from culturecloud.institutions.permissions import Perm, check_perm, has_perm, scope_queryset

from . import conf, processing, signals, storage
from .detect import ACCEPTED, HEADER_BYTES, Detected, claimed_kind, name_contradicts, sniff
from .models import (
    STORAGE_PREFIX,
    AssetKind,
    AssetStatus,
    MediaAsset,
    UploadChunk,
    UploadSession,
    UploadStatus,
)

logger = logging.getLogger(__name__)

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
# A completing upload whose request died is taken over after this long.
COMPLETING_STALE = timedelta(minutes=30)
# A pending asset whose task never started (a broker outage) is queued again after this long.
PENDING_STALE = timedelta(minutes=10)
# Rows of finished or expired upload sessions are kept this long after they expire.
SESSION_ROW_RETENTION = timedelta(days=7)


class OffsetConflict(Conflict):
    """A chunk was sent for another offset than the one the upload continues at."""

    def __init__(self, *, expected: int, got: int) -> None:
        message = _("The upload continues at byte %(expected)s, not at byte %(got)s.") % {
            "expected": expected,
            "got": got,
        }
        super().__init__(message, code="offset_mismatch", fields={"offset": [message]})
        self.expected = expected


def _file_error(message: str, code: str, status: int = 400) -> ServiceError:
    return ServiceError(message, code=code, fields={"file": [message]}, status=status)


def _storage_unavailable() -> ServiceError:
    return ServiceError(
        _("The file could not be stored just now. Please try again in a moment."),
        code="storage_unavailable",
        status=503,
    )


# --- reading (scoped) -----------------------------------------------------------------------


def staff_assets(user: Any, perm: Perm = Perm.WORKBENCH) -> QuerySet[MediaAsset]:
    """Assets of the institutions in `user`'s scope for `perm`."""
    return scope_queryset(MediaAsset.objects.all(), user, perm)


def _parse_uuid(value: Any) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def get_asset(*, actor: Any, asset_id: Any, perm: Perm = Perm.WORKBENCH) -> MediaAsset:
    """The asset `asset_id` if `actor` may see it (NotFound otherwise) and holds `perm`
    on its institution (PermissionDenied otherwise)."""
    pk = _parse_uuid(asset_id)
    asset = (
        staff_assets(actor).select_related("institution").filter(pk=pk).first()
        if pk is not None
        else None
    )
    if asset is None:
        raise NotFound(_("No such media file."))
    check_perm(actor, perm, asset.institution)
    return asset


def get_session(*, actor: Any, session_id: Any) -> UploadSession:
    pk = _parse_uuid(session_id)
    session = (
        scope_queryset(UploadSession.objects.all(), actor, Perm.EDIT_CONTENT)
        .select_related("institution")
        .filter(pk=pk)
        .first()
        if pk is not None
        else None
    )
    if session is None:
        raise NotFound(_("No such upload."))
    return session


# --- checks ---------------------------------------------------------------------------------


def _accepted_kinds(kinds: Iterable[str] | None) -> list[str]:
    if not kinds:
        return list(AssetKind.values)
    accepted = [k for k in AssetKind.values if k in set(kinds)]
    if not accepted:
        raise ServiceError(_("Choose a valid kind of media."), code="invalid_kind")
    return accepted


def _check_institution(actor: Any, institution: Institution) -> None:
    check_perm(actor, Perm.EDIT_CONTENT, institution)
    if not institution.is_active:
        raise ServiceError(_("This institution no longer exists."), code="institution_inactive")


def _count_upload(actor: Any) -> None:
    """One more upload of `actor` (MEDIA_UPLOAD_RATE, shared cache): each file is stored,
    inspected and transcoded, so their number is bounded like other expensive requests."""
    limit, window = conf.get("MEDIA_UPLOAD_RATE")
    ratelimit.check(
        f"media-upload:{actor.pk}",
        (int(limit), int(window)),
        _("You have uploaded many files in a short time. Please try again later."),
    )


def clean_filename(name: str) -> str:
    """The last part of a client's file name, without control characters, at most 255."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    if len(base) > 255:
        stem, extension = os.path.splitext(base)
        base = stem[: 255 - len(extension[:20])] + extension[:20]
    return base or "upload"


def _kind_label(kind: str) -> str:
    return str(AssetKind(kind).label)


def _too_large(kind: str, size: int) -> ServiceError:
    return _file_error(
        _(
            "The file is too large (%(size)s): files of the kind “%(kind)s” may be at most "
            "%(limit)s."
        )
        % {
            "size": filesizeformat(size),
            "kind": _kind_label(kind),
            "limit": filesizeformat(conf.max_bytes(kind)),
        },
        "file_too_large",
        status=413,
    )


def check_content(*, header: bytes, filename: str, size: int, kinds: list[str]) -> Detected:
    """What the file is, from its first bytes; refuses a type we do not take, a kind not
    wanted here, a name that says another kind, and a size above the kind's limit."""
    mime, detected = sniff(header)
    if detected is None:
        if mime:
            message = _(
                "Files of this type (%(mime)s) are not accepted. Please upload an image, "
                "a video, an audio file or a PDF document."
            ) % {"mime": mime}
        else:
            message = _(
                "The type of this file could not be recognised from its content. Please "
                "upload an image, a video, an audio file or a PDF document."
            )
        raise _file_error(message, "unsupported_type", status=415)
    if detected.kind not in kinds:
        raise _file_error(
            _("This file is of the kind “%(kind)s”; accepted here: %(kinds)s.")
            % {
                "kind": _kind_label(detected.kind),
                "kinds": ", ".join(f"“{_kind_label(k)}”" for k in kinds),
            },
            "kind_not_accepted",
        )
    if name_contradicts(filename, detected.kind):
        claimed = claimed_kind(filename) or detected.kind
        raise _file_error(
            _(
                "The name of the file “%(name)s” says “%(claimed)s”, but its content is of the "
                "kind “%(actual)s” (%(mime)s). Please check that you chose the right file."
            )
            % {
                "name": filename,
                "claimed": _kind_label(claimed),
                "actual": _kind_label(detected.kind),
                "mime": detected.mime,
            },
            "mislabelled_file",
        )
    if size > conf.max_bytes(detected.kind):
        raise _too_large(detected.kind, size)
    return detected


# --- creating assets ------------------------------------------------------------------------


def _original_path(asset_id: uuid.UUID, detected: Detected) -> str:
    return f"{STORAGE_PREFIX}/{asset_id}/original.{detected.extension}"


def _create_asset(
    *,
    asset_id: uuid.UUID,
    actor: Any,
    institution: Institution,
    path: str,
    filename: str,
    detected: Detected,
    size: int,
    sha256: str,
    session: UploadSession | None = None,
) -> MediaAsset:
    """The row, its audit entry and its queued processing, in one transaction; the stored
    original is deleted again when the transaction fails."""
    try:
        with transaction.atomic():
            asset = MediaAsset.objects.create(
                id=asset_id,
                institution=institution,
                uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
                kind=detected.kind,
                status=AssetStatus.PENDING,
                original=path,
                original_name=filename,
                mime=detected.mime,
                size=size,
                sha256=sha256,
            )
            if session is not None:
                session.chunks.all().delete()
                UploadSession.objects.filter(pk=session.pk).update(
                    status=UploadStatus.COMPLETED, asset=asset, updated_at=timezone.now()
                )
                transaction.on_commit(lambda: _delete_tree_quietly(session.storage_dir))
            audit.record(
                "media.asset.uploaded",
                actor=actor,
                target=asset,
                after={
                    "kind": asset.kind,
                    "mime": asset.mime,
                    "size": asset.size,
                    "sha256": asset.sha256,
                    "name": asset.original_name,
                },
            )
            start_processing(asset)
    except BaseException:
        storage.delete_quietly(path)
        raise
    return asset


def create_asset_from_upload(
    *,
    actor: Any,
    institution: Institution,
    uploaded_file: IO[bytes],
    kinds: Iterable[str] | None = None,
) -> MediaAsset:
    """A file sent in one request (at most MEDIA_DIRECT_UPLOAD_MAX_BYTES): checked, stored
    as the original of a new asset, processing queued after commit. Needs EDIT_CONTENT."""
    _check_institution(actor, institution)
    _count_upload(actor)
    accepted = _accepted_kinds(kinds)
    filename = clean_filename(getattr(uploaded_file, "name", "") or "")
    size = getattr(uploaded_file, "size", None)
    if size is None:
        uploaded_file.seek(0, os.SEEK_END)
        size = uploaded_file.tell()
    if not size:
        raise _file_error(_("The file is empty."), "file_empty")
    direct_limit = int(conf.get("MEDIA_DIRECT_UPLOAD_MAX_BYTES"))
    if size > direct_limit:
        raise _file_error(
            _(
                "Files larger than %(limit)s must be sent in parts (resumable upload); "
                "this one has %(size)s."
            )
            % {"limit": filesizeformat(direct_limit), "size": filesizeformat(size)},
            "use_resumable_upload",
            status=413,
        )
    uploaded_file.seek(0)
    header = uploaded_file.read(HEADER_BYTES)
    detected = check_content(header=header, filename=filename, size=size, kinds=accepted)
    uploaded_file.seek(0)
    asset_id = uuid.uuid4()
    path = _original_path(asset_id, detected)
    reader = storage.HashingReader(uploaded_file)
    try:
        storage.save(path, reader)  # type: ignore[arg-type]
    except OSError as exc:
        storage.delete_quietly(path)
        logger.warning("media: storing an upload failed: %s", exc)
        raise _storage_unavailable() from exc
    if reader.size != size:
        storage.delete_quietly(path)
        raise _file_error(_("The file arrived incomplete. Please try again."), "file_incomplete")
    return _create_asset(
        asset_id=asset_id,
        actor=actor,
        institution=institution,
        path=path,
        filename=filename,
        detected=detected,
        size=size,
        sha256=reader.sha256.hexdigest(),
    )


# --- resumable uploads ----------------------------------------------------------------------


def create_upload_session(
    *,
    actor: Any,
    institution: Institution,
    filename: str,
    size: int,
    sha256: str = "",
    kinds: Iterable[str] | None = None,
) -> UploadSession:
    """Open a resumable upload of `size` bytes. The content is checked on the first chunk;
    here only what the request says: the size against the largest limit that can apply."""
    _check_institution(actor, institution)
    _count_upload(actor)
    accepted = _accepted_kinds(kinds)
    filename = clean_filename(filename)
    if size <= 0:
        raise _file_error(_("The file is empty."), "file_empty")
    claimed = claimed_kind(filename)
    candidates = [k for k in accepted if claimed is None or k == claimed] or accepted
    if claimed in (AssetKind.AUDIO, AssetKind.VIDEO):  # shared containers
        candidates = [k for k in accepted if k in (AssetKind.AUDIO, AssetKind.VIDEO)] or accepted
    largest = max(candidates, key=conf.max_bytes)
    if size > conf.max_bytes(largest):
        raise _too_large(largest, size)
    sha256 = (sha256 or "").strip().lower()
    if sha256 and not SHA256_RE.match(sha256):
        message = _("The checksum must be a SHA-256 digest in hexadecimal (64 characters).")
        raise ServiceError(message, code="invalid_checksum", fields={"sha256": [message]})
    now = timezone.now()
    open_sessions = UploadSession.objects.filter(
        created_by=actor, status=UploadStatus.OPEN, expires_at__gt=now
    ).count()
    if open_sessions >= int(conf.get("MEDIA_MAX_OPEN_SESSIONS")):
        raise RateLimited(
            _("You have too many unfinished uploads. Finish or cancel some of them first."),
            code="too_many_uploads",
            retry_after=600,
        )
    chunk_size = max(
        min(int(conf.get("MEDIA_UPLOAD_CHUNK_BYTES")), _max_chunk()),
        int(conf.get("MEDIA_UPLOAD_MIN_CHUNK_BYTES")),
    )
    return UploadSession.objects.create(
        institution=institution,
        created_by=actor,
        filename=filename,
        expected_size=size,
        chunk_size=chunk_size,
        sha256=sha256,
        kinds=accepted if kinds else [],
        expires_at=now + timedelta(seconds=int(conf.get("MEDIA_UPLOAD_SESSION_TTL"))),
    )


def _max_chunk() -> int:
    return int(conf.get("MEDIA_UPLOAD_MAX_CHUNK_BYTES"))


def _check_writable(session: UploadSession) -> None:
    if session.status == UploadStatus.EXPIRED or (
        session.status == UploadStatus.OPEN and session.expires_at <= timezone.now()
    ):
        raise ServiceError(
            _("This upload has expired. Please start it again."), code="upload_expired", status=410
        )
    if session.status == UploadStatus.FAILED:
        raise Conflict(
            session.error_message or _("This upload was refused."), code="upload_refused"
        )
    if session.status != UploadStatus.OPEN:
        raise Conflict(_("This upload is already finished."), code="upload_closed")


def _refuse_session(session: UploadSession, error: ServiceError) -> None:
    """Mark the upload refused (content or checksum) and drop its chunks."""
    with transaction.atomic():
        session.chunks.all().delete()
        UploadSession.objects.filter(pk=session.pk).update(
            status=UploadStatus.FAILED,
            error_code=error.code[:40],
            error_message=error.message[:500],
            updated_at=timezone.now(),
        )
    _delete_tree_quietly(session.storage_dir)


def _delete_tree_quietly(prefix: str) -> None:
    try:
        storage.delete_tree(prefix)
    except Exception:  # a leftover is swept by purge_expired_upload_sessions
        logger.warning("media: could not delete %s", prefix, exc_info=True)


def receive_chunk(
    *, actor: Any, session: UploadSession, offset: int, data: bytes, checksum: str = ""
) -> UploadSession:
    """Store the bytes `data` at `offset` of the upload.

    The chunk must start where the upload stands (`received_bytes`): a chunk already
    received (a retried request) is accepted again without effect, any other offset is
    refused with OffsetConflict, which tells the offset to continue at. The first chunk
    is checked by content. Chunks are stored first and then recorded under the session's
    row lock, so two requests racing with the same chunk record it once.
    """
    check_perm(actor, Perm.EDIT_CONTENT, session.institution)
    session.refresh_from_db()
    _check_writable(session)
    size = len(data)
    if offset < 0:
        message = _("The offset must be zero or more.")
        raise ServiceError(message, code="invalid_offset", fields={"offset": [message]})
    if size == 0:
        raise _file_error(_("The chunk is empty."), "chunk_empty")
    if size > _max_chunk():
        raise _file_error(
            _("A chunk may be at most %(limit)s.") % {"limit": filesizeformat(_max_chunk())},
            "chunk_too_large",
            status=413,
        )
    if offset + size > session.expected_size:
        raise _file_error(
            _("The chunk goes past the announced size of the file (%(size)s bytes).")
            % {"size": session.expected_size},
            "chunk_past_end",
        )
    if checksum and hashlib.sha256(data).hexdigest() != checksum.strip().lower():
        raise _file_error(
            _("The chunk was damaged on the way (checksum mismatch). Please send it again."),
            "chunk_checksum_mismatch",
        )
    if offset < session.received_bytes and offset + size <= session.received_bytes:
        return session  # already received: a retried request
    if offset != session.received_bytes:
        raise OffsetConflict(expected=session.received_bytes, got=offset)
    min_chunk = max(HEADER_BYTES, int(conf.get("MEDIA_UPLOAD_MIN_CHUNK_BYTES")))
    if offset + size < session.expected_size and size < min_chunk:
        raise _file_error(
            _("Every chunk but the last must be at least %(limit)s.")
            % {"limit": filesizeformat(min_chunk)},
            "chunk_too_small",
        )
    detected: Detected | None = None
    if offset == 0:
        try:
            detected = check_content(
                header=data[:HEADER_BYTES],
                filename=session.filename,
                size=session.expected_size,
                kinds=_accepted_kinds(session.kinds),
            )
        except ServiceError as error:
            _refuse_session(session, error)
            raise
    path = f"{session.storage_dir}/{offset:015d}-{uuid.uuid4().hex[:8]}.part"
    try:
        storage.save(path, data)
    except OSError as exc:
        storage.delete_quietly(path)
        logger.warning("media: storing a chunk failed: %s", exc)
        raise _storage_unavailable() from exc
    recorded = False
    try:
        with transaction.atomic():
            locked = UploadSession.objects.select_for_update().get(pk=session.pk)
            if locked.status == UploadStatus.OPEN and locked.received_bytes == offset:
                UploadChunk.objects.create(session=locked, offset=offset, size=size, path=path)
                locked.received_bytes = offset + size
                locked.updated_at = timezone.now()
                locked.expires_at = locked.updated_at + timedelta(
                    seconds=int(conf.get("MEDIA_UPLOAD_SESSION_TTL"))
                )
                fields = ["received_bytes", "updated_at", "expires_at"]
                if detected is not None:
                    locked.kind, locked.mime = detected.kind, detected.mime
                    fields += ["kind", "mime"]
                locked.save(update_fields=fields)
                recorded = True
    finally:
        if not recorded:
            storage.delete_quietly(path)
    if not recorded:  # another request got there first
        _check_writable(locked)
        if offset + size <= locked.received_bytes:
            return locked
        raise OffsetConflict(expected=locked.received_bytes, got=offset)
    return locked


def complete_upload(*, actor: Any, session: UploadSession) -> MediaAsset:
    """Join the chunks into the original of a new asset and queue its processing.
    Completing an upload twice returns the same asset."""
    check_perm(actor, Perm.EDIT_CONTENT, session.institution)
    session.refresh_from_db()
    if session.status == UploadStatus.COMPLETED and session.asset_id:
        return MediaAsset.objects.select_related("institution").get(pk=session.asset_id)
    now = timezone.now()
    stale_completing = (
        session.status == UploadStatus.COMPLETING and session.updated_at < now - COMPLETING_STALE
    )
    if not stale_completing:
        if session.status == UploadStatus.COMPLETING:
            raise Conflict(_("This upload is being completed already."), code="upload_busy")
        _check_writable(session)
    if session.received_bytes != session.expected_size:
        raise Conflict(
            _("The upload is not complete: %(received)s of %(expected)s bytes received.")
            % {"received": session.received_bytes, "expected": session.expected_size},
            code="upload_incomplete",
        )
    claimed = UploadSession.objects.filter(
        pk=session.pk, status=session.status, updated_at=session.updated_at
    ).update(status=UploadStatus.COMPLETING, updated_at=now)
    if not claimed:
        session.refresh_from_db()
        if session.status == UploadStatus.COMPLETED and session.asset_id:
            return MediaAsset.objects.select_related("institution").get(pk=session.asset_id)
        raise Conflict(_("This upload is being completed already."), code="upload_busy")

    def reopen() -> None:
        UploadSession.objects.filter(pk=session.pk, status=UploadStatus.COMPLETING).update(
            status=UploadStatus.OPEN, updated_at=timezone.now()
        )

    chunks = list(session.chunks.order_by("offset"))
    position = 0
    for chunk in chunks:
        if chunk.offset != position:
            break
        position += chunk.size
    if position != session.expected_size or not session.kind:
        error = ServiceError(
            _("The upload is damaged. Please start it again."), code="upload_damaged"
        )
        _refuse_session(session, error)
        raise error
    detected = Detected(session.kind, session.mime, ACCEPTED[session.mime][1])
    asset_id = uuid.uuid4()
    path = _original_path(asset_id, detected)
    joined = storage.ConcatenatedParts([chunk.path for chunk in chunks])
    try:
        storage.save(path, joined)  # type: ignore[arg-type]
    except OSError as exc:
        storage.delete_quietly(path)
        reopen()
        logger.warning("media: joining an upload failed: %s", exc)
        raise _storage_unavailable() from exc
    finally:
        joined.close()
    digest = joined.sha256.hexdigest()
    if joined.size != session.expected_size:
        storage.delete_quietly(path)
        error = ServiceError(
            _("The upload is damaged. Please start it again."), code="upload_damaged"
        )
        _refuse_session(session, error)
        raise error
    if session.sha256 and digest != session.sha256:
        storage.delete_quietly(path)
        message = _(
            "The file that arrived differs from the one you sent (checksum mismatch). "
            "Please upload it again."
        )
        error = ServiceError(message, code="checksum_mismatch", fields={"sha256": [message]})
        _refuse_session(session, error)
        raise error
    try:
        return _create_asset(
            asset_id=asset_id,
            actor=actor,
            institution=session.institution,
            path=path,
            filename=session.filename,
            detected=detected,
            size=session.expected_size,
            sha256=digest,
            session=session,
        )
    except BaseException:
        reopen()
        raise


def abort_upload(*, actor: Any, session: UploadSession) -> None:
    """Cancel an unfinished upload: its chunks are deleted."""
    check_perm(actor, Perm.EDIT_CONTENT, session.institution)
    session.refresh_from_db()
    if session.status in (UploadStatus.COMPLETED, UploadStatus.COMPLETING):
        raise Conflict(_("This upload is already finished."), code="upload_closed")
    prefix = session.storage_dir
    with transaction.atomic():
        session.delete()
    _delete_tree_quietly(prefix)


def purge_expired_upload_sessions() -> int:
    """Delete the chunks of uploads that expired unfinished (and old session rows)."""
    now = timezone.now()
    stale = UploadSession.objects.filter(
        expires_at__lte=now,
        status__in=[UploadStatus.OPEN, UploadStatus.FAILED, UploadStatus.COMPLETING],
    )
    count = 0
    for session in stale.iterator():
        with transaction.atomic():
            session.chunks.all().delete()
            count += UploadSession.objects.filter(pk=session.pk, status=session.status).update(
                status=UploadStatus.EXPIRED, updated_at=now
            )
        _delete_tree_quietly(session.storage_dir)
    UploadSession.objects.filter(expires_at__lte=now - SESSION_ROW_RETENTION).delete()
    return count


# --- processing -----------------------------------------------------------------------------


def start_processing(asset: MediaAsset) -> None:
    """Queue the processing of `asset` once the current transaction commits."""
    asset_id = str(asset.pk)
    transaction.on_commit(lambda: _enqueue(asset_id))


def _enqueue(asset_id: str) -> None:
    from .tasks import process_asset

    try:
        process_asset.delay(asset_id)
    except Exception:  # the broker is down: resume_stalled_processing queues it later
        logger.exception("media: could not queue the processing of %s", asset_id)


def run_processing(*, asset_id: str) -> MediaAsset | None:
    """Make the outputs of one asset (the body of `tasks.process_asset`). Returns the asset
    when this run finished it (ready or failed), None when there was nothing to do.
    Raises on a transient error (the task retries)."""
    token = uuid.uuid4().hex
    now = timezone.now()
    claimed = MediaAsset.objects.filter(
        pk=asset_id, status__in=[AssetStatus.PENDING, AssetStatus.PROCESSING]
    ).update(
        status=AssetStatus.PROCESSING,
        run_token=token,
        attempts=F("attempts") + 1,
        processing_started_at=now,
        updated_at=now,
    )
    if not claimed:
        return None
    asset = MediaAsset.objects.get(pk=asset_id)
    out = f"{asset.storage_dir}/{token[:12]}"
    # Whatever an interrupted run left behind goes first.
    storage.delete_tree(asset.storage_dir, keep=[asset.original.name])
    try:
        with storage.local_path(asset.original.name) as source:
            outputs = processing.process(asset.kind, source, out)
    except FileNotFoundError as exc:
        _delete_tree_quietly(out)
        if asset.original.name and asset.original.storage.exists(asset.original.name):
            raise  # the original is there: something else is missing; try again
        return _finish_failed(asset_id, token, "original_missing", str(exc))
    except processing.MediaRejected as exc:
        _delete_tree_quietly(out)
        return _finish_failed(asset_id, token, exc.code, exc.detail)
    except BaseException:
        _delete_tree_quietly(out)
        raise
    return _finish_ready(asset_id, token, outputs, out)


def _finish_ready(
    asset_id: str, token: str, outputs: processing.Outputs, out: str
) -> MediaAsset | None:
    with transaction.atomic():
        asset = (
            MediaAsset.objects.select_for_update()
            .filter(pk=asset_id, run_token=token, status=AssetStatus.PROCESSING)
            .first()
        )
        if asset is not None:
            before = {"status": asset.status, "kind": asset.kind}
            asset.status = AssetStatus.READY
            asset.kind = outputs.kind or asset.kind
            asset.metadata = outputs.metadata
            asset.renditions = outputs.renditions
            asset.hls_path = outputs.hls_path
            asset.poster_path = outputs.poster_path
            asset.preview_path = outputs.preview_path
            asset.error_code = asset.error_detail = ""
            asset.processed_at = asset.updated_at = timezone.now()
            asset.save()
            audit.record(
                "media.asset.processed",
                target=asset,
                before=before,
                after={
                    "status": asset.status,
                    "kind": asset.kind,
                    "renditions": sorted(asset.renditions),
                },
            )
            ready = asset
            transaction.on_commit(lambda: _send(signals.asset_ready, ready))
    if asset is None:  # overtaken by a newer run, or deleted
        _delete_tree_quietly(out)
    return asset


def _finish_failed(asset_id: str, token: str | None, code: str, detail: str) -> MediaAsset | None:
    with transaction.atomic():
        rows = MediaAsset.objects.select_for_update().filter(
            pk=asset_id, status=AssetStatus.PROCESSING
        )
        if token is not None:
            rows = rows.filter(run_token=token)
        asset = rows.first()
        if asset is None:
            return None
        asset.status = AssetStatus.FAILED
        asset.error_code = code[:40]
        asset.error_detail = (detail or "")[:500]
        asset.metadata, asset.renditions = {}, {}
        asset.hls_path = asset.poster_path = asset.preview_path = ""
        asset.processed_at = asset.updated_at = timezone.now()
        asset.save()
        audit.record(
            "media.asset.failed",
            target=asset,
            before={"status": AssetStatus.PROCESSING},
            after={"status": asset.status, "error_code": asset.error_code},
        )
        failed = asset
        transaction.on_commit(lambda: _send(signals.asset_failed, failed))
    return asset


def give_up_processing(*, asset_id: str, detail: str) -> MediaAsset | None:
    """Fail an asset whose processing kept failing for a transient reason."""
    try:
        storage.delete_tree(f"{STORAGE_PREFIX}/{asset_id}", keep=_original_names(asset_id))
    except Exception:
        logger.warning("media: could not clean the outputs of %s", asset_id, exc_info=True)
    return _finish_failed(asset_id, None, "processing_error", detail)


def _original_names(asset_id: str) -> list[str]:
    name = MediaAsset.objects.filter(pk=asset_id).values_list("original", flat=True).first()
    return [name] if name else []


def _send(signal: Any, asset: MediaAsset) -> None:
    for receiver, result in signal.send_robust(sender=MediaAsset, asset=asset):
        if isinstance(result, Exception):
            logger.error("media: a receiver of %s failed: %r", receiver, result, exc_info=result)


def retry(*, actor: Any, asset: MediaAsset) -> MediaAsset:
    """Queue a failed asset's processing again (EDIT_CONTENT)."""
    check_perm(actor, Perm.EDIT_CONTENT, asset.institution)
    with transaction.atomic():
        locked = MediaAsset.objects.select_for_update().get(pk=asset.pk)
        if locked.status != AssetStatus.FAILED:
            raise Conflict(
                _("Only a file whose processing failed can be processed again."),
                code="not_failed",
            )
        before = {"status": locked.status, "error_code": locked.error_code}
        MediaAsset.objects.filter(pk=locked.pk).update(
            status=AssetStatus.PENDING, error_code="", error_detail="", updated_at=timezone.now()
        )
        pagecache.content_changed()  # an UPDATE sends no post_save: pages showed "failed"
        locked.refresh_from_db()
        audit.record(
            "media.asset.retried", actor=actor, target=locked, before=before,
            after={"status": locked.status},
        )  # fmt: skip
        start_processing(locked)
    return locked


def delete_asset(*, actor: Any, asset: MediaAsset) -> None:
    """Delete an asset and its files (EDIT_CONTENT); refused while another record uses it."""
    check_perm(actor, Perm.EDIT_CONTENT, asset.institution)
    prefix = asset.storage_dir
    try:
        with transaction.atomic():
            locked = MediaAsset.objects.select_for_update().get(pk=asset.pk)
            audit.record(
                "media.asset.deleted",
                actor=actor,
                target=locked,
                before={"status": locked.status, "kind": locked.kind, "sha256": locked.sha256},
            )
            locked.delete()
            transaction.on_commit(lambda: _delete_tree_quietly(prefix))
    except models.ProtectedError as exc:
        raise Conflict(
            _("This file is still used elsewhere and cannot be deleted."), code="asset_in_use"
        ) from exc


def resume_stalled_processing() -> int:
    """Queue again assets whose processing never started (a lost task) or stopped (a
    worker that died): pending for PENDING_STALE, processing for
    MEDIA_PROCESSING_STALE_SECONDS. Safe because processing is idempotent."""
    now = timezone.now()
    stale_processing = now - timedelta(seconds=int(conf.get("MEDIA_PROCESSING_STALE_SECONDS")))
    ids = list(
        MediaAsset.objects.filter(
            models.Q(status=AssetStatus.PENDING, updated_at__lte=now - PENDING_STALE)
            | models.Q(status=AssetStatus.PROCESSING, processing_started_at__lte=stale_processing)
        ).values_list("pk", flat=True)[:500]
    )
    MediaAsset.objects.filter(pk__in=ids).update(updated_at=now)
    for asset_id in ids:
        _enqueue(str(asset_id))
    return len(ids)


def can_edit(user: Any, asset: MediaAsset) -> bool:
    return has_perm(user, Perm.EDIT_CONTENT, asset.institution)
