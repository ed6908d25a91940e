"""/api/v1/resources: list, search, detail, create, update, upload, attach, review (publish),
favorites, comments, play counter; error shapes, query counts, the OpenAPI document."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from culturecloud.core.models import AuditEntry
from culturecloud.media.models import AssetStatus, MediaAsset
from culturecloud.resources.models import Resource

from .conftest import image_bytes, pdf_bytes

API = "/api/v1/resources"


def post(client, url, data, method="post"):
    return getattr(client, method)(url, json.dumps(data), content_type="application/json")


def error_shape(response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == code and body["message"]
    if field is not None:
        assert body["fields"][field]
    return body


def test_create_update_review_publish_through_the_api(
    client, editor, reviewer, ready_asset, regions, django_capture_on_commit_callbacks
):
    asset = ready_asset("audio")
    client.force_login(editor)
    response = post(
        client,
        API,
        {
            "institution": "gd-gz-ch",
            "title": "粤曲《荔枝颂》",
            "kind": "audio",
            "category": "quyi",
            "ich_category": "traditional_music",
            "description": "<p>唱段</p><script>alert(1)</script>",
            "tags": ["粤曲", "岭南"],
            "region": "440117",
            "date": "1958-03-01",
            "media": str(asset.pk),
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    rid = body["id"]
    assert body["status"] == "draft" and body["description"] == "<p>唱段</p>"
    assert body["identifier"].startswith("cc:res:") and body["type"] == "Sound"
    assert body["year"] == 1958 and body["region"] == {"code": "440117", "name": "从化区"}
    assert body["media"]["state"] == "ready" and body["media"]["audio_url"].endswith(".m4a")
    assert body["format"] == "audio/mpeg" and body["publisher"] == "从化区文化馆"

    response = post(client, f"{API}/{rid}", {"subject": "粤剧唱段", "tags": ["粤曲"]}, "patch")
    assert response.status_code == 200
    assert response.json()["subject"] == "粤剧唱段" and response.json()["tags"] == ["粤曲"]

    # not public yet
    client.logout()
    error_shape(client.get(f"{API}/{rid}"), 404, "not_found")
    client.force_login(editor)
    assert post(client, f"{API}/{rid}/review", {"action": "submit"}).json()["status"] == "pending"
    error_shape(post(client, f"{API}/{rid}", {"title": "x"}, "patch"), 409, "not_editable")
    error_shape(
        post(client, f"{API}/{rid}/review", {"action": "approve"}), 403, "permission_denied"
    )
    client.force_login(reviewer)
    error_shape(post(client, f"{API}/{rid}/review", {"action": "reject"}), 400, "reason_required")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, f"{API}/{rid}/review", {"action": "approve"})
    assert response.json()["status"] == "published"

    client.logout()
    detail = client.get(f"{API}/{rid}")
    assert detail.status_code == 200 and "public" in detail["Cache-Control"]
    assert detail.json()["title"] == "粤曲《荔枝颂》"
    found = client.get(f"{API}/search", {"q": "荔枝"}).json()
    assert [i["object_id"] for i in found["items"]] == [str(rid)]
    facet_names = {f["name"] for f in found["facets"]}
    assert {"category", "kind", "ich_category", "year", "region", "institution"} <= facet_names
    ich = next(f for f in found["facets"] if f["name"] == "ich_category")
    assert ich["values"][0]["label"] == "Traditional music"
    assert client.get(API, {"ich_category": "traditional_music"}).json()["count"] == 1
    actions = set(
        AuditEntry.objects.filter(target_type="resources.resource").values_list("action", flat=True)
    )
    assert actions == {
        "resources.resource.created",
        "resources.resource.updated",
        "resources.resource.submitted",
        "resources.resource.approved",
    }


def test_error_shapes_of_bad_input(client, editor, staff):
    client.force_login(editor)
    base = {"institution": "gd-gz-ch", "title": "t", "kind": "video", "category": "music"}
    error_shape(
        post(client, API, {**base, "category": "戏曲"}), 400, "unknown_category", "category"
    )
    error_shape(
        post(client, API, {**base, "institution": "nowhere"}),
        404,
        "unknown_institution",
        "institution",
    )
    error_shape(post(client, API, {**base, "title": None}), 422, "validation_error", "title")
    error_shape(post(client, API, {**base, "inheritors": ["x"]}), 422, "validation_error")
    error_shape(post(client, API, {**base, "region": "12"}), 400, "unknown_region", "region")
    body = error_shape(
        post(client, API, {**base, "category": "x", "kind": "y", "date": "soon"}),
        400,
        "validation_error",
    )
    assert set(body["fields"]) == {"category", "kind", "date"}
    client.force_login(staff["sibling_editor"])
    error_shape(post(client, API, base), 403, "permission_denied")
    client.logout()
    error_shape(post(client, API, base), 401, "not_authenticated")
    assert not Resource.objects.exists()
    error_shape(client.get(API, {"category": "opera"}), 400, "unknown_category", "category")
    error_shape(client.get(API, {"region": "999999"}), 400, "unknown_region", "region")
    error_shape(client.get(f"{API}/999"), 404, "not_found")
    error_shape(client.get(f"{API}/search", {"q": "x" * 101}), 422, "validation_error")


def test_staff_reads_are_scoped(client, make_resource, staff):
    resource = make_resource()
    client.force_login(staff["sibling_editor"])
    assert client.get(f"{API}/staff").json()["count"] == 0
    error_shape(client.get(f"{API}/staff/{resource.pk}"), 404, "not_found")
    error_shape(post(client, f"{API}/{resource.pk}", {"title": "x"}, "patch"), 404, "not_found")
    client.force_login(staff["city_editor"])
    assert client.get(f"{API}/staff").json()["items"][0]["id"] == resource.pk
    assert client.get(f"{API}/staff/{resource.pk}")["Cache-Control"] == "private, no-store"


def test_upload_through_the_media_app(
    client, editor, make_resource, django_capture_on_commit_callbacks
):
    resource = make_resource("海报", kind="image", category="fine_arts")
    client.force_login(editor)
    url = f"{API}/{resource.pk}/upload"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"file": SimpleUploadedFile("poster.jpg", image_bytes())})
    assert response.status_code == 201, response.content
    assert response.json()["media"]["asset_ids"]
    resource.refresh_from_db()
    assert resource.media is not None and resource.media.status == AssetStatus.READY
    assert response.json()["status"] == "draft"
    # the page now shows the viewer with the large rendition
    html = client.get(resource.get_absolute_url()).content.decode()
    assert "data-deepzoom" in html and resource.media.best_rendition("large")["path"] in html


def test_mislabelled_corrupt_and_oversized_uploads(
    client, editor, make_resource, settings, django_capture_on_commit_callbacks
):
    resource = make_resource("海报", kind="image", category="fine_arts")
    client.force_login(editor)
    url = f"{API}/{resource.pk}/upload"
    # a picture named .pdf: mislabelled, refused before anything is stored
    body = error_shape(
        client.post(url, {"file": SimpleUploadedFile("photo.pdf", image_bytes())}),
        400,
        "mislabelled_file",
        "file",
    )
    assert "photo.pdf" in body["message"]
    # a PDF named .pdf on an image resource: the wrong kind
    error_shape(
        client.post(url, {"file": SimpleUploadedFile("a.pdf", pdf_bytes())}),
        400,
        "kind_not_accepted",
    )
    settings.MEDIA_MAX_BYTES = {"image": 100}
    error_shape(
        client.post(url, {"file": SimpleUploadedFile("big.jpg", image_bytes())}),
        413,
        "file_too_large",
    )
    assert not MediaAsset.objects.exists()
    assert not list((settings.MEDIA_ROOT).rglob("*.*")) if settings.MEDIA_ROOT.exists() else True
    resource.refresh_from_db()
    assert resource.media_id is None
    # a damaged JPEG is accepted, then fails in processing: the page says why
    settings.MEDIA_MAX_BYTES = {}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"file": SimpleUploadedFile("bad.jpg", image_bytes()[:120])})
    assert response.status_code == 201
    resource.refresh_from_db()
    assert resource.media.status == AssetStatus.FAILED
    staff_view = client.get(f"{API}/staff/{resource.pk}").json()
    assert staff_view["media"]["state"] == "failed"
    assert "could not be read" in staff_view["media"]["error"]
    html = client.get(resource.get_absolute_url()).content.decode()
    assert "Processing failed." in html and "Process “bad.jpg” again" in html


def test_upload_to_a_published_resource_is_refused(client, editor, published):
    resource = published("已发布", kind="image", category="fine_arts")
    client.force_login(editor)
    error_shape(
        client.post(
            f"{API}/{resource.pk}/upload", {"file": SimpleUploadedFile("a.jpg", image_bytes())}
        ),
        409,
        "not_editable",
    )
    assert not MediaAsset.objects.exists()


def test_attach_media_and_image_set_upload(
    client, editor, make_resource, ready_asset, django_capture_on_commit_callbacks
):
    video = ready_asset("video")
    resource = make_resource("视频")
    client.force_login(editor)
    response = post(client, f"{API}/{resource.pk}/media", {"media": str(video.pk)}, "put")
    assert response.json()["media"]["state"] == "ready"
    assert response.json()["media"]["hls_url"].endswith("master.m3u8")
    response = post(client, f"{API}/{resource.pk}/media", {"media": None}, "put")
    assert response.json()["media"]["state"] == "none"

    gallery = make_resource("组图", kind="image_set", category="photography")
    for name in ("1.jpg", "2.png"):
        fmt = "PNG" if name.endswith("png") else "JPEG"
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"{API}/{gallery.pk}/upload",
                {"file": SimpleUploadedFile(name, image_bytes(fmt=fmt))},
            )
        assert response.status_code == 201
    body = client.get(f"{API}/staff/{gallery.pk}").json()
    assert len(body["media"]["asset_ids"]) == 2 and len(body["media"]["images"]) == 2


def test_favorites_comments_and_plays(client, published, make_user, reviewer):
    resource = published()
    rid = resource.pk
    error_shape(client.post(f"{API}/{rid}/favorite"), 401, "not_authenticated")
    assert client.post(f"{API}/{rid}/play").json() == {"counted": True}
    assert client.post(f"{API}/{rid}/play").json() == {"counted": False}
    error_shape(client.post(f"{API}/424242/play"), 404, "not_found")
    reader = make_user()
    client.force_login(reader)
    assert client.post(f"{API}/{rid}/favorite").json() == {"favorite": True, "favorites": 1}
    assert client.post(f"{API}/{rid}/favorite").json() == {"favorite": True, "favorites": 1}
    assert client.delete(f"{API}/{rid}/favorite").json() == {"favorite": False, "favorites": 0}
    response = post(client, f"{API}/{rid}/comments", {"body": "<b>好</b>"})
    assert response.status_code == 201 and response.json()["status"] == "pending"
    assert response.json()["body"] == "好"
    error_shape(post(client, f"{API}/{rid}/comments", {"body": "  "}), 400, "required", "body")
    for _ in range(5):
        post(client, f"{API}/{rid}/comments", {"body": "再来"})
    response = post(client, f"{API}/{rid}/comments", {"body": "太多"})
    error_shape(response, 429, "rate_limited")
    assert response["Retry-After"]
    assert client.get(f"{API}/{rid}/comments").json()["count"] == 0
    resource.refresh_from_db()
    assert resource.play_count == 1


def test_list_and_detail_query_counts(client, published, ready_asset, django_assert_num_queries):
    for n in range(5):
        published(f"资源{n}", media=ready_asset("video").pk, tags=["一", "二"])
    with django_assert_num_queries(2):  # count, page: no image set, no images to read
        assert len(client.get(API).json()["items"]) == 5
    published("组图", kind="image_set", images=[ready_asset("image").pk])
    with django_assert_num_queries(3):  # count, page, the image set's images with their assets
        body = client.get(API, {"page_size": 50}).json()
    assert body["count"] == 6 and len(body["items"]) == 6
    # Cards load a few columns only: the thumbnails (of a video, of an image set) are there.
    assert all(item["thumbnail"] for item in body["items"])
    rid = body["items"][-1]["id"]
    with django_assert_num_queries(4):  # resource, tags, inheritors, images
        assert client.get(f"{API}/{rid}").status_code == 200


def test_collections_and_vocabularies(client, tree, editor, reviewer, published):
    from culturecloud.core import review
    from culturecloud.resources import services

    one = published("一")
    collection = services.create_collection(
        actor=editor, institution=tree.county, title="专题", resource_ids=[one.pk]
    )
    review.submit(collection, actor=editor)
    review.approve(collection, actor=reviewer)
    assert client.get(f"{API}/collections").json()["items"][0]["title"] == "专题"
    detail = client.get(f"{API}/collections/{collection.pk}").json()
    assert [r["id"] for r in detail["resources"]] == [one.pk]
    error_shape(client.get(f"{API}/collections/999"), 404, "not_found")
    vocab = client.get(f"{API}/vocabularies").json()
    assert len(vocab["ich_categories"]) == 10 and len(vocab["categories"]) == 9
    assert {c["value"] for c in vocab["rights"]} == {"cc0", "cc_by", "cc_by_nc", "in_copyright"}


def test_openapi_documents_every_endpoint(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    expected = {
        ("get", f"{API}"),
        ("post", f"{API}"),
        ("get", f"{API}/search"),
        ("get", f"{API}/{{resource_id}}"),
        ("patch", f"{API}/{{resource_id}}"),
        ("post", f"{API}/{{resource_id}}/upload"),
        ("put", f"{API}/{{resource_id}}/media"),
        ("post", f"{API}/{{resource_id}}/review"),
        ("post", f"{API}/{{resource_id}}/favorite"),
        ("post", f"{API}/{{resource_id}}/comments"),
        ("get", f"{API}/collections"),
    }
    for method, path in expected:
        assert method in paths[path], (method, path)


@pytest.mark.parametrize("kind", ["video", "audio", "document"])
def test_detail_media_payload_per_kind(client, published, ready_asset, kind):
    asset = ready_asset(kind)
    resource = published("资源", kind=kind, media=asset.pk)
    media = client.get(f"{API}/{resource.pk}").json()["media"]
    assert media["state"] == "ready" and media["kind"] == kind
    assert (media["hls_url"] or media["audio_url"] or media["pdf_url"]).startswith("/media/")
