"""Published content: reviewers (without the editor role) list what is on the site in their
REVIEW scope and unpublish it with a reason, with and without JavaScript."""

from __future__ import annotations

import pytest
from django.urls import reverse

from culturecloud.core.models import AuditEntry, ReviewStatus
from culturecloud.institutions.models import Role
from culturecloud.workbench.testing import make_article

from .test_pages import client_for, html

URL = "/workbench/published/"


def unpublish_url(article) -> str:
    return reverse(
        "workbench:review_action", args=["institutions.article", article.pk, "unpublish"]
    )


@pytest.fixture
def editor(tree, make_user):
    return make_user(role=Role.EDITOR, institution=tree.township, nickname="镇编辑")


@pytest.fixture
def reviewer(tree, make_user):
    return make_user(role=Role.REVIEWER, institution=tree.county, nickname="县审核")


def published(institution, editor, title):
    return make_article(institution, author=editor, title=title, status=ReviewStatus.PUBLISHED)


def test_url_is_the_contract():
    assert reverse("workbench:published") == URL


@pytest.mark.parametrize(
    ("role", "where", "allowed"),
    [
        (Role.REVIEWER, "county", True),
        (Role.ADMIN, "county", True),
        (Role.EDITOR, "county", False),
        (Role.OPERATOR, "county", False),
    ],
)
def test_who_may_open_it(tree, make_user, role, where, allowed):
    user = make_user(role=role, institution=getattr(tree, where))
    response = client_for(user).get(URL)
    assert response.status_code == (200 if allowed else 403)
    menu = html(client_for(user).get(reverse("workbench:home")))
    assert (f'href="{URL}"' in menu) is allowed


def test_lists_published_items_of_the_review_scope_only(tree, make_user, editor, reviewer):
    published(tree.township, editor, "镇上已发布")
    published(tree.village, editor, "村里已发布")
    published(tree.sibling_county, make_user(is_superuser=True), "邻县已发布")
    published(tree.city, make_user(is_superuser=True), "市里已发布")  # above the county
    make_article(tree.township, author=editor, title="草稿", status=ReviewStatus.DRAFT)
    make_article(tree.township, author=editor, title="待审", status=ReviewStatus.PENDING)
    make_article(tree.township, author=editor, title="已撤下", status=ReviewStatus.UNPUBLISHED)
    response = client_for(reviewer).get(URL)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    body = html(response)
    for title in ("镇上已发布", "村里已发布"):
        assert title in body
    for title in ("邻县已发布", "市里已发布", "草稿", "待审", "已撤下"):
        assert title not in body
    assert "2 items are published." in body
    assert body.count('<details class="wb-unpublish">') == 2  # closed until asked for
    assert '<summary class="btn">Unpublish…</summary>' in body
    assert "Reason for unpublishing (optional)" in body
    assert "镇编辑" in body  # the author


def test_township_reviewer_does_not_see_the_county(tree, make_user, editor):
    published(tree.county, editor, "县里")
    published(tree.village, editor, "村里")
    township_reviewer = make_user(role=Role.REVIEWER, institution=tree.township)
    body = html(client_for(township_reviewer).get(URL))
    assert "村里" in body and "县里" not in body


def test_newest_publication_first_and_filters(tree, editor, reviewer):
    from django.utils import timezone

    older = published(tree.township, editor, "旧的")
    newer = published(tree.village, editor, "新的")
    now = timezone.now()
    type(older).objects.filter(pk=older.pk).update(published_at=now.replace(year=now.year - 1))
    type(newer).objects.filter(pk=newer.pk).update(published_at=now)
    client = client_for(reviewer)
    assert [o.title for o in client.get(URL).context["page_obj"]] == ["新的", "旧的"]
    response = client.get(URL, {"institution": tree.village.code})
    assert [o.title for o in response.context["page_obj"]] == ["新的"]
    response = client.get(URL, {"type": "institutions.article"})
    assert len(response.context["page_obj"].object_list) == 2
    response = client.get(URL, {"institution": tree.sibling_county.code})
    assert response.status_code == 400
    assert "新的" not in html(response)
    assert client.get(URL, {"type": "accounts.user"}).status_code == 400


def test_unpublish_without_javascript(tree, editor, reviewer):
    article = published(tree.township, editor, "要撤下的")
    client = client_for(reviewer)
    page = html(client.get(URL, {"institution": tree.township.code}))
    assert f'action="{unpublish_url(article)}"' in page
    back = f"{URL}?institution={tree.township.code}"
    response = client.post(
        unpublish_url(article), {"reason": "活动已取消", "next": back}, follow=True
    )
    assert response.redirect_chain == [(back, 302)]
    body = html(response)
    assert "“要撤下的” was unpublished." in body
    assert "Nothing is published in your institutions." in body
    article.refresh_from_db()
    assert article.status == ReviewStatus.UNPUBLISHED
    assert article.rejection_reason == "活动已取消"
    assert article.reviewed_by == reviewer
    entry = AuditEntry.objects.get(action="institutions.article.unpublished")
    assert entry.actor == reviewer
    assert entry.after == {"status": "unpublished", "reason": "活动已取消"}
    # The editor sees why on the articles page.
    body = html(client_for(editor).get(reverse("workbench:articles")))
    assert "Reason given by the reviewer: 活动已取消" in body


def test_unpublish_with_htmx_swaps_the_card(tree, editor, reviewer):
    article = published(tree.township, editor, "卡片")
    client = client_for(reviewer)
    body = html(client.get(URL))
    assert f'hx-post="{unpublish_url(article)}"' in body
    assert 'hx-target="closest .queue-item"' in body
    response = client.post(unpublish_url(article), {"reason": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "“卡片” was unpublished." in html(response)
    assert "<html" not in html(response)
    article.refresh_from_db()
    assert article.status == ReviewStatus.UNPUBLISHED


def test_htmx_refusal_returns_the_published_card_with_the_error(tree, editor, reviewer):
    article = published(tree.township, editor, "已被别人撤下")
    client = client_for(reviewer)
    type(article).objects.filter(pk=article.pk).update(status=ReviewStatus.UNPUBLISHED)
    response = client.post(unpublish_url(article), {"reason": "重复"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    body = html(response)
    assert body.strip().startswith('<li class="card stack queue-item" id="published-')
    assert "that action is not possible now" in body
    assert 'role="alert"' in body


def test_out_of_scope_and_editor_cannot_unpublish(tree, make_user, editor):
    article = published(tree.township, editor, "别动")
    sibling = make_user(role=Role.REVIEWER, institution=tree.sibling_county)
    assert client_for(sibling).post(unpublish_url(article)).status_code == 404
    assert client_for(editor).post(unpublish_url(article)).status_code == 403
    article.refresh_from_db()
    assert article.status == ReviewStatus.PUBLISHED
    assert not AuditEntry.objects.filter(action="institutions.article.unpublished").exists()


def test_reason_too_long_is_refused(tree, editor, reviewer):
    article = published(tree.township, editor, "长理由")
    response = client_for(reviewer).post(unpublish_url(article), {"reason": "x" * 2001})
    assert response.status_code == 400
    response = client_for(reviewer).post(
        unpublish_url(article), {"reason": "y" * 2001}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    body = html(response)
    assert '<details class="wb-unpublish" open>' in body  # the form stays open, with the text
    assert "y" * 2000 in body
    article.refresh_from_db()
    assert article.status == ReviewStatus.PUBLISHED


def test_pages_and_query_count(tree, editor, reviewer, django_assert_max_num_queries):
    client = client_for(reviewer)
    published(tree.township, editor, "一")
    with django_assert_max_num_queries(12) as one:
        client.get(URL)
    for n in range(24):
        published(tree.village, editor, f"第{n}篇")
    with django_assert_max_num_queries(12) as many:
        response = client.get(URL)
    assert len(many.captured_queries) == len(one.captured_queries)
    assert len(response.context["page_obj"].object_list) == 20
    assert "Page 1 of 2" in html(response)
    assert len(client.get(URL, {"page": "2"}).context["page_obj"].object_list) == 5
    assert client.get(URL, {"page": "99"}).status_code == 200


def check_union(tree, make_user):
    """Two "models" (both Article querysets under different labels): the UNION branch that
    runs as soon as a second module adds a Reviewable model."""
    from django.utils import timezone

    from culturecloud.institutions.models import Article
    from culturecloud.institutions.permissions import Perm, scope_queryset
    from culturecloud.workbench.published import PublishedContent

    editor = make_user(role=Role.EDITOR, institution=tree.township)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    now = timezone.now()
    made = []
    for i in range(6):
        place = tree.township if i % 2 == 0 else tree.village
        article = published(place, editor, f"#{i}")
        Article.objects.filter(pk=article.pk).update(published_at=now.replace(year=2000 + i))
        made.append(article)
    Article.objects.filter(pk=made[0].pk).update(published_at=None)  # falls back on updated_at
    base = scope_queryset(
        Article.objects.filter(status=ReviewStatus.PUBLISHED), reviewer, Perm.REVIEW
    )
    content = PublishedContent(
        {
            "institutions.article": base.filter(institution=tree.township),
            "other.thing": base.filter(institution=tree.village),
        }
    )
    assert content.count() == 6 and len(content) == 6
    assert [a.title for a in content] == ["#0", "#5", "#4", "#3", "#2", "#1"]
    assert [a.title for a in content[1:3]] == ["#5", "#4"]
    assert content[0].title == "#0"
    with pytest.raises(IndexError):
        content[6]
    assert PublishedContent({}).count() == 0 and PublishedContent({})[0:5] == []


def test_union_over_several_models(tree, make_user):
    check_union(tree, make_user)


@pytest.mark.postgres
def test_union_over_several_models_on_postgres(tree, make_user):
    from django.db import connection

    assert connection.vendor == "postgresql"
    check_union(tree, make_user)
