"""Settings of the media app, each with a default (override any of them in settings.py).

MEDIA_MAX_BYTES               upper size of an upload, per kind (bytes)
MEDIA_DIRECT_UPLOAD_MAX_BYTES largest file accepted in one request; larger ones use sessions
MEDIA_UPLOAD_CHUNK_BYTES      chunk size the server proposes to resumable uploads
MEDIA_UPLOAD_MAX_CHUNK_BYTES  largest chunk accepted (keep nginx's client_max_body_size above)
MEDIA_UPLOAD_MIN_CHUNK_BYTES  smallest chunk but the last (keeps row counts sane; at least
                              8 KiB so that the first chunk shows what the file is)
MEDIA_UPLOAD_SESSION_TTL      seconds an idle upload session lives (each chunk renews it)
MEDIA_MAX_OPEN_SESSIONS       open upload sessions per user
MEDIA_UPLOAD_RATE             new uploads (direct or resumable) per user: (count, seconds)
MEDIA_IMAGE_SIZES             image renditions: name → longest side in pixels
MEDIA_IMAGE_MAX_PIXELS        larger images are refused (decompression bombs)
MEDIA_VIDEO_LADDER            HLS ladder: short side → (video kbit/s, audio kbit/s)
MEDIA_HLS_SEGMENT_SECONDS     HLS segment length
MEDIA_X264_PRESET             libx264 preset (speed against size)
MEDIA_FFMPEG_THREADS          threads per ffmpeg run (0: ffmpeg decides)
MEDIA_FFMPEG_TIMEOUT          seconds one ffmpeg run may take at most
MEDIA_FFMPEG_NICE             niceness added to ffmpeg (background priority)
MEDIA_AUDIO_BITRATE_K         AAC bitrate of audio renditions
MEDIA_PROCESSING_MAX_RETRIES  retries of a processing task after a transient error
MEDIA_PROCESSING_STALE_SECONDS an asset processing longer than this is started again
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

MB = 1024 * 1024

DEFAULTS: dict[str, Any] = {
    "MEDIA_MAX_BYTES": {
        "image": 30 * MB,
        "audio": 200 * MB,
        "document": 100 * MB,
        "video": 4 * 1024 * MB,
    },
    "MEDIA_DIRECT_UPLOAD_MAX_BYTES": 32 * MB,
    "MEDIA_UPLOAD_CHUNK_BYTES": 8 * MB,
    "MEDIA_UPLOAD_MAX_CHUNK_BYTES": 16 * MB,
    "MEDIA_UPLOAD_MIN_CHUNK_BYTES": 64 * 1024,
    "MEDIA_UPLOAD_SESSION_TTL": 24 * 3600,
    "MEDIA_MAX_OPEN_SESSIONS": 20,
    "MEDIA_UPLOAD_RATE": (300, 3600),
    "MEDIA_IMAGE_SIZES": {"thumbnail": 320, "medium": 800, "large": 1600},
    "MEDIA_IMAGE_MAX_PIXELS": 100_000_000,
    "MEDIA_VIDEO_LADDER": {360: (800, 96), 540: (1400, 128), 720: (2800, 128), 1080: (5000, 160)},
    "MEDIA_HLS_SEGMENT_SECONDS": 6,
    "MEDIA_X264_PRESET": "veryfast",
    "MEDIA_FFMPEG_THREADS": 0,
    "MEDIA_FFMPEG_TIMEOUT": 6 * 3600,
    "MEDIA_FFMPEG_NICE": 10,
    "MEDIA_AUDIO_BITRATE_K": 128,
    "MEDIA_PROCESSING_MAX_RETRIES": 5,
    "MEDIA_PROCESSING_STALE_SECONDS": 12 * 3600,
}


def get(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])


def max_bytes(kind: str) -> int:
    limits = {**DEFAULTS["MEDIA_MAX_BYTES"], **get("MEDIA_MAX_BYTES")}
    return int(limits[kind])
