"""What processing makes from an original, by kind. Pure file work: no database.

Each `process_<kind>(source, out)` reads the local file `source`, writes its outputs to
the default storage under the prefix `out` and returns an `Outputs`. It raises
`MediaRejected` when the input itself is bad (corrupt, unreadable, nothing playable):
trying again would not help. Any other exception (storage, memory, a killed ffmpeg) is
transient and the task tries again.
"""

from __future__ import annotations

import io
import tempfile
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from . import conf, ffmpeg, storage
from .models import AssetKind

HLS_MIME = "application/vnd.apple.mpegurl"
ORIENTATION_TAG = 0x0112


class MediaRejected(Exception):
    """The input cannot be processed: `code` is one of models.ERROR_MESSAGES."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail[:500]


@dataclass
class Outputs:
    metadata: dict[str, Any] = field(default_factory=dict)
    renditions: dict[str, dict[str, Any]] = field(default_factory=dict)
    hls_path: str = ""
    poster_path: str = ""
    preview_path: str = ""
    kind: str | None = None  # set when the content turned out to be another kind


def process(kind: str, source: Path, out: str) -> Outputs:
    processors = {
        AssetKind.IMAGE: process_image,
        AssetKind.VIDEO: process_video,
        AssetKind.AUDIO: process_audio,
        AssetKind.DOCUMENT: process_document,
    }
    return processors[AssetKind(kind)](source, out)


# --- images --------------------------------------------------------------------------

_IMAGE_ERRORS = (
    UnidentifiedImageError,
    Image.DecompressionBombError,
    OSError,
    ValueError,
    SyntaxError,
    EOFError,
    IndexError,
    TypeError,
    KeyError,
)


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )


def _encode(image: Image.Image, fmt: str, icc: bytes | None) -> bytes:
    buffer = io.BytesIO()
    extra: dict[str, Any] = {"icc_profile": icc} if icc else {}
    if fmt == "JPEG":
        image.convert("RGB").save(
            buffer, format="JPEG", quality=82, optimize=True, progressive=True, **extra
        )
    elif fmt == "PNG":
        image.save(buffer, format="PNG", optimize=True, **extra)
    else:
        image.save(buffer, format="WEBP", quality=80, method=4, **extra)
    return buffer.getvalue()


def image_renditions(
    picture: Image.Image, out: str, *, icc: bytes | None = None
) -> dict[str, dict[str, Any]]:
    """Thumbnail / medium / large (longest side, MEDIA_IMAGE_SIZES), never upscaled: once a
    size reaches the source, that rendition keeps the source size and larger ones are left
    out. Each as JPEG (PNG when transparent) and WebP; no EXIF or other metadata is copied."""
    alpha = _has_alpha(picture)
    picture = picture.convert("RGBA" if alpha else "RGB")
    longest = max(picture.size)
    sizes = sorted(conf.get("MEDIA_IMAGE_SIZES").items(), key=lambda item: item[1])
    renditions: dict[str, dict[str, Any]] = {}
    for name, bound in sizes:
        if bound < longest:
            scaled = picture.copy()
            scaled.thumbnail((bound, bound), Image.Resampling.LANCZOS)
        else:
            scaled = picture
        plain = ("PNG", "png", "image/png") if alpha else ("JPEG", "jpg", "image/jpeg")
        webp = ("WEBP", "webp", "image/webp")
        for suffix, (fmt, extension, mime) in (("", plain), ("_webp", webp)):
            path = storage.save(f"{out}/{name}.{extension}", _encode(scaled, fmt, icc))
            renditions[f"{name}{suffix}"] = {
                "path": path,
                "mime": mime,
                "width": scaled.width,
                "height": scaled.height,
            }
        if bound >= longest:
            break
    return renditions


def _preview(renditions: dict[str, dict[str, Any]]) -> str:
    for name in ("medium", "thumbnail", "large"):
        if name in renditions:
            return str(renditions[name]["path"])
    return ""


def process_image(source: Path, out: str) -> Outputs:
    limit = int(conf.get("MEDIA_IMAGE_MAX_PIXELS"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(source) as probe:
                width, height = probe.size
                fmt = probe.format or ""
                frames = int(getattr(probe, "n_frames", 1) or 1)
                if width * height > limit:
                    raise MediaRejected("image_too_many_pixels", f"{width}x{height}")
                largest = max(conf.get("MEDIA_IMAGE_SIZES").values())
                probe.draft("RGB", (largest, largest))  # JPEG: decode at a reduced scale
                probe.load()
                icc = probe.info.get("icc_profile")
                if probe.getexif().get(ORIENTATION_TAG) in (5, 6, 7, 8):  # turned 90°
                    width, height = height, width
                picture = ImageOps.exif_transpose(probe)
                picture.load()
    except MediaRejected:
        raise
    except Image.DecompressionBombError as exc:
        raise MediaRejected("image_too_many_pixels", str(exc)) from exc
    except _IMAGE_ERRORS as exc:
        raise MediaRejected("corrupt_image", str(exc) or type(exc).__name__) from exc
    renditions = image_renditions(picture, f"{out}/image", icc=icc)
    return Outputs(
        metadata={
            "width": width,
            "height": height,
            "format": fmt,
            "frames": frames,
            "has_alpha": _has_alpha(picture),
        },
        renditions=renditions,
        preview_path=_preview(renditions),
    )


# --- video ---------------------------------------------------------------------------


def _probe(source: Path, kind: str) -> ffmpeg.Probe:
    try:
        return ffmpeg.probe(source)
    except ffmpeg.FFmpegTimeout as exc:
        raise MediaRejected("timeout", exc.detail) from exc
    except ffmpeg.FFmpegError as exc:
        if exc.transient:
            raise
        raise MediaRejected(f"corrupt_{kind}", exc.detail) from exc


def _run(args: list[str], kind: str, *, timeout: float | None = None) -> None:
    try:
        ffmpeg.run(args, timeout=timeout)
    except ffmpeg.FFmpegTimeout as exc:
        raise MediaRejected("timeout", exc.detail) from exc
    except ffmpeg.FFmpegError as exc:
        if exc.transient:
            raise
        raise MediaRejected(f"corrupt_{kind}", exc.detail) from exc


def _timeout_for(duration: float | None) -> float:
    """Generous for the work (20× real time, at least 5 minutes), capped by the setting."""
    cap = float(conf.get("MEDIA_FFMPEG_TIMEOUT"))
    return min(cap, max(300.0, (duration or 0) * 20))


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def ladder_for(width: int, height: int) -> list[dict[str, Any]]:
    """The HLS renditions for a source: the rungs of MEDIA_VIDEO_LADDER (by the short side,
    so a portrait video is treated like a landscape one) not above the source; a source
    below the lowest rung gets one rendition at its own size."""
    ladder = {int(k): v for k, v in conf.get("MEDIA_VIDEO_LADDER").items()}
    short = min(width, height)
    rungs = [rung for rung in sorted(ladder) if rung <= short]
    if not rungs:  # smaller than the lowest rung: its own size (even, as H.264 needs)
        own = max(2, short - short % 2)
        ladder = {**ladder, own: ladder[min(ladder)]}
        rungs = [own]
    result: list[dict[str, Any]] = []
    for rung in rungs:
        video_k, audio_k = ladder[rung]
        if width >= height:
            size = (_even(width * rung / height), _even(rung))
        else:
            size = (_even(rung), _even(height * rung / width))
        result.append(
            {
                "name": f"{rung}p",
                "width": size[0],
                "height": size[1],
                "video_k": int(video_k),
                "audio_k": int(audio_k),
            }
        )
    return result


def _downmix(probe: ffmpeg.Probe) -> list[str]:
    """Mono and stereo stay as they are; surround sound becomes stereo."""
    return [] if probe.channels in ("mono", "stereo") else ["-ac", "2"]


def _upload_dir(local: Path, out: str) -> list[str]:
    names = []
    for path in sorted(local.rglob("*")):
        if path.is_file():
            names.append(storage.save_path(f"{out}/{path.relative_to(local).as_posix()}", path))
    return names


def _hls_args(
    source: Path, probe: ffmpeg.Probe, rungs: list[dict[str, Any]], tmp: Path
) -> list[str]:
    segment = int(conf.get("MEDIA_HLS_SEGMENT_SECONDS"))
    count = len(rungs)
    splits = "".join(f"[s{i}]" for i in range(count))
    graph = [f"[0:v:0]split={count}{splits}"]
    for i, rung in enumerate(rungs):
        graph.append(f"[s{i}]scale={rung['width']}:{rung['height']},setsar=1[v{i}]")
    args = ["-y", "-i", str(source), *ffmpeg.threads_args(), "-filter_complex", ";".join(graph)]
    stream_map = []
    for i, rung in enumerate(rungs):
        args += ["-map", f"[v{i}]"]
        rate = rung["video_k"]
        args += [
            f"-b:v:{i}",
            f"{rate}k",
            f"-maxrate:v:{i}",
            f"{int(rate * 1.07)}k",
            f"-bufsize:v:{i}",
            f"{int(rate * 1.5)}k",
        ]
        entry = f"v:{i}"
        if probe.has_audio:
            args += ["-map", "0:a:0", f"-b:a:{i}", f"{rung['audio_k']}k"]
            entry += f",a:{i}"
        stream_map.append(f"{entry},name:{rung['name']}")
    args += [
        "-c:v",
        "libx264",
        "-preset",
        str(conf.get("MEDIA_X264_PRESET")),
        "-pix_fmt",
        "yuv420p",
        "-profile:v",
        "main",
        "-sc_threshold",
        "0",
        "-force_key_frames",
        f"expr:gte(t,n_forced*{segment})",
    ]
    if probe.has_audio:
        args += ["-c:a", "aac", "-ar", "48000", *_downmix(probe)]
    args += [
        "-f", "hls", "-hls_time", str(segment), "-hls_playlist_type", "vod",
        "-hls_flags", "independent_segments",
        "-hls_segment_filename", str(tmp / "%v" / "segment_%04d.ts"),
        "-master_pl_name", "master.m3u8",
        "-var_stream_map", " ".join(stream_map),
        str(tmp / "%v" / "index.m3u8"),
    ]  # fmt: skip
    return args


def process_video(source: Path, out: str) -> Outputs:
    probe = _probe(source, AssetKind.VIDEO)
    if not probe.has_video:
        if probe.has_audio:
            return _audio_outputs(source, out, probe, kind=AssetKind.AUDIO)
        raise MediaRejected("no_media_stream", "; ".join(probe.streams))
    if not probe.width or not probe.height:
        raise MediaRejected("corrupt_video", "no frame size")
    rungs = ladder_for(probe.width, probe.height)
    timeout = _timeout_for(probe.duration)
    with tempfile.TemporaryDirectory(prefix="cc-hls-") as tmp_name:
        tmp = Path(tmp_name)
        _run(_hls_args(source, probe, rungs, tmp), AssetKind.VIDEO, timeout=timeout)
        poster = tmp / "poster.jpg"
        at = (probe.duration or 0) * 0.1
        poster_args = [
            "-frames:v",
            "1",
            "-vf",
            "scale='min(1280,iw)':-2",
            "-q:v",
            "3",
            "-y",
            str(poster),
        ]
        _run(["-ss", f"{at:.3f}", "-i", str(source), *poster_args], AssetKind.VIDEO)
        if not poster.exists() or poster.stat().st_size == 0:  # past the last frame
            _run(["-i", str(source), *poster_args], AssetKind.VIDEO)
        if not (tmp / "master.m3u8").exists():
            raise MediaRejected("corrupt_video", "no playlist was written")
        try:
            with Image.open(poster) as poster_image:
                poster_size = poster_image.size
        except _IMAGE_ERRORS as exc:
            raise MediaRejected("corrupt_video", f"no poster frame: {exc}") from exc
        _upload_dir(tmp, f"{out}/hls")
    renditions = {
        f"hls_{rung['name']}": {
            "path": f"{out}/hls/{rung['name']}/index.m3u8",
            "mime": HLS_MIME,
            "width": rung["width"],
            "height": rung["height"],
            "bitrate": (rung["video_k"] + (rung["audio_k"] if probe.has_audio else 0)) * 1000,
        }
        for rung in rungs
    }
    renditions["poster"] = {
        "path": f"{out}/hls/poster.jpg",
        "mime": "image/jpeg",
        "width": poster_size[0],
        "height": poster_size[1],
    }
    return Outputs(
        metadata={
            "duration": probe.duration,
            "width": probe.width,
            "height": probe.height,
            "bitrate": probe.bitrate,
            "fps": probe.fps,
            "video_codec": probe.video_codec,
            "audio_codec": probe.audio_codec,
            "has_audio": probe.has_audio,
            "ladder": [rung["name"] for rung in rungs],
        },
        renditions=renditions,
        hls_path=f"{out}/hls/master.m3u8",
        poster_path=f"{out}/hls/poster.jpg",
        preview_path=f"{out}/hls/poster.jpg",
    )


# --- audio ---------------------------------------------------------------------------


def _audio_outputs(source: Path, out: str, probe: ffmpeg.Probe, *, kind: str | None) -> Outputs:
    bitrate_k = int(conf.get("MEDIA_AUDIO_BITRATE_K"))
    with tempfile.TemporaryDirectory(prefix="cc-audio-") as tmp_name:
        target = Path(tmp_name) / "audio.m4a"
        args = ["-y", "-i", str(source), *ffmpeg.threads_args(), "-map", "0:a:0", "-vn"]
        args += ["-c:a", "aac", "-b:a", f"{bitrate_k}k", *_downmix(probe)]
        args += ["-movflags", "+faststart"]
        timeout = _timeout_for(probe.duration)
        _run([*args, "-f", "mp4", str(target)], AssetKind.AUDIO, timeout=timeout)
        path = storage.save_path(f"{out}/audio/audio.m4a", target)
    return Outputs(
        metadata={
            "duration": probe.duration,
            "bitrate": probe.bitrate,
            "audio_codec": probe.audio_codec,
            "sample_rate": probe.sample_rate,
            "channels": probe.channels,
        },
        renditions={"aac": {"path": path, "mime": "audio/mp4", "bitrate": bitrate_k * 1000}},
        kind=kind,
    )


def process_audio(source: Path, out: str) -> Outputs:
    probe = _probe(source, AssetKind.AUDIO)
    if not probe.has_audio:
        if probe.has_video:
            outputs = process_video(source, out)
            outputs.kind = AssetKind.VIDEO
            return outputs
        raise MediaRejected("no_media_stream", "; ".join(probe.streams))
    return _audio_outputs(source, out, probe, kind=None)


# --- documents -----------------------------------------------------------------------

# pdfium is not thread-safe: one render at a time per process (eager tasks run in threads).
_PDFIUM_LOCK = threading.Lock()
PREVIEW_LONGEST_SIDE = 1600


def process_document(source: Path, out: str) -> Outputs:
    import pypdf
    import pypdfium2

    try:
        reader = pypdf.PdfReader(str(source), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise MediaRejected("pdf_encrypted")
        page_count = len(reader.pages)
        title = ""
        info = reader.metadata
        if info is not None and isinstance(info.title, str):
            title = info.title.strip()[:200]
    except MediaRejected:
        raise
    except Exception as exc:  # pypdf raises many kinds for broken files
        if isinstance(exc, pypdf.errors.FileNotDecryptedError):
            raise MediaRejected("pdf_encrypted") from exc
        raise MediaRejected("corrupt_document", str(exc) or type(exc).__name__) from exc
    if page_count == 0:
        raise MediaRejected("pdf_empty")
    try:
        with _PDFIUM_LOCK:
            document = pypdfium2.PdfDocument(str(source))
            try:
                page = document[0]
                width_pt, height_pt = page.get_size()
                scale = min(PREVIEW_LONGEST_SIDE / max(width_pt, height_pt, 1), 8.0)
                bitmap = page.render(scale=scale)
                picture = bitmap.to_pil().convert("RGB")
                page.close()
            finally:
                document.close()
    except pypdfium2.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise MediaRejected("pdf_encrypted") from exc
        raise MediaRejected("corrupt_document", str(exc)) from exc
    renditions = image_renditions(picture, f"{out}/preview")
    return Outputs(
        metadata={
            "page_count": page_count,
            "title": title,
            "page_width_pt": round(width_pt, 1),
            "page_height_pt": round(height_pt, 1),
        },
        renditions=renditions,
        preview_path=_preview(renditions),
    )
