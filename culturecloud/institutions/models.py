from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from culturecloud.core.models import Reviewable


class Region(models.Model):
    """An administrative division, GB/T 2260 six-digit code (loaded by `load_regions`)."""

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("Province")
        PREFECTURE = 2, _("Prefecture")
        COUNTY = 3, _("County")

    code = models.CharField(_("code"), max_length=6, primary_key=True)
    name = models.CharField(_("name"), max_length=64)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def code_prefix(self) -> str:
        """Prefix shared by the codes of this region and everything inside it."""
        return self.code[: self.level * 2]


class InstitutionKind(models.TextChoices):
    NATIONAL = "national", _("National centre")
    PROVINCIAL = "provincial", _("Provincial cultural centre")
    MUNICIPAL = "municipal", _("Municipal cultural centre")
    COUNTY = "county", _("County cultural centre")
    TOWNSHIP = "township", _("Township cultural station")
    VILLAGE = "village", _("Village cultural service centre")
    LIBRARY = "library", _("Library")
    MUSEUM = "museum", _("Museum")


class Institution(models.Model):
    """A public cultural institution, a node of the network tree.

    `path` is the materialized path of primary keys ("/1/4/17/"): the subtree of X is
    every row whose path starts with X.path, one indexed prefix scan. Only
    `institutions.services` writes `parent`, `path` and `depth`.
    """

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=120)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=InstitutionKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent institution"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    postcode = models.CharField(_("postcode"), max_length=6, blank=True)
    phone = models.CharField(_("public phone"), max_length=32, blank=True)
    email = models.EmailField(_("public email"), blank=True)
    contact_name = models.CharField(_("contact person"), max_length=60, blank=True)
    website = models.URLField(_("website"), blank=True)
    logo = models.ImageField(_("logo"), upload_to="institutions/logos/", blank=True)
    description = models.TextField(_("description"), blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        ordering = ["path"]
        indexes = [
            models.Index(fields=["parent", "name"], name="inst_parent_name"),
            models.Index(fields=["region", "kind"], name="inst_region_kind"),
            models.Index(fields=["kind", "is_active"], name="inst_kind_active"),
            # The public directory's order (top of the tree first, then by name) among
            # active rows: the top levels, every list page and the search's first scan
            # walk it and stop early. short_name and code ride along (PostgreSQL
            # INCLUDE) so that scan reads the index only. Name search on PostgreSQL
            # also has a GIN index of name bigrams (migration 0002, directory.py).
            models.Index(
                fields=["depth", "name", "id"],
                name="inst_public_order",
                condition=models.Q(is_active=True),
                include=["short_name", "code"],
            ),
            # The few inactive institutions: public lists of their content exclude them
            # (resources.services.public_resources) with one lookup of this small index
            # instead of a walk of every institution.
            models.Index(fields=["id"], name="inst_inactive", condition=models.Q(is_active=False)),
        ]

    def __str__(self) -> str:
        return self.name

    def is_descendant_of(self, other: Institution) -> bool:
        """True for `other` itself and everything below it."""
        return self.path.startswith(other.path)

    def ancestor_ids(self) -> list[int]:
        """Primary keys from the root down to this institution, inclusive."""
        return [int(part) for part in self.path.strip("/").split("/") if part]


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    EDITOR = "editor", _("Editor")
    REVIEWER = "reviewer", _("Reviewer")
    OPERATOR = "operator", _("Operator")


class Membership(models.Model):
    """A staff role held at an institution; it applies to the institution's whole subtree."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "institution", "role"], name="uniq_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.institution_id}:{self.role}"


class Article(Reviewable):
    """News and notices (资讯/公告) on an institution's mini-site; reviewed before publication."""

    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = models.TextField(_("body"), help_text=_("Sanitized HTML."))

    audit_namespace = "institutions.article"

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["-published_at", "-created_at"]
        indexes = [
            models.Index(fields=["institution", "status", "-published_at"], name="article_pub"),
            models.Index(fields=["status", "submitted_at"], name="article_queue"),
        ]

    def __str__(self) -> str:
        return self.title
