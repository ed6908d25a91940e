"""Only published content reaches the public: pages, API list and API detail."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from culturecloud.core.models import ReviewStatus
from culturecloud.institutions.models import Role
from culturecloud.workbench.testing import make_article

HIDDEN = [ReviewStatus.DRAFT, ReviewStatus.PENDING, ReviewStatus.REJECTED, ReviewStatus.UNPUBLISHED]


def public_views(article) -> tuple[int, int, list[int], str]:
    """(page status, API detail status, ids in the API list, mini-site HTML) for a visitor."""
    client = Client()
    code = article.institution.code
    page = client.get(reverse("institutions:article", kwargs={"code": code, "pk": article.pk}))
    detail = client.get(f"/api/v1/institutions/{code}/articles/{article.pk}")
    listing = client.get(f"/api/v1/institutions/{code}/articles")
    assert listing.status_code == 200
    site = client.get(reverse("institutions:detail", kwargs={"code": code}))
    assert site.status_code == 200
    ids = [item["id"] for item in listing.json()["items"]]
    return page.status_code, detail.status_code, ids, site.content.decode()


@pytest.mark.parametrize("status", HIDDEN)
def test_unpublished_states_never_reach_the_public(tree, make_user, status):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    article = make_article(tree.township, author=editor, title=f"不公开-{status}", status=status)
    page, detail, ids, site = public_views(article)
    assert page == 404
    assert detail == 404
    assert article.pk not in ids
    assert article.title not in site


def test_published_article_is_public(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    article = make_article(
        tree.township, author=editor, title="公开的文章", status=ReviewStatus.PUBLISHED
    )
    page, detail, ids, site = public_views(article)
    assert page == 200
    assert detail == 200
    assert ids == [article.pk]
    assert "公开的文章" in site


def test_staff_do_not_see_drafts_on_public_pages_either(tree, make_user):
    """Public pages show the public view to everyone; drafts live in the workbench."""
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    article = make_article(tree.township, author=editor, title="草稿")
    client = Client()
    client.force_login(editor)
    url = reverse("institutions:article", kwargs={"code": tree.township.code, "pk": article.pk})
    assert client.get(url).status_code == 404
