"""The review workflow (core.review): every transition, who may make it, what it records."""

from __future__ import annotations

import pytest

from culturecloud.core import review
from culturecloud.core.errors import Conflict, PermissionDenied, ServiceError
from culturecloud.core.models import AuditEntry, ReviewStatus
from culturecloud.institutions.models import Article, Role
from culturecloud.workbench.testing import make_article, submitted_article

S = ReviewStatus

# transition → (states it may start from, state it leads to)
EXPECTED = {
    "submitted": ({S.DRAFT, S.REJECTED, S.UNPUBLISHED}, S.PENDING),
    "withdrawn": ({S.PENDING}, S.DRAFT),
    "reopened": ({S.REJECTED, S.UNPUBLISHED}, S.DRAFT),
    "approved": ({S.PENDING}, S.PUBLISHED),
    "rejected": ({S.PENDING}, S.REJECTED),
    "unpublished": ({S.PUBLISHED}, S.UNPUBLISHED),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("start", [s.value for s in S])
def test_every_transition_from_every_state(tree, make_user, name, start):
    author = make_user(role=Role.EDITOR, institution=tree.township)
    admin = make_user(role=Role.ADMIN, institution=tree.county)  # may edit and review
    article = make_article(tree.township, author=author, status=start)
    allowed_from, target = EXPECTED[name]

    if start in allowed_from:
        result = review.transition(article, name, actor=admin, reason="不符合要求")
        assert result.status == target
        article.refresh_from_db()
        assert article.status == target
        entry = AuditEntry.objects.get(action=f"institutions.article.{name}")
        assert entry.before == {"status": start}
        assert entry.after["status"] == target
    else:
        with pytest.raises(Conflict) as refused:
            review.transition(article, name, actor=admin, reason="不符合要求")
        assert refused.value.code == "invalid_transition"
        article.refresh_from_db()
        assert article.status == start
        assert not AuditEntry.objects.filter(action__startswith="institutions.article.").exists()


def test_unknown_transition_is_refused(tree, make_user):
    admin = make_user(role=Role.ADMIN, institution=tree.county)
    article = make_article(tree.county, author=admin)
    with pytest.raises(ServiceError) as refused:
        review.transition(article, "deleted", actor=admin)
    assert refused.value.code == "unknown_transition"


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_reject_needs_a_reason(tree, make_user, reason):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    article = submitted_article(tree.township, author=editor)
    with pytest.raises(ServiceError) as refused:
        review.reject(article, actor=reviewer, reason=reason)
    assert refused.value.code == "reason_required"
    assert "reason" in refused.value.fields
    article.refresh_from_db()
    assert article.status == S.PENDING


def test_reject_records_the_reason_and_resubmission_clears_it(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    article = submitted_article(tree.township, author=editor)

    rejected = review.reject(article, actor=reviewer, reason="  图片版权不明  ")
    assert rejected.status == S.REJECTED
    assert rejected.rejection_reason == "图片版权不明"
    assert rejected.reviewed_by == reviewer
    assert rejected.reviewed_at is not None
    entry = AuditEntry.objects.get(action="institutions.article.rejected")
    assert entry.after == {"status": "rejected", "reason": "图片版权不明"}

    again = review.submit(rejected, actor=editor)
    assert again.status == S.PENDING
    assert again.rejection_reason == ""


def test_approve_sets_publication_fields(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    article = submitted_article(tree.township, author=editor)
    assert article.submitted_at is not None
    published = review.approve(article, actor=reviewer)
    assert published.status == S.PUBLISHED
    assert published.published_at is not None
    assert published.reviewed_by == reviewer


def test_self_approval_is_refused(tree, make_user):
    admin = make_user(role=Role.ADMIN, institution=tree.county)
    article = submitted_article(tree.county, author=admin)
    with pytest.raises(Conflict) as refused:
        review.approve(article, actor=admin)
    assert refused.value.code == "self_review"
    article.refresh_from_db()
    assert article.status == S.PENDING
    # Another reviewer may approve it.
    other = make_user(role=Role.REVIEWER, institution=tree.county)
    assert review.approve(article, actor=other).status == S.PUBLISHED


def test_platform_admin_may_approve_own_content(tree, make_user):
    root = make_user(is_superuser=True)
    article = submitted_article(tree.township, author=root)
    assert review.approve(article, actor=root).status == S.PUBLISHED


@pytest.mark.parametrize("where", ["township", "county", "city", "province", "national"])
def test_reviewer_at_same_or_higher_institution_decides(tree, make_user, where):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    reviewer = make_user(role=Role.REVIEWER, institution=getattr(tree, where))
    first = submitted_article(tree.township, author=editor, title="一")
    second = submitted_article(tree.township, author=editor, title="二")
    assert review.approve(first, actor=reviewer).status == S.PUBLISHED
    assert review.reject(second, actor=reviewer, reason="重复").status == S.REJECTED
    assert review.unpublish(first, actor=reviewer).status == S.UNPUBLISHED


@pytest.mark.parametrize("where", ["village", "sibling_county", "other_province"])
def test_reviewer_at_lower_or_sibling_institution_cannot_decide(tree, make_user, where):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    reviewer = make_user(role=Role.REVIEWER, institution=getattr(tree, where))
    article = submitted_article(tree.township, author=editor)
    for action in (
        lambda: review.approve(article, actor=reviewer),
        lambda: review.reject(article, actor=reviewer, reason="不行"),
    ):
        with pytest.raises(PermissionDenied):
            action()
    article.refresh_from_db()
    assert article.status == S.PENDING
    assert AuditEntry.objects.filter(action__startswith="institutions.article.").count() == 1


@pytest.mark.parametrize("role", [Role.EDITOR, Role.OPERATOR])
def test_roles_without_review_cannot_decide(tree, make_user, role):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    other = make_user(role=role, institution=tree.county)
    article = submitted_article(tree.township, author=editor)
    with pytest.raises(PermissionDenied):
        review.approve(article, actor=other)


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.OPERATOR])
def test_roles_without_edit_content_cannot_submit(tree, make_user, role):
    author = make_user(role=Role.EDITOR, institution=tree.township)
    other = make_user(role=role, institution=tree.county)
    article = make_article(tree.township, author=author)
    with pytest.raises(PermissionDenied):
        review.submit(article, actor=other)


def test_editor_of_sibling_cannot_submit(tree, make_user):
    author = make_user(role=Role.EDITOR, institution=tree.township)
    sibling_editor = make_user(role=Role.EDITOR, institution=tree.sibling_county)
    article = make_article(tree.township, author=author)
    with pytest.raises(PermissionDenied):
        review.submit(article, actor=sibling_editor)


def test_citizen_and_anonymous_cannot_act(tree, make_user):
    from django.contrib.auth.models import AnonymousUser

    author = make_user(role=Role.EDITOR, institution=tree.township)
    article = submitted_article(tree.township, author=author)
    for actor in (make_user(), AnonymousUser(), None):
        with pytest.raises(PermissionDenied):
            review.approve(article, actor=actor)


def test_inactive_reviewer_cannot_decide(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county, is_active=False)
    article = submitted_article(tree.township, author=editor)
    with pytest.raises(PermissionDenied):
        review.approve(article, actor=reviewer)


def test_transition_uses_current_state_not_a_stale_copy(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    article = submitted_article(tree.township, author=editor)
    stale = Article.objects.get(pk=article.pk)
    review.withdraw(article, actor=editor)
    with pytest.raises(Conflict):
        review.approve(stale, actor=reviewer)  # the copy still says "pending"
    assert Article.objects.get(pk=article.pk).status == S.DRAFT


def test_listeners_run_after_commit(tree, make_user, django_capture_on_commit_callbacks):
    seen: list[tuple[int, str]] = []

    def listener(obj, name):
        seen.append((obj.pk, name))

    review.on_transition(listener)
    try:
        editor = make_user(role=Role.EDITOR, institution=tree.township)
        with django_capture_on_commit_callbacks(execute=True):
            article = submitted_article(tree.township, author=editor)
            assert seen == []
        assert seen == [(article.pk, "submitted")]
    finally:
        review._listeners.remove(listener)


def test_published_shows_published_items_only(tree, make_user):
    author = make_user(role=Role.EDITOR, institution=tree.township)
    by_status = {s: make_article(tree.township, author=author, title=s, status=s) for s in S}
    visible = list(review.published(Article.objects.all()))
    assert visible == [by_status[S.PUBLISHED]]


def test_reviewable_models_lists_article():
    assert Article in review.reviewable_models()
