"""Helpers for tests of the review workflow, the audit log and the workbench.

Plain functions (not fixtures) so that tests of several apps can share them.
"""

from __future__ import annotations

from typing import Any

from culturecloud.core import review
from culturecloud.core.models import ReviewStatus
from culturecloud.institutions.models import Article, Institution


def make_article(
    institution: Institution,
    *,
    author: Any,
    title: str = "村晚报名开始",
    status: str = ReviewStatus.DRAFT,
) -> Article:
    """An article written by `author`; `status` is set directly (no audit entry)."""
    article = Article.objects.create(
        institution=institution,
        title=title,
        summary="",
        body="<p>正文</p>",
        created_by=author,
    )
    if status != ReviewStatus.DRAFT:
        Article.objects.filter(pk=article.pk).update(status=status)
        article.refresh_from_db()
    return article


def submitted_article(
    institution: Institution, *, author: Any, title: str = "村晚报名开始"
) -> Article:
    """A draft that `author` (an editor) submitted through the review workflow."""
    return review.submit(make_article(institution, author=author, title=title), actor=author)
