"""The digital resource library (数字资源): resources with Dublin Core metadata, their
heritage projects and inheritors, collections (专题), favorites and comments.

Only `resources.services` writes these rows (and `core.review` the review state).
Counters (views, plays, favorites) change by conditional UPDATEs with F(), never by a
read-modify-write.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from culturecloud.core.models import Reviewable

IDENTIFIER_PREFIX = "cc:res:"


class ResourceKind(models.TextChoices):
    VIDEO = "video", _("Video")
    AUDIO = "audio", _("Audio")
    IMAGE = "image", _("Image")
    IMAGE_SET = "image_set", _("Image set")
    DOCUMENT = "document", _("Document / e-book")


# The media kind each resource kind plays (an image set holds several images).
MEDIA_KIND: dict[str, str] = {
    ResourceKind.VIDEO: "video",
    ResourceKind.AUDIO: "audio",
    ResourceKind.IMAGE: "image",
    ResourceKind.IMAGE_SET: "image",
    ResourceKind.DOCUMENT: "document",
}

# DCMI Type Vocabulary term of each kind (dc:type).
DCMI_TYPE: dict[str, str] = {
    ResourceKind.VIDEO: "MovingImage",
    ResourceKind.AUDIO: "Sound",
    ResourceKind.IMAGE: "StillImage",
    ResourceKind.IMAGE_SET: "Collection",
    ResourceKind.DOCUMENT: "Text",
}


class ArtCategory(models.TextChoices):
    # Translators: art category 音乐
    MUSIC = "music", _("Music")
    # Translators: art category 舞蹈
    DANCE = "dance", _("Dance")
    # Translators: art category 戏剧
    DRAMA = "drama", _("Drama")
    # Translators: art category 曲艺 (storytelling and ballad singing)
    QUYI = "quyi", _("Quyi")
    # Translators: art category 美术
    FINE_ARTS = "fine_arts", _("Fine arts")
    # Translators: art category 书法
    CALLIGRAPHY = "calligraphy", _("Calligraphy")
    # Translators: art category 摄影
    PHOTOGRAPHY = "photography", _("Photography")
    # Translators: art category 文学
    LITERATURE = "literature", _("Literature")
    # Translators: art category 综合
    GENERAL = "general", _("General")


class IchCategory(models.TextChoices):
    """The ten categories of the national list of intangible cultural heritage."""

    # Translators: intangible heritage category 民间文学
    FOLK_LITERATURE = "folk_literature", _("Folk literature")
    # Translators: intangible heritage category 传统音乐
    MUSIC = "traditional_music", _("Traditional music")
    # Translators: intangible heritage category 传统舞蹈
    DANCE = "traditional_dance", _("Traditional dance")
    # Translators: intangible heritage category 传统戏剧
    DRAMA = "traditional_drama", _("Traditional drama")
    # Translators: intangible heritage category 曲艺
    QUYI = "quyi", _("Quyi (storytelling and ballad singing)")
    # Translators: intangible heritage category 传统体育、游艺与杂技
    SPORTS = "sports_acrobatics", _("Traditional sports, entertainment and acrobatics")
    # Translators: intangible heritage category 传统美术
    ART = "traditional_art", _("Traditional art")
    # Translators: intangible heritage category 传统技艺
    CRAFT = "traditional_craft", _("Traditional craftsmanship")
    # Translators: intangible heritage category 传统医药
    MEDICINE = "traditional_medicine", _("Traditional medicine")
    # Translators: intangible heritage category 民俗
    FOLK_CUSTOM = "folk_custom", _("Folk customs")


class Rights(models.TextChoices):
    CC0 = "cc0", _("CC0 (public domain dedication)")
    CC_BY = "cc_by", _("CC BY (attribution)")
    CC_BY_NC = "cc_by_nc", _("CC BY-NC (attribution, non-commercial)")
    IN_COPYRIGHT = "in_copyright", _("In copyright")


RIGHTS_URI: dict[str, str] = {
    Rights.CC0: "https://creativecommons.org/publicdomain/zero/1.0/",
    Rights.CC_BY: "https://creativecommons.org/licenses/by/4.0/",
    Rights.CC_BY_NC: "https://creativecommons.org/licenses/by-nc/4.0/",
    Rights.IN_COPYRIGHT: "http://rightsstatements.org/vocab/InC/1.0/",
}


class Audience(models.TextChoices):
    GENERAL = "general", _("Everyone")
    CHILDREN = "children", _("Children")
    TEENAGERS = "teenagers", _("Teenagers")
    ADULTS = "adults", _("Adults")
    ELDERLY = "elderly", _("Older people")
    PROFESSIONALS = "professionals", _("Professionals and teachers")


class HeritageLevel(models.TextChoices):
    # Translators: 国家级
    NATIONAL = "national", _("National level")
    # Translators: 省级
    PROVINCIAL = "provincial", _("Provincial level")
    # Translators: 市级
    MUNICIPAL = "municipal", _("Municipal level")
    # Translators: 县级
    COUNTY = "county", _("County level")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=30, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class HeritageProject(models.Model):
    """An item of an intangible-heritage list (非遗代表性项目), kept by an institution."""

    name = models.CharField(_("name"), max_length=120)
    code = models.CharField(
        _("list number"), max_length=32, blank=True, help_text=_("For example Ⅱ-1.")
    )
    ich_category = models.CharField(
        _("intangible heritage category"), max_length=32, choices=IchCategory.choices
    )
    level = models.CharField(_("level"), max_length=16, choices=HeritageLevel.choices)
    region = models.ForeignKey(
        "institutions.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("institution"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    description = models.TextField(_("description"), blank=True, help_text=_("Plain text."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("heritage project")
        verbose_name_plural = _("heritage projects")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["level", "code"],
                condition=~models.Q(code=""),
                name="res_project_level_code",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("resources:heritage_project", kwargs={"pk": self.pk})


class Inheritor(models.Model):
    """A representative inheritor (代表性传承人) of a heritage project. Only what the public
    list says: the name and the level; no contact or identity data."""

    name = models.CharField(_("name"), max_length=60)
    project = models.ForeignKey(
        HeritageProject,
        verbose_name=_("heritage project"),
        on_delete=models.PROTECT,
        related_name="inheritors",
    )
    level = models.CharField(_("level"), max_length=16, choices=HeritageLevel.choices)
    region = models.ForeignKey(
        "institutions.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    bio = models.TextField(
        _("short biography"), blank=True, help_text=_("What the public list says; plain text.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("inheritor")
        verbose_name_plural = _("inheritors")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


PUBLISHED = models.Q(status="published")


class Resource(Reviewable):
    """One item of the library with its Dublin Core record.

    dc:publisher is the institution; dc:type follows `kind` (DCMI_TYPE); dc:format is
    `format` or the media's content type; dc:coverage is `region` (spatial) and `period`
    (temporal). `year` is derived from `date` for browsing. `institution_path` copies the
    institution's path (kept current by institutions.services) for subtree filters.
    """

    identifier = models.CharField(_("identifier"), max_length=255, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=ResourceKind.choices)
    title = models.CharField(_("title"), max_length=300)
    creator = models.CharField(_("creator"), max_length=200, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True, help_text=_("Sanitized HTML."))
    contributor = models.CharField(_("contributor"), max_length=300, blank=True)
    date = models.CharField(
        _("date"), max_length=10, blank=True, help_text=_("YYYY, YYYY-MM or YYYY-MM-DD.")
    )
    year = models.SmallIntegerField(_("year"), null=True, blank=True)
    format = models.CharField(_("format"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)
    language = models.CharField(_("language"), max_length=16, default="zh")
    relation = models.CharField(_("relation"), max_length=300, blank=True)
    period = models.CharField(_("period"), max_length=100, blank=True)
    region = models.ForeignKey(
        "institutions.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rights = models.CharField(
        _("rights"), max_length=16, choices=Rights.choices, default=Rights.IN_COPYRIGHT
    )
    rights_statement = models.TextField(_("rights statement"), blank=True)
    category = models.CharField(_("art category"), max_length=16, choices=ArtCategory.choices)
    ich_category = models.CharField(
        _("intangible heritage category"),
        max_length=32,
        choices=IchCategory.choices,
        blank=True,
    )
    heritage_project = models.ForeignKey(
        HeritageProject,
        verbose_name=_("heritage project"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resources",
    )
    inheritors = models.ManyToManyField(
        Inheritor, verbose_name=_("inheritors"), blank=True, related_name="resources"
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="+")
    audience = models.CharField(
        _("audience"), max_length=16, choices=Audience.choices, default=Audience.GENERAL
    )
    media = models.ForeignKey(
        "media.MediaAsset",
        verbose_name=_("media file"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    institution_path = models.CharField(max_length=255, editable=False, db_index=True)
    view_count = models.PositiveBigIntegerField(_("views"), default=0)
    play_count = models.PositiveBigIntegerField(_("plays"), default=0)
    favorite_count = models.PositiveBigIntegerField(_("favorites"), default=0)

    audit_namespace = "resources.resource"

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        ordering = ["-published_at", "-pk"]
        indexes = [
            # The public lists (browse.SORTS) walk one of these in order and stop after the
            # page: newest, views, year (also `year=` newest first), and the three
            # vocabularies newest first. Partial: the public sees published rows only.
            models.Index(
                fields=["-published_at", "-id"], name="res_pub_newest", condition=PUBLISHED
            ),
            models.Index(fields=["-view_count", "-id"], name="res_pub_views", condition=PUBLISHED),
            # Covering the other filters and the facets' columns: a `year=` list combined with
            # broad filters (drama, audio: 488 of 22,000 rows of a year at 1M) is counted and
            # sampled in an index-only scan, without reading the table.
            models.Index(
                fields=["-year", "-published_at", "-id"],
                name="res_pub_year",
                condition=PUBLISHED,
                include=["category", "kind", "ich_category", "audience", "institution", "region"],
            ),
            models.Index(
                fields=["category", "-published_at", "-id"],
                name="res_pub_category",
                condition=PUBLISHED,
            ),
            models.Index(
                fields=["ich_category", "-published_at", "-id"],
                name="res_pub_ich",
                condition=PUBLISHED,
            ),
            models.Index(
                fields=["kind", "-published_at", "-id"], name="res_pub_kind", condition=PUBLISHED
            ),
            # Staff lists (core.queries.content_for_editor, the staff API): most recently
            # changed first, whatever the state; a national scope walks this and stops.
            models.Index(fields=["-updated_at", "-id"], name="res_changed"),
            models.Index(fields=["status", "institution_path"], name="res_status_path"),
            models.Index(fields=["status", "region"], name="res_status_region"),
            models.Index(fields=["status", "submitted_at"], name="res_queue"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("resources:detail", kwargs={"pk": self.pk})

    @property
    def dcmi_type(self) -> str:
        return DCMI_TYPE.get(self.kind, "Text")

    @property
    def media_kind(self) -> str:
        return MEDIA_KIND.get(self.kind, "")

    @property
    def rights_uri(self) -> str:
        return RIGHTS_URI.get(self.rights, "")

    @property
    def dc_format(self) -> str:
        if self.format:
            return self.format
        media = self.media if self.media_id else None
        return media.mime if media is not None else ""


class ResourceImage(models.Model):
    """One image of an image set, in order."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="images")
    asset = models.ForeignKey(
        "media.MediaAsset", verbose_name=_("image"), on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveIntegerField(_("position"))
    caption = models.CharField(_("caption"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("image of a set")
        verbose_name_plural = _("images of a set")
        ordering = ["resource", "position"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "position"], name="res_image_position"),
            models.UniqueConstraint(fields=["resource", "asset"], name="res_image_asset"),
        ]

    def __str__(self) -> str:
        return f"{self.resource_id}#{self.position}"


class Collection(Reviewable):
    """A curated collection (专题) of resources, by an institution."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, help_text=_("Sanitized HTML."))

    audit_namespace = "resources.collection"

    class Meta:
        verbose_name = _("collection")
        verbose_name_plural = _("collections")
        ordering = ["-published_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="res_coll_pub"),
            models.Index(fields=["status", "submitted_at"], name="res_coll_queue"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("resources:collection", kwargs={"pk": self.pk})


class CollectionItem(models.Model):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="items")
    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, related_name="collection_items"
    )
    position = models.PositiveIntegerField(_("position"))

    class Meta:
        ordering = ["collection", "position"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "resource"], name="res_coll_item"),
        ]

    def __str__(self) -> str:
        return f"{self.collection_id}#{self.position}"


class Favorite(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resource_favorites"
    )
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="favorites")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("favorite")
        verbose_name_plural = _("favorites")
        constraints = [
            models.UniqueConstraint(fields=["user", "resource"], name="res_favorite_unique")
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="res_fav_user")]

    def __str__(self) -> str:
        return f"{self.user_id}♥{self.resource_id}"


class CommentStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for moderation")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Comment(models.Model):
    """A reader's comment: plain text, shown once staff with REVIEW at the resource's
    institution approved it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resource_comments"
    )
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="comments")
    body = models.TextField(_("comment"))
    status = models.CharField(
        _("status"), max_length=16, choices=CommentStatus.choices, default=CommentStatus.PENDING
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("moderated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    moderated_at = models.DateTimeField(_("moderated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["resource", "status", "created_at"], name="res_comment_list"),
            models.Index(fields=["status", "created_at"], name="res_comment_queue"),
        ]

    def __str__(self) -> str:
        return self.body[:40]

    def audit_label(self) -> str:
        return self.body[:60]
