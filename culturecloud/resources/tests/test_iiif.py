"""IIIF Image API 3.0 (level 1) and Presentation API 3.0, checked against the specifications'
rules: required properties per type, ids are URIs, language maps, integer dimensions, the
shape of services; images cut from the real stored original."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlparse

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from culturecloud.core import review
from culturecloud.resources import services
from culturecloud.resources.models import Resource
from culturecloud.resources.presentation import iiif_info_url

from .conftest import image_bytes

IMAGE_CONTEXT = "http://iiif.io/api/image/3/context.json"
PRESENTATION_CONTEXT = "http://iiif.io/api/presentation/3/context.json"


@pytest.fixture
def photo(make_resource, publish, editor, django_capture_on_commit_callbacks):
    """A published image resource with a real 1200×800 JPEG, processed."""

    def factory(title: str = "广府骑楼", size: tuple[int, int] = (1200, 800)) -> Resource:
        resource = make_resource(
            title,
            kind="image",
            category="photography",
            identifier=f"test:{title}",
            rights="cc_by",
            creator="陈摄",
            description="<p>老城 &amp; 街景</p>",
        )
        with django_capture_on_commit_callbacks(execute=True):
            services.upload_media(
                actor=editor,
                resource=resource,
                uploaded_file=SimpleUploadedFile("photo.jpg", image_bytes(*size)),
            )
        return publish(resource)

    return factory


def is_uri(value: Any) -> bool:
    parsed = urlparse(str(value))
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


def is_language_map(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and bool(value)
        and all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(s, str) for s in v)
            for k, v in value.items()
        )
    )


def check_image_service(service: dict[str, Any]) -> None:
    assert is_uri(service["id"])
    assert service["type"] == "ImageService3"
    assert service["profile"] in ("level0", "level1", "level2")


def check_manifest(doc: dict[str, Any]) -> None:
    """The Presentation 3.0 rules for a Manifest and what it holds."""
    assert doc["@context"] == PRESENTATION_CONTEXT
    assert doc["type"] == "Manifest" and is_uri(doc["id"])
    assert is_language_map(doc["label"])
    for entry in doc.get("metadata", []):
        assert is_language_map(entry["label"]) and is_language_map(entry["value"])
    statement = doc["requiredStatement"]
    assert is_language_map(statement["label"]) and is_language_map(statement["value"])
    if "summary" in doc:
        assert is_language_map(doc["summary"])
    if "rights" in doc:
        assert doc["rights"].startswith(
            ("http://creativecommons.org/", "https://creativecommons.org/",
             "http://rightsstatements.org/vocab/")
        )  # fmt: skip
    assert isinstance(doc["items"], list)
    ids = set()
    for canvas in doc["items"]:
        assert canvas["type"] == "Canvas" and is_uri(canvas["id"])
        assert canvas["id"] not in ids
        ids.add(canvas["id"])
        assert isinstance(canvas["width"], int) and canvas["width"] > 0
        assert isinstance(canvas["height"], int) and canvas["height"] > 0
        for page in canvas["items"]:
            assert page["type"] == "AnnotationPage" and is_uri(page["id"])
            for annotation in page["items"]:
                assert annotation["type"] == "Annotation" and is_uri(annotation["id"])
                assert annotation["motivation"] == "painting"
                assert annotation["target"] == canvas["id"]
                body = annotation["body"]
                assert body["type"] == "Image" and is_uri(body["id"])
                assert body["format"] == "image/jpeg"
                assert isinstance(body["width"], int) and isinstance(body["height"], int)
                assert isinstance(body["service"], list) and body["service"]
                for service in body["service"]:
                    check_image_service(service)


def test_info_json_level1(client, photo):
    resource = photo()
    assert resource.media is not None
    url = iiif_info_url(resource.media)
    assert url == f"/iiif/{resource.media.pk}/info.json"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Content-Type"].startswith("application/ld+json")
    info = response.json()
    assert info["@context"] == IMAGE_CONTEXT
    assert info["type"] == "ImageService3" and info["protocol"] == "http://iiif.io/api/image"
    assert info["profile"] == "level1"
    assert info["id"] == f"http://testserver/iiif/{resource.media.pk}"
    assert (info["width"], info["height"]) == (1200, 800)
    assert all(isinstance(info[k], int) for k in ("maxWidth", "maxHeight", "maxArea"))
    assert info["sizes"][-1] == {"width": 1200, "height": 800}
    assert info["tiles"] == [{"width": 512, "scaleFactors": [1, 2, 4]}]
    # the base URI redirects to info.json
    base = client.get(f"/iiif/{resource.media.pk}")
    assert base.status_code == 302 and base["Location"].endswith("/info.json")


@pytest.mark.parametrize(
    ("path", "size"),
    [
        ("full/max/0/default.jpg", (1200, 800)),
        ("full/600,/0/default.jpg", (600, 400)),
        ("full/,200/0/default.jpg", (300, 200)),
        ("0,0,512,512/256,256/0/default.jpg", (256, 256)),
        ("1024,512,512,512/max/0/default.jpg", (176, 288)),  # clipped at the edge
        ("square/100,/0/color.jpg", (100, 100)),
        ("pct:50,50,50,50/!100,100/0/gray.png", (100, 67)),
        ("full/^2400,/0/default.jpg", (2400, 1600)),
    ],
)
def test_image_requests(client, photo, path, size):
    resource = photo()
    assert resource.media is not None
    response = client.get(f"/iiif/{resource.media.pk}/{path}")
    assert response.status_code == 200, response.content
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "max-age" in response["Cache-Control"] and response["ETag"]
    picture = Image.open(io.BytesIO(response.content))
    assert picture.size == size
    assert picture.format == ("PNG" if path.endswith(".png") else "JPEG")
    # the same request again: answered from the cache, or 304 with the ETag
    again = client.get(f"/iiif/{resource.media.pk}/{path}", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        "bogus/max/0/default.jpg",
        "0,0,0,10/max/0/default.jpg",
        "5000,0,10,10/max/0/default.jpg",
        "full/2400,/0/default.jpg",  # larger than the region without ^
        "full/0,/0/default.jpg",
        "full/,/0/default.jpg",
        "full/max/90/default.jpg",
        "full/max/0/bitonal.jpg",
        "full/max/0/default.gif",
        "full/^99999,/0/default.jpg",  # beyond maxWidth
    ],
)
def test_bad_image_parameters_are_400(client, photo, path):
    resource = photo()
    assert resource.media is not None
    response = client.get(f"/iiif/{resource.media.pk}/{path}")
    assert response.status_code == 400
    assert response["Access-Control-Allow-Origin"] == "*"


def test_only_published_images_are_served(client, photo, reviewer, make_resource, ready_asset):
    resource = photo()
    assert resource.media is not None
    review.unpublish(resource, actor=reviewer)
    assert client.get(f"/iiif/{resource.media.pk}/info.json").status_code == 404
    assert client.get(f"/iiif/{resource.media.pk}/full/max/0/default.jpg").status_code == 404
    assert client.get(reverse("resources:iiif_manifest", args=[resource.pk])).status_code == 404
    draft = make_resource("草稿", kind="image", category="fine_arts", media=ready_asset("image"))
    assert draft.media is not None
    assert client.get(f"/iiif/{draft.media.pk}/info.json").status_code == 404


def test_staff_previews_zoom_into_unpublished_images(client, photo, reviewer, staff):
    resource = photo()
    assert resource.media is not None
    review.unpublish(resource, actor=reviewer)
    url = f"/iiif/{resource.media.pk}/info.json"
    client.force_login(staff["sibling_editor"])  # another subtree: nothing
    assert client.get(url).status_code == 404
    client.force_login(staff["editor"])
    response = client.get(url)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    tile = client.get(f"/iiif/{resource.media.pk}/0,0,512,512/256,/0/default.jpg")
    assert tile.status_code == 200 and tile["Cache-Control"].startswith("private")


def test_manifest_follows_presentation_3(client, photo):
    resource = photo()
    for ref in (resource.pk, resource.identifier):
        response = client.get(reverse("resources:iiif_manifest", args=[ref]))
        assert response.status_code == 200
        assert response["Access-Control-Allow-Origin"] == "*"
        doc = response.json()
        check_manifest(doc)
    assert doc["label"] == {"zh": ["广府骑楼"]}
    assert doc["rights"] == "https://creativecommons.org/licenses/by/4.0/"
    assert doc["summary"] == {"zh": ["老城 & 街景"]}
    assert {"label": {"en": ["Creator"]}, "value": {"zh": ["陈摄"]}} in doc["metadata"]
    assert len(doc["items"]) == 1
    canvas = doc["items"][0]
    assert (canvas["width"], canvas["height"]) == (1200, 800)
    service = canvas["items"][0]["items"][0]["body"]["service"][0]
    # the service is the info.json's id, and it answers
    assert client.get(urlparse(service["id"]).path + "/info.json").json()["id"] == service["id"]


def test_image_set_manifest_has_a_canvas_per_image(
    client, make_resource, publish, editor, django_capture_on_commit_callbacks
):
    resource = make_resource("组图", kind="image_set", category="photography")
    for size in ((300, 200), (200, 300)):
        with django_capture_on_commit_callbacks(execute=True):
            services.upload_media(
                actor=editor,
                resource=resource,
                uploaded_file=SimpleUploadedFile("p.jpg", image_bytes(*size)),
            )
    resource = publish(resource)
    doc = client.get(reverse("resources:iiif_manifest", args=[resource.pk])).json()
    check_manifest(doc)
    assert [(c["width"], c["height"]) for c in doc["items"]] == [(300, 200), (200, 300)]


def test_non_image_resources_have_no_manifest(client, published):
    video = published("视频")
    assert client.get(reverse("resources:iiif_manifest", args=[video.pk])).status_code == 404
    assert client.get("/iiif/manifest/no-such-thing").status_code == 404
    assert client.get("/iiif/manifest/a%00b").status_code == 404
    assert client.get("/iiif/manifest/" + "9" * 30).status_code == 404
    assert client.get("/iiif/collection/" + "9" * 30).status_code == 404


def test_collection_of_manifests(client, photo, editor, reviewer, published):
    first, second, video = photo("一"), photo("二"), published("视频")
    collection = services.create_collection(
        actor=editor,
        institution=first.institution,
        title="岭南影像",
        description="",
        resource_ids=[second.pk, first.pk, video.pk],
    )
    review.submit(collection, actor=editor)
    review.approve(collection, actor=reviewer)
    response = client.get(reverse("resources:iiif_collection", args=[collection.pk]))
    assert response.status_code == 200
    doc = response.json()
    assert doc["@context"] == PRESENTATION_CONTEXT
    assert doc["type"] == "Collection" and is_uri(doc["id"])
    assert is_language_map(doc["label"])
    assert [item["type"] for item in doc["items"]] == ["Manifest", "Manifest"]
    assert all(is_uri(item["id"]) and is_language_map(item["label"]) for item in doc["items"])
    assert doc["items"][0]["id"].endswith(f"/iiif/manifest/{second.pk}")
    check_manifest(client.get(urlparse(doc["items"][0]["id"]).path).json())
