"""Document types the search app registers itself: institution articles (news, notices)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .registry import Document, register


def article_document(article) -> Document:
    inst = article.institution
    return Document(
        doc_type="institutions.article",
        object_id=article.pk,
        title=article.title,
        subject=article.summary,
        body=article.body,  # sanitized HTML: the index keeps its text
        url=reverse("institutions:article", kwargs={"code": inst.code, "pk": article.pk}),
        institution=inst,
        published_at=article.published_at,
    )


def register_doc_types() -> None:
    from culturecloud.institutions.models import Article
    from culturecloud.institutions.services import public_articles

    register(
        "institutions.article",
        label=_("News and notices"),
        model=Article,
        to_document=article_document,
        public_queryset=lambda: public_articles().select_related("institution"),
    )
