"""core.queries: the review queue across several Reviewable models (a UNION), the
audit log's scope and filters, the editor's content list."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from culturecloud.core import queries, review
from culturecloud.core.models import AuditEntry, ReviewStatus
from culturecloud.institutions.models import Article, Role
from culturecloud.institutions.permissions import Perm, scope_queryset
from culturecloud.workbench.testing import make_article, submitted_article


def two_model_queue(user, tree):
    """A queue over two "models": the union branch, as soon as a second module adds one.
    Both parts are Article querysets under different labels."""
    pending = Article.objects.filter(status=ReviewStatus.PENDING)
    return queries.ReviewQueue(
        {
            "institutions.article": scope_queryset(pending, user, Perm.REVIEW).filter(
                institution=tree.township
            ),
            "other.thing": scope_queryset(pending, user, Perm.REVIEW).filter(
                institution=tree.village
            ),
        }
    )


def check_union(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    made = []
    for i in range(6):
        place = tree.township if i % 2 == 0 else tree.village
        made.append(submitted_article(place, author=editor, title=f"#{i}"))
    queue = two_model_queue(reviewer, tree)
    assert queue.count() == 6
    assert len(queue) == 6
    page = queue[1:4]
    assert [item.obj.pk for item in page] == [a.pk for a in made[1:4]]
    assert [item.content_type for item in page] == ["institutions.article"] * 3
    assert page[0].submitted_by == ""  # "other.thing" has no audit entries
    assert page[1].submitted_by == editor.get_short_name()
    assert [item.title for item in queue] == [f"#{i}" for i in range(6)]
    assert queue[0].title == "#0"
    with pytest.raises(IndexError):
        queue[6]


def test_queue_union_over_several_models(tree, make_user):
    check_union(tree, make_user)


@pytest.mark.postgres
def test_queue_union_over_several_models_on_postgres(tree, make_user):
    assert connection.vendor == "postgresql"
    check_union(tree, make_user)


def test_queue_works_with_django_paginator(tree, make_user):
    from django.core.paginator import Paginator

    editor = make_user(role=Role.EDITOR, institution=tree.township)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    for i in range(3):
        submitted_article(tree.township, author=editor, title=f"#{i}")
    page = Paginator(queries.review_queue(reviewer), 2).get_page(2)
    assert page.paginator.count == 3
    assert [item.title for item in page] == ["#2"]


def test_queue_submitter_is_who_submitted_last(tree, make_user):
    author = make_user(role=Role.EDITOR, institution=tree.township, nickname="作者")
    colleague = make_user(role=Role.EDITOR, institution=tree.county, nickname="同事")
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    article = submitted_article(tree.township, author=author)
    review.withdraw(article, actor=author)
    review.submit(article, actor=colleague)
    [item] = list(queries.review_queue(reviewer))
    assert item.submitted_by == "同事"
    assert item.created_by == "作者"


def test_queue_for_platform_admin_and_nobody(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    submitted_article(tree.township, author=editor)
    submitted_article(tree.other_province, author=make_user(is_superuser=True))
    assert queries.review_queue(make_user(is_superuser=True)).count() == 2
    assert queries.review_queue(make_user()).count() == 0
    assert list(queries.review_queue(editor)) == []


def test_reviewable_model_lookup():
    assert queries.reviewable_model("institutions.article") is Article
    assert queries.reviewable_model(" Institutions.Article ") is Article
    assert queries.reviewable_model("accounts.user") is None
    assert queries.reviewable_model("") is None


def test_audit_log_scope(tree, make_user):
    """County admin sees the county subtree; not the sibling county, not above."""
    county_admin = make_user(role=Role.ADMIN, institution=tree.county)
    sibling_admin = make_user(role=Role.ADMIN, institution=tree.sibling_county)
    city_admin = make_user(role=Role.ADMIN, institution=tree.city)
    editor = make_user(role=Role.EDITOR, institution=tree.city)
    own = submitted_article(tree.village, author=editor, title="本县村")
    sibling = submitted_article(tree.sibling_county, author=editor, title="邻县")
    above = submitted_article(tree.city, author=editor, title="市")

    def seen(user):
        return set(
            queries.audit_log(user, action_prefix="institutions.article").values_list(
                "target_id", flat=True
            )
        )

    assert seen(county_admin) == {str(own.pk)}
    assert seen(sibling_admin) == {str(sibling.pk)}
    assert seen(city_admin) == {str(own.pk), str(sibling.pk), str(above.pk)}
    assert seen(make_user(role=Role.REVIEWER, institution=tree.county)) == set()
    assert seen(make_user()) == set()
    # Platform-level entries (no institution) are for platform administrators only.
    from culturecloud.core import audit

    audit.record("core.platform.tested", actor=None)
    assert not queries.audit_log(city_admin, action_prefix="core.").exists()
    assert queries.audit_log(make_user(is_superuser=True), action_prefix="core.").exists()


def test_audit_log_filters(tree, make_user):
    admin = make_user(role=Role.ADMIN, institution=tree.county)
    editor = make_user(role=Role.EDITOR, institution=tree.county)
    first = submitted_article(tree.county, author=editor, title="早")
    second = submitted_article(tree.township, author=editor, title="晚")
    review.approve(second, actor=admin)
    old = AuditEntry.objects.get(target_type="institutions.article", target_id=str(first.pk))
    long_ago = timezone.now() - dt.timedelta(days=10)
    AuditEntry.objects.filter(pk=old.pk).update(created_at=long_ago)

    def labels(**filters):
        return [
            e.target_label
            for e in queries.audit_log(admin, **filters)
            if e.action.startswith("institutions.article")
        ]

    assert labels() == ["晚", "晚", "早"]
    assert labels(action_prefix="institutions.article.approved") == ["晚"]
    assert labels(institution=tree.township) == ["晚", "晚"]
    assert labels(actor=admin) == ["晚"]
    today = timezone.localdate()
    assert labels(since=today) == ["晚", "晚"]
    assert labels(until=today - dt.timedelta(days=1)) == ["早"]
    assert labels(until=timezone.localtime(long_ago).date()) == ["早"]
    assert labels(since=long_ago, until=long_ago) == ["早"]  # datetimes are inclusive


def test_content_for_editor(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    mine = make_article(tree.village, author=editor, title="村")
    make_article(tree.county, author=editor, title="县")
    make_article(tree.sibling_county, author=editor, title="邻县")
    published = make_article(
        tree.township, author=editor, title="已发", status=ReviewStatus.PUBLISHED
    )
    rows = list(queries.content_for_editor(editor, Article))
    assert {a.pk for a in rows} == {mine.pk, published.pk}
    assert (
        queries.content_for_editor(
            make_user(role=Role.REVIEWER, institution=tree.county), Article
        ).count()
        == 0
    )
