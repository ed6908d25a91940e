"""The pipeline on small media made here: images, video (HLS ladder), audio, PDF, failures."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from culturecloud.core.models import AuditEntry
from culturecloud.media import ffmpeg, processing, services, signals, storage
from culturecloud.media.models import AssetKind, AssetStatus, MediaAsset

from .conftest import image_bytes, pdf_bytes, wav_bytes


@pytest.fixture
def upload(tree, editor, django_capture_on_commit_callbacks):
    def do(data: bytes, name: str, **kwargs) -> MediaAsset:
        with django_capture_on_commit_callbacks(execute=True):
            asset = services.create_asset_from_upload(
                actor=editor,
                institution=tree.county,
                uploaded_file=SimpleUploadedFile(name, data),
                **kwargs,
            )
        asset.refresh_from_db()
        return asset

    return do


def read(path: str) -> bytes:
    with default_storage.open(path, "rb") as handle:
        return handle.read()


def open_image(path: str) -> Image.Image:
    picture = Image.open(io.BytesIO(read(path)))
    picture.load()
    return picture


def test_image_renditions_oriented_stripped_and_never_upscaled(upload):
    # 1000x500 stored, EXIF says "turned 90°": shown as 500x1000.
    asset = upload(image_bytes(1000, 500, orientation=6), "photo.JPG")
    assert asset.status == AssetStatus.READY, asset.error_detail
    assert asset.kind == AssetKind.IMAGE and asset.mime == "image/jpeg"
    assert asset.metadata["width"] == 500 and asset.metadata["height"] == 1000
    sizes = {name: (r["width"], r["height"]) for name, r in asset.renditions.items()}
    assert sizes == {
        "thumbnail": (160, 320),
        "thumbnail_webp": (160, 320),
        "medium": (400, 800),
        "medium_webp": (400, 800),
        "large": (500, 1000),  # the source size: not blown up to 1600
        "large_webp": (500, 1000),
    }
    for name, rendition in asset.renditions.items():
        picture = open_image(rendition["path"])
        assert picture.size == sizes[name]
        assert picture.format == ("WEBP" if name.endswith("_webp") else "JPEG")
        assert not picture.getexif(), name  # orientation applied, camera metadata gone
    assert asset.preview_path == asset.renditions["medium"]["path"]
    assert asset.attempts == 1 and asset.processed_at is not None
    assert asset.original.name == f"media/{asset.pk}/original.jpg"
    assert asset.size == len(image_bytes(1000, 500, orientation=6))
    actions = list(
        AuditEntry.objects.filter(target_id=str(asset.pk)).values_list("action", flat=True)
    )
    assert sorted(actions) == ["media.asset.processed", "media.asset.uploaded"]


def test_small_image_gets_no_larger_renditions(upload):
    asset = upload(image_bytes(500, 300, "PNG"), "small.png")
    assert asset.status == AssetStatus.READY
    assert set(asset.renditions) == {"thumbnail", "thumbnail_webp", "medium", "medium_webp"}
    assert (asset.renditions["medium"]["width"], asset.renditions["medium"]["height"]) == (
        500,
        300,
    )
    assert asset.best_rendition("large") == asset.renditions["medium"]


def test_transparent_image_keeps_alpha_as_png(upload):
    picture = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    asset = upload(buffer.getvalue(), "logo.png")
    assert asset.renditions["thumbnail"]["mime"] == "image/png"
    assert open_image(asset.renditions["thumbnail"]["path"]).mode == "RGBA"
    assert asset.metadata["has_alpha"] is True


def master_variants(asset: MediaAsset) -> list[tuple[str, str]]:
    text = read(asset.hls_path).decode()
    return re.findall(r"RESOLUTION=(\d+x\d+)[^\n]*\n([^\n]+)", text)


def test_video_360_gets_one_rung_poster_and_duration(upload, clip_360):
    asset = upload(clip_360, "clip.mp4")
    assert asset.status == AssetStatus.READY, asset.error_detail
    assert asset.kind == AssetKind.VIDEO
    assert asset.metadata["ladder"] == ["360p"]
    assert asset.metadata["duration"] == pytest.approx(2.0, abs=0.1)
    assert (asset.metadata["width"], asset.metadata["height"]) == (640, 360)
    assert asset.metadata["has_audio"] is True
    assert master_variants(asset) == [("640x360", "360p/index.m3u8")]
    base = asset.hls_path.rsplit("/", 1)[0]
    playlist = read(f"{base}/360p/index.m3u8").decode()
    assert "#EXT-X-ENDLIST" in playlist and "#EXT-X-PLAYLIST-TYPE:VOD" in playlist
    segments = re.findall(r"^(segment_\d+\.ts)$", playlist, re.MULTILINE)
    assert segments and all(default_storage.exists(f"{base}/360p/{s}") for s in segments)
    poster = open_image(asset.poster_path)
    assert poster.format == "JPEG" and poster.size == (640, 360)
    assert asset.renditions["hls_360p"]["mime"] == "application/vnd.apple.mpegurl"


def test_video_720_ladder_is_bounded_by_the_source(upload, clip_720):
    asset = upload(clip_720, "clip.mp4")
    assert asset.status == AssetStatus.READY, asset.error_detail
    assert asset.metadata["ladder"] == ["360p", "540p", "720p"]
    assert master_variants(asset) == [
        ("640x360", "360p/index.m3u8"),
        ("960x540", "540p/index.m3u8"),
        ("1280x720", "720p/index.m3u8"),
    ]
    codecs = read(asset.hls_path).decode()
    assert "avc1" in codecs and "mp4a" in codecs  # H.264 + AAC


def test_ladder_rules():
    assert [r["name"] for r in processing.ladder_for(1920, 1080)] == [
        "360p",
        "540p",
        "720p",
        "1080p",
    ]
    assert [r["name"] for r in processing.ladder_for(3840, 2160)][-1] == "1080p"
    portrait = processing.ladder_for(720, 1280)
    assert [(r["width"], r["height"]) for r in portrait] == [(360, 640), (540, 960), (720, 1280)]
    tiny = processing.ladder_for(320, 240)
    assert [(r["name"], r["width"], r["height"]) for r in tiny] == [("240p", 320, 240)]
    odd = processing.ladder_for(321, 239)
    assert [(r["name"], r["width"], r["height"]) for r in odd] == [("238p", 320, 238)]


def test_probe_reads_ffmpeg_output():
    text = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'in.mov':
  Duration: 00:01:02.50, start: 0.000000, bitrate: 1200 kb/s
  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(tv, bt709), \
1440x1080 [SAR 4:3 DAR 16:9], 1000 kb/s, 25 fps, 25 tbr, 12800 tbn (default)
      Side data:
        displaymatrix: rotation of -90.00 degrees
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, 5.1, fltp, 384 kb/s
  Stream #0:2: Video: mjpeg (Baseline), yuvj420p, 600x600, 90k tbr (attached pic)
At least one output file must be specified"""
    probe = ffmpeg.parse_probe(text)
    assert probe.duration == 62.5 and probe.bitrate == 1_200_000
    assert probe.video_codec == "h264" and probe.audio_codec == "aac"
    assert (probe.width, probe.height) == (1080, 1920)  # 1440 × 4/3 wide, turned 90°
    assert probe.fps == 25 and probe.sample_rate == 48000 and probe.channels == "5.1"


def test_audio_becomes_aac_with_duration(upload):
    asset = upload(wav_bytes(1.0), "song.wav")
    assert asset.status == AssetStatus.READY, asset.error_detail
    assert asset.kind == AssetKind.AUDIO
    assert asset.metadata["duration"] == pytest.approx(1.0, abs=0.1)
    aac = asset.renditions["aac"]
    assert aac["mime"] == "audio/mp4"
    with storage.local_path(aac["path"]) as path:
        probe = ffmpeg.probe(path)
    assert probe.audio_codec == "aac" and not probe.has_video
    assert probe.duration == pytest.approx(1.0, abs=0.1)


def test_mp4_with_sound_only_is_audio(upload, clip_dir):
    path = clip_dir / "sound-only.mp4"
    ffmpeg.run(
        ["-y", "-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac", "-f", "mp4", str(path)]
    )
    asset = upload(path.read_bytes(), "talk.mp4")
    assert asset.status == AssetStatus.READY, asset.error_detail
    assert asset.kind == AssetKind.AUDIO
    assert "aac" in asset.renditions and not asset.hls_path


def test_pdf_page_count_and_first_page_preview(upload):
    asset = upload(pdf_bytes(3), "leaflet.pdf")
    assert asset.status == AssetStatus.READY, asset.error_detail
    assert asset.kind == AssetKind.DOCUMENT
    assert asset.metadata["page_count"] == 3
    preview = open_image(asset.preview_path)
    assert preview.format == "JPEG"
    # 300x420 pt page rendered at most 1600 px high, then the 800 px medium rendition.
    assert preview.size[1] == 800 and abs(preview.size[0] - 571) <= 2
    assert "thumbnail_webp" in asset.renditions


# --- failures -----------------------------------------------------------------------------


def test_corrupt_image_fails_with_reason_and_retry_fails_again(
    upload, editor, tree, django_capture_on_commit_callbacks
):
    broken = image_bytes(200, 200)[:300]  # a JPEG header, then nothing
    asset = upload(broken, "broken.jpg")
    assert asset.status == AssetStatus.FAILED
    assert asset.error_code == "corrupt_image"
    assert "damaged" in asset.error_message
    assert asset.renditions == {} and asset.hls_path == ""
    assert default_storage.listdir(asset.storage_dir) == ([], ["original.jpg"])  # no leftovers
    with django_capture_on_commit_callbacks(execute=True):
        services.retry(actor=editor, asset=asset)
    asset.refresh_from_db()
    assert asset.status == AssetStatus.FAILED and asset.error_code == "corrupt_image"
    assert asset.attempts == 2
    actions = list(
        AuditEntry.objects.filter(target_id=str(asset.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "media.asset.uploaded",
        "media.asset.failed",
        "media.asset.retried",
        "media.asset.failed",
    ]


def test_truncated_video_fails_as_corrupt(upload, clip_360):
    asset = upload(clip_360[: len(clip_360) // 3], "cut.mp4")
    assert asset.status == AssetStatus.FAILED
    assert asset.error_code == "corrupt_video", asset.error_detail
    assert asset.error_detail


def test_corrupt_pdf_fails(upload):
    asset = upload(b"%PDF-1.7\n" + b"\x00garbage" * 50, "broken.pdf")
    assert asset.status == AssetStatus.FAILED
    assert asset.error_code == "corrupt_document"


def test_transient_error_is_retried_then_succeeds(upload, monkeypatch):
    real = processing.image_renditions
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("storage hiccup")
        return real(*args, **kwargs)

    monkeypatch.setattr(processing, "image_renditions", flaky)
    asset = upload(image_bytes(400, 300), "photo.jpg")
    assert asset.status == AssetStatus.READY
    assert asset.attempts == 2
    # The first run's half-written outputs are gone: only the second run's directory is left.
    directories, _files = default_storage.listdir(asset.storage_dir)
    assert len(directories) == 1


def test_transient_error_that_persists_fails_visibly(upload, monkeypatch, settings):
    settings.MEDIA_PROCESSING_MAX_RETRIES = 2

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(processing, "image_renditions", broken)
    asset = upload(image_bytes(400, 300), "photo.jpg")
    assert asset.status == AssetStatus.FAILED
    assert asset.error_code == "processing_error"
    assert "disk full" in asset.error_detail
    assert asset.attempts == 3  # the first try and two retries, then no retry storm


def test_retry_after_transient_failure_succeeds(
    upload, monkeypatch, settings, editor, django_capture_on_commit_callbacks
):
    settings.MEDIA_PROCESSING_MAX_RETRIES = 0
    real = processing.image_renditions
    monkeypatch.setattr(
        processing, "image_renditions", lambda *a, **k: (_ for _ in ()).throw(OSError("down"))
    )
    asset = upload(image_bytes(400, 300), "photo.jpg")
    assert asset.status == AssetStatus.FAILED
    monkeypatch.setattr(processing, "image_renditions", real)
    with django_capture_on_commit_callbacks(execute=True):
        services.retry(actor=editor, asset=asset)
    asset.refresh_from_db()
    assert asset.status == AssetStatus.READY and asset.error_code == ""


def test_processing_is_idempotent(upload):
    asset = upload(image_bytes(400, 300), "photo.jpg")
    before = (asset.renditions, asset.attempts, asset.processed_at)
    assert services.run_processing(asset_id=str(asset.pk)) is None  # ready: nothing to do
    asset.refresh_from_db()
    assert (asset.renditions, asset.attempts, asset.processed_at) == before


def test_a_rerun_cleans_partial_outputs_first(upload, editor, tree):
    asset = upload(image_bytes(400, 300), "photo.jpg")
    MediaAsset.objects.filter(pk=asset.pk).update(status=AssetStatus.PROCESSING)  # worker died
    storage.save(f"{asset.storage_dir}/deadbeef0000/image/half.jpg", b"partial")
    old_outputs = asset.renditions["thumbnail"]["path"]
    services.run_processing(asset_id=str(asset.pk))
    asset.refresh_from_db()
    assert asset.status == AssetStatus.READY
    assert not default_storage.exists(f"{asset.storage_dir}/deadbeef0000/image/half.jpg")
    assert not default_storage.exists(old_outputs)
    assert default_storage.exists(asset.renditions["thumbnail"]["path"])


def test_an_overtaken_run_discards_its_outputs(upload):
    asset = upload(image_bytes(400, 300), "photo.jpg")
    MediaAsset.objects.filter(pk=asset.pk).update(status=AssetStatus.PROCESSING, run_token="new")
    out = f"{asset.storage_dir}/oldrun"
    storage.save(f"{out}/image/thumbnail.jpg", b"x")
    result = services._finish_ready(str(asset.pk), "old", processing.Outputs(), out)
    assert result is None
    assert not default_storage.exists(f"{out}/image/thumbnail.jpg")
    asset.refresh_from_db()
    assert asset.status == AssetStatus.PROCESSING  # left to the newer run


def test_signals_tell_other_apps(upload):
    seen: list[tuple[str, str]] = []

    def on_ready(sender, asset, **kwargs):
        seen.append(("ready", asset.status))

    def on_failed(sender, asset, **kwargs):
        seen.append(("failed", asset.error_code))
        raise RuntimeError("a broken receiver does not undo processing")

    signals.asset_ready.connect(on_ready)
    signals.asset_failed.connect(on_failed)
    try:
        upload(image_bytes(100, 100), "a.jpg")
        failed = upload(image_bytes(100, 100)[:200], "b.jpg")
    finally:
        signals.asset_ready.disconnect(on_ready)
        signals.asset_failed.disconnect(on_failed)
    assert seen == [("ready", AssetStatus.READY), ("failed", "corrupt_image")]
    assert failed.status == AssetStatus.FAILED


def test_stalled_assets_are_queued_again(upload, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from culturecloud.media.tasks import resume_stalled_processing

    lost = upload(image_bytes(100, 100), "lost.jpg")
    died = upload(image_bytes(100, 100), "died.jpg")
    fresh = upload(image_bytes(100, 100), "fresh.jpg")
    long_ago = timezone.now() - timedelta(days=1)
    MediaAsset.objects.filter(pk=lost.pk).update(status=AssetStatus.PENDING, updated_at=long_ago)
    MediaAsset.objects.filter(pk=died.pk).update(
        status=AssetStatus.PROCESSING, processing_started_at=long_ago
    )
    MediaAsset.objects.filter(pk=fresh.pk).update(status=AssetStatus.PENDING)
    assert resume_stalled_processing.delay().get() == 2
    statuses = dict(MediaAsset.objects.values_list("original_name", "status"))
    assert statuses == {
        "lost.jpg": AssetStatus.READY,
        "died.jpg": AssetStatus.READY,
        "fresh.jpg": AssetStatus.PENDING,  # its task is still on the way
    }


@pytest.mark.usefixtures("public_response_cache")  # a generation of the test's own
def test_a_retry_drops_kept_public_answers_that_show_the_failure(
    upload, editor, monkeypatch, django_capture_on_commit_callbacks
):
    """retry() resets the asset with an UPDATE, which sends no post_save: it tells the shared
    cache of public answers itself (pages of the resource said "processing failed")."""
    from culturecloud.core import pagecache

    asset = upload(image_bytes(200, 200)[:300], "broken.jpg")
    assert asset.status == AssetStatus.FAILED
    monkeypatch.setattr(services, "start_processing", lambda asset: None)  # stays pending
    before = pagecache.generation()
    with django_capture_on_commit_callbacks(execute=True):
        services.retry(actor=editor, asset=asset)
    asset.refresh_from_db()
    assert asset.status == AssetStatus.PENDING
    assert pagecache.generation() == before + 1
