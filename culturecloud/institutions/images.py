"""Image uploads: checked by content (Pillow), bounded in size, re-encoded.

Re-encoding drops whatever else the file carried (EXIF with GPS positions, trailing
payloads, polyglot tricks): what is stored is a fresh PNG or JPEG made from the pixels.
"""

from __future__ import annotations

import io
import uuid
import warnings
from typing import IO, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from culturecloud.core.errors import ServiceError

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding


def _invalid(field: str, message: str, code: str) -> ServiceError:
    return ServiceError(message, code=code, fields={field: [message]})


def reencode_image(
    upload: IO[bytes] | Any, *, field: str = "logo", max_side: int = 800
) -> ContentFile:
    """Validate `upload` as an image and return it re-encoded (PNG, or JPEG for photos).

    Raises ServiceError(code="image_too_large" | "invalid_image") with a field error.
    """
    size = getattr(upload, "size", None)
    too_large = False
    limit = settings.MAX_IMAGE_UPLOAD_BYTES
    if size is None:
        data = upload.read(limit + 1)
    elif size > limit:
        data = b""
        too_large = True
    else:
        data = upload.read()
    if too_large or len(data) > limit:
        raise _invalid(
            field,
            _("The image is too large; the limit is %(mb)s MB.") % {"mb": limit // (1024 * 1024)},
            "image_too_large",
        )
    if not data:
        raise _invalid(field, _("The file is empty."), "invalid_image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            if probe.format not in ACCEPTED_FORMATS:
                raise _invalid(
                    field, _("Please upload a JPEG, PNG, WebP or GIF image."), "invalid_image"
                )
            if probe.width * probe.height > MAX_PIXELS:
                raise _invalid(field, _("The image has too many pixels."), "image_too_large")
            probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
    except ServiceError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise _invalid(field, _("The file is not a valid image."), "invalid_image") from None
    picture: Image.Image = ImageOps.exif_transpose(image) or image
    picture.thumbnail((max_side, max_side))
    has_alpha = picture.mode in ("RGBA", "LA", "PA") or (
        picture.mode == "P" and "transparency" in picture.info
    )
    out = io.BytesIO()
    if has_alpha or picture.mode in ("P", "1", "L"):
        picture = picture.convert("RGBA" if has_alpha else "RGB")
        picture.save(out, format="PNG", optimize=True)
        ext = "png"
    else:
        picture.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
        ext = "jpg"
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{ext}")
