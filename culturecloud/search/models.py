from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SearchDocument(models.Model):
    """One searchable thing of any app ("resources.resource" 42), as the search index sees it.

    Written only by the search backends (`culturecloud.search.services`). Besides these
    columns the table has, per database (migration 0002):
    - PostgreSQL: `tsv tsvector` (title weight A, subject B, body C) with a GIN index;
    - SQLite: the FTS5 table `search_fts` (rowid = id; title, subject, body as terms),
      whose rows a trigger deletes with the document.
    `institution_path` is a copy of the institution's materialized path, kept current by
    institutions.services when the tree changes, so a subtree filter is one prefix scan.
    """

    doc_type = models.CharField(_("type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    title = models.CharField(_("title"), max_length=300)
    subject = models.CharField(_("subject"), max_length=1000, blank=True)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("address"), max_length=500, blank=True)
    image = models.CharField(_("image"), max_length=500, blank=True)
    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("institution"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    institution_path = models.CharField(max_length=255, blank=True, db_index=True)
    region_code = models.CharField(_("region"), max_length=6, blank=True, db_index=True)
    category = models.CharField(_("category"), max_length=64, blank=True)
    kind = models.CharField(_("kind"), max_length=32, blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    year = models.SmallIntegerField(_("year"), null=True, blank=True)
    # Further facets of a type, {"name": ["value", ...]}.
    facets = models.JSONField(_("facets"), default=dict, blank=True)
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    popularity = models.BigIntegerField(_("views"), default=0)
    indexed_at = models.DateTimeField(_("indexed at"), default=timezone.now)

    class Meta:
        verbose_name = _("search document")
        verbose_name_plural = _("search documents")
        constraints = [
            models.UniqueConstraint(fields=["doc_type", "object_id"], name="search_doc_unique")
        ]
        indexes = [
            # The bounded candidate scans: the most viewed / newest matches first.
            models.Index(fields=["-popularity", "-id"], name="search_doc_popular"),
            models.Index(fields=["-published_at", "-id"], name="search_doc_newest"),
            models.Index(fields=["doc_type", "indexed_at"], name="search_doc_type_indexed"),
        ]

    def __str__(self) -> str:
        return f"{self.doc_type}:{self.object_id} {self.title}"
