"""Resources through the real services, review workflow and media app.

`ready_asset(kind)` makes a MediaAsset row in the state processing leaves it in (paths of
renditions, HLS and poster), without running ffmpeg: the page and API tests need what is
shown, not the encoding (the media app's own tests cover processing). Tests that need
real processing upload small files made here (images, PDFs) and let it run.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation
from PIL import Image

from culturecloud.celery import app as celery_app
from culturecloud.core import review
from culturecloud.institutions.models import Institution, Role
from culturecloud.media.models import AssetStatus, MediaAsset
from culturecloud.resources import services
from culturecloud.resources.models import Resource


@pytest.fixture(autouse=True)
def english(settings) -> Iterator[None]:
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path) -> Iterator[None]:
    """Files in a private directory; tasks in the test's process (also with REDIS_URL);
    a private cache namespace so counters and rate limits start at zero."""
    settings.MEDIA_ROOT = tmp_path / "storage"
    settings.MEDIA_FFMPEG_NICE = 0
    caches = dict(settings.CACHES)
    caches["default"] = {**caches["default"], "KEY_PREFIX": f"t-{uuid.uuid4().hex[:12]}"}
    settings.CACHES = caches
    before = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = before


@pytest.fixture
def staff(tree, make_user) -> dict[str, Any]:
    return {
        "editor": make_user(role=Role.EDITOR, institution=tree.county),
        "city_editor": make_user(role=Role.EDITOR, institution=tree.city),
        "sibling_editor": make_user(role=Role.EDITOR, institution=tree.sibling_county),
        "reviewer": make_user(role=Role.REVIEWER, institution=tree.city),
        "sibling_reviewer": make_user(role=Role.REVIEWER, institution=tree.sibling_county),
    }


@pytest.fixture
def editor(staff):
    return staff["editor"]


@pytest.fixture
def reviewer(staff):
    return staff["reviewer"]


def image_bytes(width: int = 64, height: int = 48, fmt: str = "JPEG") -> bytes:
    picture = Image.new("RGB", (width, height), (180, 40, 40))
    buffer = io.BytesIO()
    picture.save(buffer, format=fmt)
    return buffer.getvalue()


def pdf_bytes(pages: int = 2) -> bytes:
    frames = [Image.new("RGB", (200, 280), (255, 255, 255 - 40 * i)) for i in range(pages)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="PDF", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


OUTPUTS: dict[str, dict[str, Any]] = {
    "video": {
        "mime": "video/mp4",
        "ext": "mp4",
        "renditions": {
            "hls_360p": {"path": "hls/360p/index.m3u8", "mime": "application/vnd.apple.mpegurl"},
            "poster": {"path": "hls/poster.jpg", "mime": "image/jpeg", "width": 640},
        },
        "hls_path": "hls/master.m3u8",
        "poster_path": "hls/poster.jpg",
        "metadata": {"duration": 125.4, "width": 640, "height": 360},
    },
    "audio": {
        "mime": "audio/mpeg",
        "ext": "mp3",
        "renditions": {"aac": {"path": "audio/audio.m4a", "mime": "audio/mp4"}},
        "metadata": {"duration": 61.0},
    },
    "image": {
        "mime": "image/jpeg",
        "ext": "jpg",
        "renditions": {
            "thumbnail": {"path": "image/thumbnail.jpg", "mime": "image/jpeg", "width": 320},
            "large": {
                "path": "image/large.jpg",
                "mime": "image/jpeg",
                "width": 1600,
                "height": 1200,
            },
        },
        "metadata": {"width": 4000, "height": 3000},
    },
    "document": {
        "mime": "application/pdf",
        "ext": "pdf",
        "renditions": {
            "thumbnail": {"path": "preview/thumbnail.jpg", "mime": "image/jpeg"},
            "large": {"path": "preview/large.jpg", "mime": "image/jpeg"},
        },
        "metadata": {"page_count": 12},
    },
}


@pytest.fixture
def ready_asset(tree, editor):
    """ready_asset(kind, institution=county, status=ready, error_code="") -> MediaAsset."""

    def factory(
        kind: str,
        institution: Institution | None = None,
        status: str = AssetStatus.READY,
        error_code: str = "",
    ) -> MediaAsset:
        spec = OUTPUTS[kind]
        asset_id = uuid.uuid4()
        base = f"media/{asset_id}/run"

        def path(p: str) -> str:
            return f"{base}/{p}" if p else ""

        ready = status == AssetStatus.READY
        return MediaAsset.objects.create(
            id=asset_id,
            institution=institution or tree.county,
            uploaded_by=editor,
            kind=kind,
            status=status,
            original=f"media/{asset_id}/original.{spec['ext']}",
            original_name=f"file.{spec['ext']}",
            mime=spec["mime"],
            size=1234,
            sha256=hashlib.sha256(asset_id.bytes).hexdigest(),
            error_code=error_code,
            metadata=spec["metadata"] if ready else {},
            renditions=(
                {n: {**r, "path": path(r["path"])} for n, r in spec["renditions"].items()}
                if ready
                else {}
            ),
            hls_path=path(spec.get("hls_path", "")) if ready else "",
            poster_path=path(spec.get("poster_path", "")) if ready else "",
        )

    return factory


@pytest.fixture
def make_resource(tree, editor):
    """make_resource(title, **fields) -> a draft Resource of the county (by the editor)."""

    def factory(title: str = "古琴曲《流水》", *, actor: Any = None, **fields: Any) -> Resource:
        fields.setdefault("kind", "video")
        fields.setdefault("category", "music")
        institution = fields.pop("institution", tree.county)
        return services.create_resource(
            actor=actor or editor, institution=institution, title=title, **fields
        )

    return factory


@pytest.fixture
def publish(editor, reviewer, django_capture_on_commit_callbacks):
    """publish(resource) -> the resource submitted, approved and indexed."""

    def do(resource: Resource, *, actor: Any = None) -> Resource:
        with django_capture_on_commit_callbacks(execute=True):
            review.submit(resource, actor=actor or editor)
            done = review.approve(resource, actor=reviewer)
        return Resource.objects.select_related("institution").get(pk=done.pk)

    return do


@pytest.fixture
def published(make_resource, publish):
    """published(title, **fields) -> a published, indexed resource."""

    def factory(title: str = "古琴曲《流水》", **fields: Any) -> Resource:
        return publish(make_resource(title, **fields))

    return factory
