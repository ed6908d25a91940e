"""/api/v1/media: one-request uploads, resumable uploads, status, retry, scope, bad input."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from culturecloud.core.models import AuditEntry
from culturecloud.institutions.models import Role
from culturecloud.media import services
from culturecloud.media.models import (
    AssetStatus,
    MediaAsset,
    UploadChunk,
    UploadSession,
    UploadStatus,
)

from .conftest import image_bytes, pdf_bytes

API = "/api/v1/media"


def error_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == code, body
    assert body["message"]
    return body


def stored_files(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def post_file(client, data: bytes, name: str, institution: str = "gd-gz-ch", **extra):
    return client.post(
        f"{API}/assets",
        {"institution": institution, "file": SimpleUploadedFile(name, data), **extra},
    )


# --- one-request uploads -------------------------------------------------------------------


def test_upload_image_and_read_it_back(
    editor_client, tree, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(editor_client, image_bytes(900, 600), "photo.jpg")
    assert response.status_code == 201, response.content
    body = response.json()
    asset_id = body["id"]
    with django_assert_max_num_queries(4):
        response = editor_client.get(f"{API}/assets/{asset_id}")
    assert response.status_code == 200
    body = response.json()
    assert response["Cache-Control"] == "private, no-store"
    assert body["status"] == "ready" and body["kind"] == "image"
    assert body["institution_code"] == "gd-gz-ch"
    assert body["mime"] == "image/jpeg"
    names = {r["name"]: r for r in body["renditions"]}
    assert set(names) == {
        "thumbnail",
        "thumbnail_webp",
        "medium",
        "medium_webp",
        "large",
        "large_webp",
    }
    assert names["large"]["width"] == 900  # never upscaled to 1600
    assert names["thumbnail"]["url"].startswith("/media/media/")
    assert body["preview_url"] and body["error_code"] == "" and body["can_retry"] is False
    assert body["metadata"] == {
        "width": 900,
        "height": 600,
        "format": "JPEG",
        "frames": 1,
        "has_alpha": False,
    }


def test_mislabelled_file_is_detected_by_content(editor_client, settings):
    response = post_file(editor_client, pdf_bytes(1), "holiday.jpg")
    body = error_shape(response, 400, "mislabelled_file")
    assert "PDF" in body["message"] or "application/pdf" in body["message"]
    assert body["fields"]["file"]
    assert MediaAsset.objects.count() == 0
    assert stored_files(settings.MEDIA_ROOT) == []


def test_unknown_content_is_refused(editor_client, settings):
    response = post_file(editor_client, b"just some text, not a picture" * 10, "notes.jpg")
    error_shape(response, 415, "unsupported_type")
    response = post_file(editor_client, b"PK\x03\x04" + b"\x00" * 200, "archive.zip")
    body = error_shape(response, 415, "unsupported_type")
    assert "application/zip" in body["message"]
    assert MediaAsset.objects.count() == 0 and stored_files(settings.MEDIA_ROOT) == []


def test_kind_not_wanted_is_refused(editor_client):
    response = post_file(editor_client, image_bytes(50, 50), "a.jpg", kinds="video,audio")
    error_shape(response, 400, "kind_not_accepted")


def test_oversized_files_get_a_clear_error(editor_client, settings):
    settings.MEDIA_MAX_BYTES = {"image": 2000}
    response = post_file(editor_client, image_bytes(300, 300), "big.jpg")
    body = error_shape(response, 413, "file_too_large")
    assert "at most" in body["message"]
    settings.MEDIA_MAX_BYTES = {}
    settings.MEDIA_DIRECT_UPLOAD_MAX_BYTES = 1000
    response = post_file(editor_client, image_bytes(300, 300), "big.jpg")
    error_shape(response, 413, "use_resumable_upload")
    response = post_file(editor_client, b"", "empty.jpg")
    assert response.status_code in (400, 422)
    assert MediaAsset.objects.count() == 0 and stored_files(settings.MEDIA_ROOT) == []


def test_a_failed_database_write_leaves_no_file(editor_client, settings, monkeypatch):
    from culturecloud.core import audit

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        post_file(editor_client, image_bytes(50, 50), "a.jpg")
    assert MediaAsset.objects.count() == 0
    assert stored_files(settings.MEDIA_ROOT) == []


# --- scope --------------------------------------------------------------------------------


@pytest.fixture
def failed_asset(tree, editor, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        asset = services.create_asset_from_upload(
            actor=editor,
            institution=tree.county,
            uploaded_file=SimpleUploadedFile("broken.jpg", image_bytes(80, 80)[:200]),
        )
    asset.refresh_from_db()
    assert asset.status == AssetStatus.FAILED
    return asset


def test_failed_asset_shows_reason_and_retries(
    editor_client, failed_asset, django_capture_on_commit_callbacks
):
    body = editor_client.get(f"{API}/assets/{failed_asset.pk}").json()
    assert body["status"] == "failed" and body["status_label"]
    assert body["error_code"] == "corrupt_image" and "damaged" in body["error_message"]
    assert body["can_retry"] is True
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(f"{API}/assets/{failed_asset.pk}/retry")
    assert response.status_code == 200
    failed_asset.refresh_from_db()
    assert failed_asset.attempts == 2 and failed_asset.status == AssetStatus.FAILED
    assert AuditEntry.objects.filter(action="media.asset.retried").count() == 1


def test_retry_of_a_ready_asset_is_refused(editor_client, failed_asset):
    MediaAsset.objects.filter(pk=failed_asset.pk).update(status=AssetStatus.READY)
    error_shape(editor_client.post(f"{API}/assets/{failed_asset.pk}/retry"), 409, "not_failed")


def test_sibling_county_cannot_see_or_retry(client, failed_asset, sibling_editor):
    client.force_login(sibling_editor)
    error_shape(client.get(f"{API}/assets/{failed_asset.pk}"), 404, "not_found")
    error_shape(client.post(f"{API}/assets/{failed_asset.pk}/retry"), 404, "not_found")
    error_shape(client.delete(f"{API}/assets/{failed_asset.pk}"), 404, "not_found")
    assert client.get(f"{API}/assets").json() == {
        "items": [],
        "count": 0,
        "count_is_capped": False,
    }
    response = post_file(client, image_bytes(40, 40), "a.jpg", institution="gd-gz-ch")
    error_shape(response, 403, "permission_denied")


def test_parent_reviewer_sees_but_cannot_retry(client, failed_asset, tree, make_user):
    reviewer = make_user(role=Role.REVIEWER, institution=tree.city)
    client.force_login(reviewer)
    body = client.get(f"{API}/assets/{failed_asset.pk}").json()
    assert body["status"] == "failed" and body["can_retry"] is False
    error_shape(client.post(f"{API}/assets/{failed_asset.pk}/retry"), 403, "permission_denied")


def test_anonymous_is_refused(client, failed_asset):
    error_shape(client.get(f"{API}/assets/{failed_asset.pk}"), 401, "not_authenticated")
    error_shape(client.post(f"{API}/sessions", {}, content_type="application/json"), 401,
                "not_authenticated")  # fmt: skip


def test_list_is_scoped_filtered_and_query_counted(
    client, failed_asset, tree, make_user, django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):  # fmt: skip
    admin = make_user(role=Role.ADMIN, institution=tree.city)
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            services.create_asset_from_upload(
                actor=admin,
                institution=tree.township,
                uploaded_file=SimpleUploadedFile("p.png", image_bytes(30, 30, "PNG")),
            )
    client.force_login(admin)
    with django_assert_max_num_queries(5):
        body = client.get(f"{API}/assets").json()
    assert body["count"] == 4
    body = client.get(f"{API}/assets", {"status": "failed"}).json()
    assert [i["id"] for i in body["items"]] == [str(failed_asset.pk)]
    body = client.get(f"{API}/assets", {"institution": "gd-gz-ch-tp"}).json()
    assert body["count"] == 3
    error_shape(client.get(f"{API}/assets", {"status": "bogus"}), 400, "invalid_filter")


def test_delete_asset_removes_files(
    editor_client, failed_asset, settings, django_capture_on_commit_callbacks
):
    assert stored_files(settings.MEDIA_ROOT)
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.delete(f"{API}/assets/{failed_asset.pk}")
    assert response.status_code == 204
    assert not MediaAsset.objects.filter(pk=failed_asset.pk).exists()
    assert stored_files(settings.MEDIA_ROOT) == []
    assert AuditEntry.objects.filter(action="media.asset.deleted").count() == 1


def test_bad_ids_are_404(editor_client):
    error_shape(editor_client.get(f"{API}/assets/not-a-uuid"), 404, "not_found")
    error_shape(editor_client.get(f"{API}/sessions/12"), 404, "not_found")


# --- resumable uploads ---------------------------------------------------------------------

CHUNK = 16 * 1024


@pytest.fixture(autouse=True)
def small_chunks(settings):
    settings.MEDIA_UPLOAD_MIN_CHUNK_BYTES = CHUNK
    settings.MEDIA_UPLOAD_CHUNK_BYTES = CHUNK


def start(client, data: bytes, name: str = "clip.mp4", **extra) -> dict:
    response = client.post(
        f"{API}/sessions",
        {"institution": "gd-gz-ch", "filename": name, "size": len(data), **extra},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def put(client, session: dict, data: bytes, offset: int, **headers):
    return client.put(
        f"{session['chunk_url']}?offset={offset}",
        data=data,
        content_type="application/octet-stream",
        headers=headers,
    )


def test_chunked_upload_with_resume_duplicate_and_out_of_order(
    editor_client, clip_360, settings, django_capture_on_commit_callbacks
):
    data = clip_360
    assert len(data) > 3 * CHUNK
    session = start(editor_client, data, sha256=hashlib.sha256(data).hexdigest())
    assert session["offset"] == 0 and session["chunk_size"] == CHUNK
    assert session["status"] == "open"

    response = put(editor_client, session, data[:CHUNK], 0)
    assert response.status_code == 200 and response.json()["offset"] == CHUNK
    assert response["Upload-Offset"] == str(CHUNK)
    assert response.json()["kind"] == "video"

    # The same chunk again (the client never saw the answer): accepted, nothing changes.
    response = put(editor_client, session, data[:CHUNK], 0)
    assert response.status_code == 200 and response.json()["offset"] == CHUNK
    assert UploadChunk.objects.count() == 1

    # A chunk is lost; the next one arrives out of order and is refused with the offset.
    response = put(editor_client, session, data[2 * CHUNK : 3 * CHUNK], 2 * CHUNK)
    body = error_shape(response, 409, "offset_mismatch")
    assert response["Upload-Offset"] == str(CHUNK)
    assert body["fields"]["offset"]

    # Completing early is refused.
    error_shape(editor_client.post(session["complete_url"]), 409, "upload_incomplete")

    # The client asks where to resume and sends the rest.
    status = editor_client.get(f"{API}/sessions/{session['id']}").json()
    offset = status["offset"]
    assert offset == CHUNK
    while offset < len(data):
        piece = data[offset : offset + CHUNK]
        checksum = hashlib.sha256(piece).hexdigest()
        response = put(editor_client, session, piece, offset, X_Chunk_Sha256=checksum)
        assert response.status_code == 200, response.content
        offset = response.json()["offset"]

    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(session["complete_url"])
    assert response.status_code == 201, response.content
    asset = response.json()
    assert asset["size"] == len(data) and asset["sha256"] == hashlib.sha256(data).hexdigest()
    assert asset["original_name"] == "clip.mp4"
    asset_row = MediaAsset.objects.get(pk=asset["id"])
    assert asset_row.status == AssetStatus.READY and asset_row.metadata["ladder"] == ["360p"]
    with default_storage.open(asset_row.original.name, "rb") as original:
        assert original.read() == data
    # The chunks are gone; completing again answers with the same asset.
    assert UploadChunk.objects.count() == 0
    assert not default_storage.exists(f"media/uploads/{session['id']}")
    again = editor_client.post(session["complete_url"])
    assert again.status_code == 200 and again.json()["id"] == asset["id"]
    error_shape(put(editor_client, session, data[:CHUNK], 0), 409, "upload_closed")


def test_chunk_checks(editor_client, clip_360, settings):
    settings.MEDIA_UPLOAD_MAX_CHUNK_BYTES = 2 * CHUNK
    data = clip_360
    session = start(editor_client, data)
    piece = data[:CHUNK]
    error_shape(put(editor_client, session, piece, 0, X_Chunk_Sha256="0" * 64), 400,
                "chunk_checksum_mismatch")  # fmt: skip
    error_shape(put(editor_client, session, data[: 3 * CHUNK], 0), 413, "chunk_too_large")
    error_shape(put(editor_client, session, data[:100], 0), 400, "chunk_too_small")
    error_shape(put(editor_client, session, b"", 0), 400, "chunk_empty")
    assert put(editor_client, session, piece, 0).status_code == 200
    tail = len(data) - 10
    error_shape(put(editor_client, session, data[tail:] + b"x" * 20, tail), 400,
                "chunk_past_end")  # fmt: skip
    assert (
        editor_client.put(
            f"{session['chunk_url']}?offset=-1", data=piece, content_type="application/octet-stream"
        ).status_code
        == 422
    )


def test_first_chunk_is_checked_by_content(editor_client, settings):
    data = pdf_bytes(1) + b"\x00" * CHUNK
    session = start(editor_client, data, name="movie.mp4")
    response = put(editor_client, session, data[:CHUNK], 0)
    error_shape(response, 400, "mislabelled_file")
    status = editor_client.get(f"{API}/sessions/{session['id']}").json()
    assert status["status"] == "failed" and status["error_code"] == "mislabelled_file"
    error_shape(put(editor_client, session, data[:CHUNK], 0), 409, "upload_refused")
    assert stored_files(settings.MEDIA_ROOT) == []


def test_session_size_limits(editor_client, settings):
    settings.MEDIA_MAX_BYTES = {"image": 1000, "audio": 2000, "document": 3000, "video": 4000}
    response = editor_client.post(
        f"{API}/sessions",
        {"institution": "gd-gz-ch", "filename": "a.mp4", "size": 5000},
        content_type="application/json",
    )
    body = error_shape(response, 413, "file_too_large")
    assert "Video" in body["message"]
    response = editor_client.post(
        f"{API}/sessions",
        {"institution": "gd-gz-ch", "filename": "a.jpg", "size": 1500},
        content_type="application/json",
    )
    error_shape(response, 413, "file_too_large")
    response = editor_client.post(
        f"{API}/sessions",
        {"institution": "gd-gz-ch", "filename": "a.mp4", "size": 0},
        content_type="application/json",
    )
    assert response.status_code == 422
    response = editor_client.post(
        f"{API}/sessions",
        {"institution": "gd-gz-ch", "filename": "a.mp4", "size": 10, "sha256": "xyz"},
        content_type="application/json",
    )
    error_shape(response, 400, "invalid_checksum")
    response = editor_client.post(
        f"{API}/sessions",
        {"institution": "nowhere", "filename": "a.mp4", "size": 10},
        content_type="application/json",
    )
    error_shape(response, 404, "not_found")


def test_checksum_mismatch_on_complete(editor_client, settings):
    data = image_bytes(64, 64, "PNG")
    session = start(editor_client, data, name="a.png", sha256="a" * 64)
    assert put(editor_client, session, data, 0).status_code == 200
    error_shape(editor_client.post(session["complete_url"]), 400, "checksum_mismatch")
    assert MediaAsset.objects.count() == 0
    assert stored_files(settings.MEDIA_ROOT) == []


def test_expired_session_is_refused_and_purged(editor_client, clip_360, settings):
    data = clip_360
    session = start(editor_client, data)
    assert put(editor_client, session, data[:CHUNK], 0).status_code == 200
    assert stored_files(settings.MEDIA_ROOT)
    UploadSession.objects.filter(pk=session["id"]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    error_shape(put(editor_client, session, data[CHUNK : 2 * CHUNK], CHUNK), 410,
                "upload_expired")  # fmt: skip
    error_shape(editor_client.post(session["complete_url"]), 410, "upload_expired")
    from culturecloud.media.tasks import purge_expired_upload_sessions

    assert purge_expired_upload_sessions.delay().get() == 1
    assert UploadSession.objects.get(pk=session["id"]).status == UploadStatus.EXPIRED
    assert UploadChunk.objects.count() == 0
    assert stored_files(settings.MEDIA_ROOT) == []
    UploadSession.objects.filter(pk=session["id"]).update(
        expires_at=timezone.now() - timedelta(days=8)
    )
    purge_expired_upload_sessions.delay()
    assert not UploadSession.objects.filter(pk=session["id"]).exists()


def test_cancel_upload(editor_client, clip_360, settings):
    session = start(editor_client, clip_360)
    assert put(editor_client, session, clip_360[:CHUNK], 0).status_code == 200
    assert editor_client.delete(f"{API}/sessions/{session['id']}").status_code == 204
    assert not UploadSession.objects.exists() and stored_files(settings.MEDIA_ROOT) == []


def test_sibling_county_cannot_use_a_session(client, editor_client, sibling_editor, clip_360):
    session = start(editor_client, clip_360)
    client.force_login(sibling_editor)
    error_shape(client.get(f"{API}/sessions/{session['id']}"), 404, "not_found")
    error_shape(put(client, session, clip_360[:CHUNK], 0), 404, "not_found")
    error_shape(client.post(session["complete_url"]), 404, "not_found")


def test_too_many_open_uploads(editor_client, settings):
    settings.MEDIA_MAX_OPEN_SESSIONS = 2
    start(editor_client, b"x" * 10)
    start(editor_client, b"x" * 10)
    response = editor_client.post(
        f"{API}/sessions",
        {"institution": "gd-gz-ch", "filename": "a.mp4", "size": 10},
        content_type="application/json",
    )
    error_shape(response, 429, "too_many_uploads")


def test_openapi_lists_media_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/media/assets",
        "/api/v1/media/assets/{asset_id}",
        "/api/v1/media/assets/{asset_id}/retry",
        "/api/v1/media/sessions",
        "/api/v1/media/sessions/{session_id}",
        "/api/v1/media/sessions/{session_id}/chunks",
        "/api/v1/media/sessions/{session_id}/complete",
    ):
        assert path in paths, path
    chunk = paths["/api/v1/media/sessions/{session_id}/chunks"]["put"]
    assert "application/octet-stream" in chunk["requestBody"]["content"]


def test_a_chunk_larger_than_the_form_memory_limit_is_accepted(editor_client, settings):
    # Chunks are read from the request stream, not request.body (DATA_UPLOAD_MAX_MEMORY_SIZE).
    size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 512 * 1024
    data = (pdf_bytes(1) + b"\n%" + b"0" * size)[:size]
    session = start(editor_client, data, name="big.pdf")
    response = put(editor_client, session, data, 0)
    assert response.status_code == 200, response.content
    assert response.json()["offset"] == size and response.json()["kind"] == "document"


def test_the_staff_list_reads_only_its_page_and_counts_to_the_cap(
    client, tree, editor, monkeypatch, django_capture_on_commit_callbacks
):
    """An institution high in the tree has as many files as the library: the list reads the
    page's files only, its count stops at the cap and so do its pages."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from culturecloud.core import pagination

    monkeypatch.setattr(pagination, "RESULT_CAP", 3)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(5):
            services.create_asset_from_upload(
                actor=editor,
                institution=tree.county,
                uploaded_file=SimpleUploadedFile(f"p{n}.jpg", image_bytes(40 + n, 40)),
            )
    client.force_login(editor)
    with CaptureQueriesContext(connection) as queries:
        body = client.get(f"{API}/assets", {"page_size": 2}).json()
    assert body["count"] == 3 and body["count_is_capped"] is True
    assert [a["original_name"] for a in body["items"]] == ["p4.jpg", "p3.jpg"]  # newest first
    # the session, the user, the scope, the capped count and the page: not one query a file
    assert len(queries) <= 6
    deep = client.get(f"{API}/assets", {"page_size": 2, "page": 3})
    assert deep.status_code == 400 and deep.json()["code"] == "page_too_deep"
    # The workbench page clamps a page past the cap to the last one, as the other lists do.
    page = client.get("/uploads/", {"institution": tree.county.code, "page": "99999"})
    assert page.status_code == 200
    html = page.content.decode()
    # 20 a page: page 1, with the first three files the cap reaches
    assert all(f"p{n}.jpg" in html for n in (4, 3, 2))
    assert "p1.jpg" not in html and "p0.jpg" not in html
    assert "More than 3 files" in html
