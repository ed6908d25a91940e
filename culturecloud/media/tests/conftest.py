"""Small media made in the tests themselves: ffmpeg test clips, Pillow images, PDFs, WAV."""

from __future__ import annotations

import io
import math
import struct
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import translation
from PIL import Image

from culturecloud.celery import app as celery_app
from culturecloud.institutions.models import Role
from culturecloud.media import ffmpeg


@pytest.fixture(autouse=True)
def english(settings) -> Iterator[None]:
    """Tests read English messages; the site's default language is zh-hans."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media_settings(request, settings, tmp_path) -> Iterator[None]:
    """Files go to a private directory; ffmpeg runs at its fastest preset; tasks run in the
    test's process, also with REDIS_URL (except in the real-worker test)."""
    settings.MEDIA_ROOT = tmp_path / "storage"
    settings.MEDIA_X264_PRESET = "ultrafast"
    settings.MEDIA_FFMPEG_NICE = 0
    if request.node.get_closest_marker("celery_worker"):
        yield
        return
    before = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = before


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("clips")


def make_clip(
    directory: Path, width: int, height: int, *, seconds: float = 2, audio: bool = True
) -> Path:
    path = directory / f"clip-{width}x{height}{'-a' if audio else ''}.mp4"
    if path.exists():
        return path
    args = ["-y", "-f", "lavfi", "-i", f"testsrc=size={width}x{height}:rate=24:duration={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        args += ["-c:a", "aac", "-shortest"]
    ffmpeg.run([*args, str(path)], timeout=60)
    return path


@pytest.fixture(scope="session")
def clip_360(clip_dir) -> bytes:
    return make_clip(clip_dir, 640, 360).read_bytes()


@pytest.fixture(scope="session")
def clip_720(clip_dir) -> bytes:
    return make_clip(clip_dir, 1280, 720).read_bytes()


def image_bytes(
    width: int, height: int, fmt: str = "JPEG", *, orientation: int | None = None, **extra
) -> bytes:
    picture = Image.new("RGB", (width, height), (200, 30, 30))
    for x in range(0, width, 7):  # some detail, so encoders have work to do
        picture.putpixel((x, (x * 3) % height), (0, 0, 255))
    buffer = io.BytesIO()
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        exif[0x010F] = "TestCam"  # Make: metadata that must not survive
        extra["exif"] = exif.tobytes()
    picture.save(buffer, format=fmt, **extra)
    return buffer.getvalue()


def pdf_bytes(pages: int = 2) -> bytes:
    frames = [Image.new("RGB", (300, 420), (255, 255, 255 - 40 * i)) for i in range(pages)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="PDF", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def wav_bytes(seconds: float = 1.0, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        frames = b"".join(
            struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
            for i in range(int(seconds * rate))
        )
        out.writeframes(frames)
    return buffer.getvalue()


@pytest.fixture
def editor(tree, make_user):
    return make_user(role=Role.EDITOR, institution=tree.county)


@pytest.fixture
def sibling_editor(tree, make_user):
    return make_user(role=Role.EDITOR, institution=tree.sibling_county)
