"""What a file is, decided by its content (magic bytes), never by its name."""

from __future__ import annotations

import os
from dataclasses import dataclass

import filetype

from .models import AssetKind

# Bytes read from the start of a file to recognise it (filetype looks at 8 KiB at most).
HEADER_BYTES = 8192

# Content types we accept: MIME → (kind, extension of the stored original).
ACCEPTED: dict[str, tuple[str, str]] = {
    "image/jpeg": (AssetKind.IMAGE, "jpg"),
    "image/png": (AssetKind.IMAGE, "png"),
    "image/gif": (AssetKind.IMAGE, "gif"),
    "image/webp": (AssetKind.IMAGE, "webp"),
    "image/tiff": (AssetKind.IMAGE, "tif"),
    "image/bmp": (AssetKind.IMAGE, "bmp"),
    "video/mp4": (AssetKind.VIDEO, "mp4"),
    "video/x-m4v": (AssetKind.VIDEO, "m4v"),
    "video/quicktime": (AssetKind.VIDEO, "mov"),
    "video/x-matroska": (AssetKind.VIDEO, "mkv"),
    "video/webm": (AssetKind.VIDEO, "webm"),
    "video/x-msvideo": (AssetKind.VIDEO, "avi"),
    "video/mpeg": (AssetKind.VIDEO, "mpg"),
    "video/x-flv": (AssetKind.VIDEO, "flv"),
    "video/3gpp": (AssetKind.VIDEO, "3gp"),
    "video/x-ms-wmv": (AssetKind.VIDEO, "wmv"),
    "audio/mpeg": (AssetKind.AUDIO, "mp3"),
    "audio/mp4": (AssetKind.AUDIO, "m4a"),
    "audio/aac": (AssetKind.AUDIO, "aac"),
    "audio/x-wav": (AssetKind.AUDIO, "wav"),
    "audio/ogg": (AssetKind.AUDIO, "ogg"),
    "audio/x-flac": (AssetKind.AUDIO, "flac"),
    "audio/amr": (AssetKind.AUDIO, "amr"),
    "audio/x-aiff": (AssetKind.AUDIO, "aiff"),
    "application/pdf": (AssetKind.DOCUMENT, "pdf"),
}

# What a file name claims. Audio and video share containers (an .mp4 may hold only sound,
# an .ogg may hold a film), so they count as one family when names and contents are compared.
EXTENSION_KINDS: dict[str, str] = {
    **{e: AssetKind.IMAGE for e in ("jpg", "jpeg", "jpe", "png", "gif", "webp", "tif", "tiff")},
    **{e: AssetKind.IMAGE for e in ("bmp", "heic", "heif", "avif", "svg")},
    **{e: AssetKind.VIDEO for e in ("mp4", "m4v", "mov", "mkv", "webm", "avi", "mpg", "mpeg")},
    **{e: AssetKind.VIDEO for e in ("flv", "3gp", "wmv", "ts", "mts", "m2ts", "vob")},
    **{e: AssetKind.AUDIO for e in ("mp3", "m4a", "aac", "wav", "ogg", "oga", "opus", "flac")},
    **{e: AssetKind.AUDIO for e in ("amr", "aif", "aiff", "wma")},
    **{e: AssetKind.DOCUMENT for e in ("pdf", "doc", "docx", "ppt", "pptx", "xls", "xlsx")},
    **{e: AssetKind.DOCUMENT for e in ("txt", "rtf", "odt", "epub")},
}
FAMILY = {
    AssetKind.IMAGE: "image",
    AssetKind.VIDEO: "av",
    AssetKind.AUDIO: "av",
    AssetKind.DOCUMENT: "document",
}


@dataclass(frozen=True)
class Detected:
    kind: str
    mime: str
    extension: str


def sniff(header: bytes) -> tuple[str | None, Detected | None]:
    """(detected MIME or None, the accepted type or None) of a file's first bytes."""
    guess = filetype.guess(bytearray(header[:HEADER_BYTES])) if header else None
    if guess is None:
        return None, None
    accepted = ACCEPTED.get(guess.mime)
    if accepted is None:
        return guess.mime, None
    return guess.mime, Detected(kind=accepted[0], mime=guess.mime, extension=accepted[1])


def claimed_kind(filename: str) -> str | None:
    """The kind a file name claims by its extension (None: no or unknown extension)."""
    extension = os.path.splitext(filename or "")[1].lower().lstrip(".")
    return EXTENSION_KINDS.get(extension)


def name_contradicts(filename: str, kind: str) -> bool:
    claimed = claimed_kind(filename)
    return claimed is not None and FAMILY[AssetKind(claimed)] != FAMILY[AssetKind(kind)]
