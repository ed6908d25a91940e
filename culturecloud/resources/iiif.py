"""IIIF: Image API 3.0 (level 1) and Presentation API 3.0 for published image resources.

Image API at /iiif/<asset id>/: info.json and
/<region>/<size>/<rotation>/<quality>.<format> with region full|square|x,y,w,h|pct:x,y,w,h,
size max|w,|,h|w,h|!w,h|pct:n (with ^ to upscale), rotation 0, quality default|color|gray,
format jpg|png. Images are cut from the stored original (EXIF orientation applied) with
Pillow; the result is at most IIIF_MAX_SIZE pixels on a side and IIIF_MAX_AREA in area.
Results are kept in the cache (key: asset, its checksum and the request) and sent with an
ETag and a long Cache-Control; every IIIF response allows any origin (CORS).

Only images of published resources (as media or in an image set) are served.

Presentation API: /iiif/manifest/<resource id or identifier> (image and image-set
resources) and /iiif/collection/<collection id>.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import warnings
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_GET
from PIL import Image, ImageOps

from culturecloud.institutions.permissions import Perm, has_perm
from culturecloud.media import storage as media_storage
from culturecloud.media.models import AssetStatus, MediaAsset

from . import services
from .models import Collection, Resource, ResourceImage, ResourceKind, Rights
from .services import plain_text

IMAGE_CONTEXT = "http://iiif.io/api/image/3/context.json"
PRESENTATION_CONTEXT = "http://iiif.io/api/presentation/3/context.json"
IMAGE_PROFILE = "http://iiif.io/api/image"
TILE_SIZE = 512
CACHE_SECONDS = 24 * 3600
FORMATS = {"jpg": ("JPEG", "image/jpeg"), "png": ("PNG", "image/png")}
QUALITIES = {"default", "color", "gray"}
NUMBER = r"\d+(?:\.\d+)?"
REGION_RE = re.compile(rf"^(pct:)?({NUMBER}),({NUMBER}),({NUMBER}),({NUMBER})$")
SIZE_WH_RE = re.compile(r"^(\^)?(!)?(\d*),(\d*)$")
SIZE_PCT_RE = re.compile(rf"^(\^)?pct:({NUMBER})$")
IMAGE_KINDS = {ResourceKind.IMAGE, ResourceKind.IMAGE_SET}


def max_size() -> int:
    return int(getattr(settings, "IIIF_MAX_SIZE", 4000))


def max_area() -> int:
    return int(getattr(settings, "IIIF_MAX_AREA", 16_000_000))


class BadRequest(Exception):
    pass


def _cors(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _json(data: dict[str, Any], content_type: str, status: int = 200) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=1), content_type=content_type, status=status
    )
    response["Cache-Control"] = f"public, max-age={getattr(settings, 'PUBLIC_CACHE_SECONDS', 300)}"
    return _cors(response)


def _bad(message: str) -> HttpResponse:
    response = HttpResponse(message, content_type="text/plain; charset=utf-8", status=400)
    return _cors(response)


# --- Image API --------------------------------------------------------------------------


def _published_asset(identifier: Any) -> MediaAsset | None:
    published = services.public_resources()
    return (
        MediaAsset.objects.filter(pk=identifier, kind="image", status=AssetStatus.READY)
        .filter(
            Q(pk__in=published.filter(media__isnull=False).values("media"))
            | Q(
                pk__in=ResourceImage.objects.filter(resource__in=published.values("pk")).values(
                    "asset"
                )
            )
        )
        .first()
    )


def visible_asset(request: HttpRequest, identifier: Any) -> tuple[MediaAsset, bool]:
    """(asset, public): a ready image of a published resource (public), or for staff of its
    institution's subtree (WORKBENCH) any ready image, so that previews zoom too; else 404."""
    asset = _published_asset(identifier)
    if asset is not None:
        return asset, True
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        asset = (
            MediaAsset.objects.select_related("institution")
            .filter(pk=identifier, kind="image", status=AssetStatus.READY)
            .first()
        )
        if asset is not None and has_perm(user, Perm.WORKBENCH, asset.institution):
            return asset, False
    raise Http404("No such image.")


def dimensions(asset: MediaAsset) -> tuple[int, int]:
    meta = asset.metadata or {}
    width, height = int(meta.get("width") or 0), int(meta.get("height") or 0)
    if not width or not height:
        large = asset.best_rendition("large") or {}
        width, height = int(large.get("width") or 0), int(large.get("height") or 0)
    return width, height


def service_id(request: HttpRequest, asset: MediaAsset) -> str:
    info = reverse("resources:iiif_info", kwargs={"identifier": str(asset.pk)})
    return request.build_absolute_uri(info.rsplit("/", 1)[0])


def _scale_factors(width: int, height: int) -> list[int]:
    factors = [1]
    while max(width, height) / factors[-1] > TILE_SIZE:
        factors.append(factors[-1] * 2)
    return factors


def info_document(request: HttpRequest, asset: MediaAsset) -> dict[str, Any]:
    width, height = dimensions(asset)
    sizes = []
    for factor in reversed(_scale_factors(width, height)):
        w, h = max(1, round(width / factor)), max(1, round(height / factor))
        if max(w, h) <= max_size() and w * h <= max_area():
            sizes.append({"width": w, "height": h})
    return {
        "@context": IMAGE_CONTEXT,
        "id": service_id(request, asset),
        "type": "ImageService3",
        "protocol": IMAGE_PROFILE,
        "profile": "level1",
        "width": width,
        "height": height,
        "maxWidth": max_size(),
        "maxHeight": max_size(),
        "maxArea": max_area(),
        "sizes": sizes,
        "tiles": [{"width": TILE_SIZE, "scaleFactors": _scale_factors(width, height)}],
        "extraQualities": ["color", "gray"],
        "extraFormats": ["png"],
        "extraFeatures": ["regionSquare", "sizeByConfinedWh", "sizeUpscaling", "regionByPct"],
    }


@require_GET
def info(request: HttpRequest, identifier: Any) -> HttpResponse:
    asset, is_public = visible_asset(request, identifier)
    response = _json(
        info_document(request, asset),
        f'application/ld+json;profile="{IMAGE_CONTEXT}"',
    )
    if not is_public:
        response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def base(request: HttpRequest, identifier: Any) -> HttpResponse:
    visible_asset(request, identifier)
    return _cors(
        HttpResponseRedirect(reverse("resources:iiif_info", kwargs={"identifier": str(identifier)}))
    )


def parse_region(region: str, width: int, height: int) -> tuple[int, int, int, int]:
    if region == "full":
        return 0, 0, width, height
    if region == "square":
        side = min(width, height)
        return (width - side) // 2, (height - side) // 2, side, side
    match = REGION_RE.match(region)
    if not match:
        raise BadRequest(f"Invalid region '{region[:40]}'.")
    values = [float(v) for v in match.groups()[1:]]
    if match.group(1):
        if any(v > 100 for v in values):
            raise BadRequest("Region percentages are at most 100.")
        x, y = values[0] * width / 100, values[1] * height / 100
        w, h = values[2] * width / 100, values[3] * height / 100
    else:
        if any(v != int(v) for v in values):
            raise BadRequest("Region pixels are whole numbers.")
        x, y, w, h = values
    x, y, w, h = round(x), round(y), round(w), round(h)
    if w <= 0 or h <= 0:
        raise BadRequest("The region has no area.")
    if x >= width or y >= height:
        raise BadRequest("The region is outside the image.")
    return x, y, min(w, width - x), min(h, height - y)


def parse_size(size: str, rw: int, rh: int) -> tuple[int, int]:
    upscale = size.startswith("^")
    if size in ("max", "^max"):
        w, h = rw, rh
        scale = min(1.0, max_size() / max(w, h), (max_area() / (w * h)) ** 0.5)
        if scale < 1:
            w, h = max(1, int(w * scale)), max(1, int(h * scale))
        return w, h
    pct = SIZE_PCT_RE.match(size)
    if pct:
        n = float(pct.group(2))
        if n <= 0 or (n > 100 and not upscale):
            raise BadRequest("Invalid percentage size.")
        w, h = round(rw * n / 100), round(rh * n / 100)
    else:
        match = SIZE_WH_RE.match(size)
        if not match:
            raise BadRequest(f"Invalid size '{size[:40]}'.")
        confined = bool(match.group(2))
        sw = int(match.group(3)) if match.group(3) else None
        sh = int(match.group(4)) if match.group(4) else None
        if sw is None and sh is None:
            raise BadRequest("Give a width, a height or both.")
        if confined:
            if sw is None or sh is None:
                raise BadRequest("!w,h needs both a width and a height.")
            scale = min(sw / rw, sh / rh)
            w, h = round(rw * scale), round(rh * scale)
        elif sw is not None and sh is not None:
            w, h = sw, sh
        elif sw is not None:
            w, h = sw, round(rh * sw / rw)
        else:
            assert sh is not None
            w, h = round(rw * sh / rh), sh
    if w <= 0 or h <= 0:
        raise BadRequest("The size has no area.")
    if not upscale and (w > rw or h > rh):
        raise BadRequest("The size is larger than the region; use ^ to upscale.")
    if max(w, h) > max_size() or w * h > max_area():
        raise BadRequest("The size is larger than this server allows (see info.json).")
    return w, h


def render(
    asset: MediaAsset, box: tuple[int, int, int, int], size: tuple[int, int], quality: str, fmt: str
) -> bytes:
    with media_storage.local_path(asset.original.name) as path, warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(path) as source:
            picture = ImageOps.exif_transpose(source)
            x, y, w, h = box
            picture = picture.crop((x, y, x + w, y + h))
            picture = picture.convert("L" if quality == "gray" else "RGB")
            if picture.size != size:
                picture = picture.resize(size, Image.Resampling.LANCZOS)
            buffer = io.BytesIO()
            picture.save(buffer, format=FORMATS[fmt][0], quality=85)
            return buffer.getvalue()


@require_GET
def image(
    request: HttpRequest,
    identifier: Any,
    region: str,
    size: str,
    rotation: str,
    quality: str,
    fmt: str,
) -> HttpResponse:
    asset, is_public = visible_asset(request, identifier)
    width, height = dimensions(asset)
    try:
        if not width or not height:
            raise BadRequest("The image size is unknown.")
        box = parse_region(region, width, height)
        out = parse_size(size, box[2], box[3])
        if rotation not in ("0", "0.0"):
            raise BadRequest("Only rotation 0 is supported.")
        if quality not in QUALITIES:
            raise BadRequest(f"Unsupported quality '{quality[:20]}'.")
        if fmt not in FORMATS:
            raise BadRequest(f"Unsupported format '{fmt[:10]}'.")
    except BadRequest as exc:
        return _bad(str(exc))
    key_source = f"{asset.pk}:{asset.sha256}:{box}:{out}:{quality}:{fmt}"
    etag = '"' + hashlib.sha256(key_source.encode()).hexdigest()[:32] + '"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        key = "iiif:" + hashlib.sha256(key_source.encode()).hexdigest()
        body = cache.get(key)
        if body is None:
            try:
                body = render(asset, box, out, quality, fmt)
            except (OSError, ValueError, Image.DecompressionBombError):
                return _bad("The image cannot be read.")
            cache.set(key, body, CACHE_SECONDS)
        response = HttpResponse(body, content_type=FORMATS[fmt][1])
    response["ETag"] = etag
    response["Cache-Control"] = (
        f"public, max-age={CACHE_SECONDS}" if is_public else "private, max-age=300"
    )
    response["Link"] = f'<{IMAGE_PROFILE}/3/level1.json>;rel="profile"'
    return _cors(response)


# --- Presentation API -------------------------------------------------------------------


def language_map(text: str) -> dict[str, list[str]]:
    """A IIIF language map; Chinese text under "zh", other text under "none"."""
    text = (text or "").strip()
    if not text:
        return {"none": [""]}
    has_han = any("\u4e00" <= ch <= "\u9fff" for ch in text)
    return {"zh" if has_han else "none": [text]}


def _label(name: str) -> dict[str, list[str]]:
    return {"en": [name]}


def _manifest_url(request: HttpRequest, resource: Resource) -> str:
    return request.build_absolute_uri(
        reverse("resources:iiif_manifest", kwargs={"ref": str(resource.pk)})
    )


def _public_image_resource(ref: str) -> Resource:
    qs = (
        services.public_resources()
        .filter(kind__in=IMAGE_KINDS)
        .select_related("institution", "media", "region")
    )
    if "\x00" in ref or len(ref) > 255:
        raise Http404("No such image resource.")
    resource = qs.filter(pk=int(ref)).first() if ref.isdigit() and len(ref) < 18 else None
    if resource is None:
        resource = qs.filter(identifier=ref).first()
    if resource is None:
        raise Http404("No such image resource.")
    return resource


def _images(resource: Resource) -> list[MediaAsset]:
    if resource.kind == ResourceKind.IMAGE:
        media = resource.media
        return [media] if media is not None and media.status == AssetStatus.READY else []
    return [
        image.asset
        for image in ResourceImage.objects.filter(
            resource=resource, asset__status=AssetStatus.READY
        )
        .select_related("asset")
        .order_by("position")
    ]


def manifest_document(request: HttpRequest, resource: Resource) -> dict[str, Any]:
    manifest_id = _manifest_url(request, resource)
    metadata = []
    for name, value in (
        ("Creator", resource.creator),
        ("Subject", resource.subject),
        ("Date", resource.date),
        ("Type", resource.dcmi_type),
        ("Identifier", resource.identifier),
        ("Language", resource.language),
        (
            "Coverage",
            "; ".join(
                v for v in (resource.region.name if resource.region else "", resource.period) if v
            ),
        ),
        ("Publisher", resource.institution.name),
    ):
        if value:
            metadata.append({"label": _label(name), "value": language_map(value)})
    document: dict[str, Any] = {
        "@context": PRESENTATION_CONTEXT,
        "id": manifest_id,
        "type": "Manifest",
        "label": language_map(resource.title),
        "metadata": metadata,
        "requiredStatement": {
            "label": _label("Attribution"),
            "value": language_map(resource.rights_statement or resource.institution.name),
        },
        "homepage": [
            {
                "id": request.build_absolute_uri(resource.get_absolute_url()),
                "type": "Text",
                "label": language_map(resource.title),
                "format": "text/html",
            }
        ],
        "provider": [
            {
                "id": request.build_absolute_uri(
                    reverse("institutions:detail", kwargs={"code": resource.institution.code})
                ),
                "type": "Agent",
                "label": language_map(resource.institution.name),
            }
        ],
        "items": [],
    }
    summary = " ".join(plain_text(resource.description).split())
    if summary:
        document["summary"] = language_map(summary)
    if resource.rights != Rights.IN_COPYRIGHT or resource.rights_uri:
        document["rights"] = resource.rights_uri
    for n, asset in enumerate(_images(resource), start=1):
        width, height = dimensions(asset)
        if not width or not height:
            continue
        canvas_id = f"{manifest_id}/canvas/{n}"
        service = service_id(request, asset)
        document["items"].append(
            {
                "id": canvas_id,
                "type": "Canvas",
                "label": {"none": [str(n)]},
                "width": width,
                "height": height,
                "items": [
                    {
                        "id": f"{canvas_id}/page",
                        "type": "AnnotationPage",
                        "items": [
                            {
                                "id": f"{canvas_id}/page/image",
                                "type": "Annotation",
                                "motivation": "painting",
                                "target": canvas_id,
                                "body": {
                                    "id": f"{service}/full/max/0/default.jpg",
                                    "type": "Image",
                                    "format": "image/jpeg",
                                    "width": width,
                                    "height": height,
                                    "service": [
                                        {
                                            "id": service,
                                            "type": "ImageService3",
                                            "profile": "level1",
                                        }
                                    ],
                                },
                            }
                        ],
                    }
                ],
            }
        )
    return document


@require_GET
def manifest(request: HttpRequest, ref: str) -> HttpResponse:
    resource = _public_image_resource(ref)
    return _json(
        manifest_document(request, resource),
        f'application/ld+json;profile="{PRESENTATION_CONTEXT}"',
    )


@require_GET
def collection(request: HttpRequest, pk: int) -> HttpResponse:
    found = services.public_collections().filter(pk=pk).select_related("institution").first()
    if not isinstance(found, Collection):
        raise Http404("No such collection.")
    resources = services.collection_resources(found).filter(kind__in=IMAGE_KINDS)
    document = {
        "@context": PRESENTATION_CONTEXT,
        "id": request.build_absolute_uri(
            reverse("resources:iiif_collection", kwargs={"pk": found.pk})
        ),
        "type": "Collection",
        "label": language_map(found.title),
        "items": [
            {"id": _manifest_url(request, r), "type": "Manifest", "label": language_map(r.title)}
            for r in resources
        ],
    }
    summary = " ".join(plain_text(found.description).split())
    if summary:
        document["summary"] = language_map(summary)
    return _json(document, f'application/ld+json;profile="{PRESENTATION_CONTEXT}"')
