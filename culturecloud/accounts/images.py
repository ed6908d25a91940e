"""Uploaded images checked by content (Pillow), bounded in size, re-encoded without metadata."""

from __future__ import annotations

import io
import secrets
import warnings
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from culturecloud.core.errors import ServiceError

ALLOWED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF"})
MAX_PIXELS = 40_000_000  # a 40-megapixel photo; beyond that it is a decompression bomb


def _error(field: str, message: str, code: str) -> ServiceError:
    return ServiceError(message, code=code, fields={field: [message]})


def clean_image(
    upload: IO[bytes], *, field: str = "avatar", max_side: int = 512, max_bytes: int | None = None
) -> ContentFile:
    """Check an upload really is a JPEG/PNG/WebP/GIF image no bigger than the limit and
    return it re-encoded (EXIF, GPS and other metadata dropped), at most `max_side` px.
    Raises ServiceError(code="invalid_image" or "image_too_large") otherwise."""
    limit = settings.MAX_IMAGE_UPLOAD_BYTES if max_bytes is None else max_bytes
    size = getattr(upload, "size", None)
    too_large = _error(
        field,
        _("The image is too large: at most %(mb)s MB.") % {"mb": f"{limit / 1024 / 1024:g}"},
        "image_too_large",
    )
    if size is not None and size > limit:
        raise too_large
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise too_large
    not_image = _error(
        field, _("The file is not an image we accept (JPEG, PNG, WebP or GIF)."), "invalid_image"
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ALLOWED_FORMATS:
                    raise not_image
                if probe.width * probe.height > MAX_PIXELS:
                    raise not_image
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.seek(0)
                picture = ImageOps.exif_transpose(image) or image
                picture.thumbnail((max_side, max_side))
                has_alpha = picture.mode in ("RGBA", "LA", "PA") or (
                    picture.mode == "P" and "transparency" in picture.info
                )
                out = io.BytesIO()
                if has_alpha:
                    picture.convert("RGBA").save(out, format="PNG", optimize=True)
                    extension = "png"
                else:
                    picture.convert("RGB").save(out, format="JPEG", quality=85)
                    extension = "jpg"
    except ServiceError:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        ValueError,
        SyntaxError,
        EOFError,
    ) as exc:
        raise not_image from exc
    return ContentFile(out.getvalue(), name=f"{secrets.token_hex(10)}.{extension}")
