"""What the pages and the API show of a resource's media: the player, the viewer, the
reader, thumbnails, and the schema.org JSON-LD.

Deep zoom: the viewer reads an IIIF Image API info.json URL from `data-iiif-info`. The IIIF
endpoints live in `resources/iiif.py` (another module); when it registers a URL named
"resources:iiif_info" taking `identifier` (the MediaAsset id), `iiif_info_url()` returns it.
Until then the viewer shows the large rendition as a single image.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.files.storage import default_storage
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.urls import NoReverseMatch, reverse
from django.utils.html import strip_tags
from django.utils.safestring import SafeString, mark_safe

from culturecloud.media.models import AssetStatus, MediaAsset

from .models import Resource, ResourceImage, ResourceKind

IIIF_INFO_URL_NAME = "resources:iiif_info"

SCHEMA_TYPES: dict[str, str] = {
    ResourceKind.VIDEO: "VideoObject",
    ResourceKind.AUDIO: "AudioObject",
    ResourceKind.IMAGE: "ImageObject",
    ResourceKind.IMAGE_SET: "CreativeWork",
    ResourceKind.DOCUMENT: "CreativeWork",
}


def storage_url(path: str) -> str:
    return default_storage.url(path) if path else ""


def iiif_info_url(asset: MediaAsset) -> str:
    """The IIIF info.json of an image asset, once the IIIF module provides it; else ""."""
    try:
        return reverse(IIIF_INFO_URL_NAME, kwargs={"identifier": str(asset.pk)})
    except NoReverseMatch:
        return ""


def rendition_url(asset: MediaAsset | None, name: str) -> str:
    if asset is None or asset.status != AssetStatus.READY:
        return ""
    rendition = asset.best_rendition(name)
    return storage_url(rendition["path"]) if rendition else ""


def asset_thumbnail(asset: MediaAsset | None) -> str:
    """A small picture of a ready asset: the image or PDF page, the video's poster frame."""
    if asset is None or asset.status != AssetStatus.READY:
        return ""
    if asset.kind == "video":
        return storage_url(asset.poster_path)
    return rendition_url(asset, "thumbnail")


# What a card (resources/_card.html) and an API summary (endpoints.summary) read of a
# resource, its institution, region and media: lists load only these columns, not the Dublin
# Core record or the media's metadata, which are most of a row's bytes and parsing time.
THUMBNAIL_FIELDS = ("kind", "status", "renditions", "poster_path")
CARD_FIELDS = (
    "id",
    "identifier",
    "title",
    "kind",
    "category",
    "ich_category",
    "year",
    "published_at",
    "view_count",
    "play_count",
    "favorite_count",
    "institution__code",
    "institution__name",
    "region__code",
    "region__name",
    *(f"media__{name}" for name in THUMBNAIL_FIELDS),
)


def as_cards(resources: QuerySet[Resource]) -> QuerySet[Resource]:
    """`resources` with what a card or a summary shows, in one query with their institution,
    region and media. Pass the rows through `load_card_images` (or `with_thumbnails`)."""
    return resources.select_related("institution", "region", "media").only(*CARD_FIELDS)


def load_card_images(resources: list[Resource]) -> list[Resource]:
    """Reads the images of the image sets among `resources` with their assets: one query, and
    none when there is no image set among them (a plain prefetch would always cost one)."""
    image_sets = [r for r in resources if r.kind == ResourceKind.IMAGE_SET]
    if image_sets:
        images = (
            ResourceImage.objects.select_related("asset")
            .only("resource_id", "position", "asset_id", *(f"asset__{n}" for n in THUMBNAIL_FIELDS))
            .order_by("position", "pk")  # the model's ordering would join the resources again
        )
        prefetch_related_objects(image_sets, Prefetch("images", queryset=images))
    return resources


def with_thumbnails(resources: Iterable[Resource]) -> list[Resource]:
    """The card rows with `thumb`, the URL of their picture ("" when none is ready)."""
    rows = load_card_images(list(resources))
    for resource in rows:
        resource.thumb = thumbnail_url(resource)  # type: ignore[attr-defined]
    return rows


def set_images(resource: Resource) -> list[Any]:
    """The images of an image set, in order (prefetch "images__asset" to avoid queries)."""
    return list(resource.images.all())


def thumbnail_url(resource: Resource) -> str:
    if resource.kind == ResourceKind.IMAGE_SET:
        images = set_images(resource)
        return asset_thumbnail(images[0].asset) if images else ""
    return asset_thumbnail(resource.media if resource.media_id else None)


@dataclass
class Image:
    large: str
    thumbnail: str
    iiif: str
    width: int | None
    height: int | None
    caption: str = ""
    status: str = AssetStatus.READY
    error: str = ""


@dataclass
class Player:
    """What the detail page plays. `state`: none, processing, failed or ready."""

    kind: str  # video, audio, image, image_set, document (what is shown)
    state: str
    asset: MediaAsset | None = None
    error: str = ""
    hls_url: str = ""
    poster_url: str = ""
    audio_url: str = ""
    audio_mime: str = ""
    pdf_url: str = ""
    preview_url: str = ""
    page_count: int | None = None
    duration: float | None = None
    images: list[Image] = field(default_factory=list)
    failed_assets: list[MediaAsset] = field(default_factory=list)

    @property
    def images_json(self) -> str:
        """The viewer's sources for an image set (a data attribute)."""
        return json.dumps(
            [{"iiif": i.iiif, "url": i.large, "caption": i.caption} for i in self.images],
            ensure_ascii=False,
        )


def _image(asset: MediaAsset, caption: str = "") -> Image:
    large = asset.best_rendition("large") or {}
    return Image(
        large=rendition_url(asset, "large"),
        thumbnail=rendition_url(asset, "thumbnail"),
        iiif=iiif_info_url(asset) if asset.status == AssetStatus.READY else "",
        width=large.get("width"),
        height=large.get("height"),
        caption=caption,
        status=asset.status,
        error=asset.error_message,
    )


def _state(asset: MediaAsset) -> str:
    if asset.status == AssetStatus.READY:
        return "ready"
    if asset.status == AssetStatus.FAILED:
        return "failed"
    return "processing"


def player_for(resource: Resource) -> Player:
    if resource.kind == ResourceKind.IMAGE_SET:
        rows = set_images(resource)
        if not rows:
            return Player(kind=resource.kind, state="none")
        images = [_image(row.asset, row.caption) for row in rows]
        failed = [row.asset for row in rows if row.asset.status == AssetStatus.FAILED]
        ready = [i for i in images if i.status == AssetStatus.READY]
        state = "ready" if ready else ("failed" if failed else "processing")
        return Player(
            kind=resource.kind,
            state=state,
            images=ready,
            failed_assets=failed,
            error=failed[0].error_message if failed else "",
        )
    asset = resource.media if resource.media_id else None
    if asset is None:
        return Player(kind=resource.kind, state="none")
    kind = asset.kind  # an "audio" upload that held a picture plays as video
    player = Player(kind=kind, state=_state(asset), asset=asset, error=asset.error_message)
    if asset.status == AssetStatus.FAILED:
        player.failed_assets = [asset]
    if player.state != "ready":
        return player
    meta = asset.metadata or {}
    if kind == "video":
        player.hls_url = storage_url(asset.hls_path)
        player.poster_url = storage_url(asset.poster_path)
        player.duration = meta.get("duration")
    elif kind == "audio":
        rendition = asset.renditions.get("aac") or {}
        player.audio_url = storage_url(rendition.get("path", ""))
        player.audio_mime = rendition.get("mime", "audio/mp4")
        player.duration = meta.get("duration")
    elif kind == "image":
        player.images = [_image(asset)]
    elif kind == "document":
        player.pdf_url = asset.original.url
        player.preview_url = rendition_url(asset, "large")
        player.page_count = meta.get("page_count")
    return player


# --- schema.org ------------------------------------------------------------------------


def _duration(seconds: float | None) -> str | None:
    if not seconds:
        return None
    total = round(float(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"PT{hours}H{minutes}M{secs}S" if hours else f"PT{minutes}M{secs}S"


def jsonld_for(resource: Resource, player: Player, absolute: Any) -> dict[str, Any]:
    """The schema.org description of a resource. `absolute(path)` makes a URL absolute."""
    institution = resource.institution
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": SCHEMA_TYPES.get(resource.kind, "CreativeWork"),
        "@id": absolute(resource.get_absolute_url()),
        "url": absolute(resource.get_absolute_url()),
        "identifier": resource.identifier,
        "name": resource.title,
        "inLanguage": resource.language,
        "publisher": {
            "@type": "Organization",
            "name": institution.name,
            "url": absolute(reverse("institutions:detail", kwargs={"code": institution.code})),
        },
        "isAccessibleForFree": True,
    }
    description = " ".join(strip_tags(resource.description).split())
    if description:
        data["description"] = description[:5000]
    if resource.creator:
        data["creator"] = {"@type": "Thing", "name": resource.creator}
    if resource.contributor:
        data["contributor"] = {"@type": "Thing", "name": resource.contributor}
    if resource.date:
        data["dateCreated"] = resource.date
    if resource.published_at:
        data["datePublished"] = resource.published_at.date().isoformat()
    keywords = [t.name for t in resource.tags.all()]
    if resource.subject:
        keywords.insert(0, resource.subject)
    if keywords:
        data["keywords"] = ", ".join(keywords)
    data["genre"] = str(resource.get_category_display())
    if resource.rights_uri:
        data["license"] = resource.rights_uri
    if resource.rights_statement:
        data["copyrightNotice"] = resource.rights_statement
    if resource.region_id and resource.region is not None:
        data["spatialCoverage"] = {"@type": "Place", "name": resource.region.name}
    if resource.period:
        data["temporalCoverage"] = resource.period
    if resource.dc_format:
        data["encodingFormat"] = resource.dc_format
    thumb = thumbnail_url(resource)
    if thumb:
        data["thumbnailUrl"] = absolute(thumb)
    if player.state == "ready":
        if player.kind == "video":
            data["contentUrl"] = absolute(player.hls_url)
            data["encodingFormat"] = "application/vnd.apple.mpegurl"
            if resource.published_at:
                data["uploadDate"] = resource.published_at.isoformat()
        elif player.kind == "audio":
            data["contentUrl"] = absolute(player.audio_url)
            data["encodingFormat"] = player.audio_mime
        elif player.kind == "document":
            data["contentUrl"] = absolute(player.pdf_url)
            if player.page_count:
                data["numberOfPages"] = player.page_count
        elif resource.kind == ResourceKind.IMAGE and player.images:
            image = player.images[0]
            data["contentUrl"] = absolute(image.large)
            if image.width:
                data["width"] = image.width
                data["height"] = image.height
        elif resource.kind == ResourceKind.IMAGE_SET:
            data["hasPart"] = [
                {"@type": "ImageObject", "contentUrl": absolute(i.large), "caption": i.caption}
                for i in player.images
            ]
        duration = _duration(player.duration)
        if duration:
            data["duration"] = duration
    if resource.view_count:
        data["interactionStatistic"] = {
            "@type": "InteractionCounter",
            "interactionType": {"@type": "WatchAction"},
            "userInteractionCount": resource.view_count,
        }
    return data


def jsonld_script_body(data: dict[str, Any]) -> SafeString:
    """JSON for a <script type="application/ld+json"> element: <, > and & escaped so that
    no text can close the element (as Django's json_script does)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026")
    return mark_safe(text)  # noqa: S308 - escaped above
