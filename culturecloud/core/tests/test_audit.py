"""The audit log: every review transition leaves one entry with actor, target and origin."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client

from culturecloud.core import audit, review
from culturecloud.core.models import AuditEntry, ReviewStatus
from culturecloud.core.origin import Origin, reset_origin, set_origin
from culturecloud.institutions.models import Role
from culturecloud.workbench.testing import make_article, submitted_article

UA = "Mozilla/5.0 (Linux; Android 14) CultureCloudTest/1.0"


def api_post(user, url: str, data: dict | None = None, ip: str = "203.0.113.7"):
    client = Client(HTTP_USER_AGENT=UA, REMOTE_ADDR=ip)
    client.force_login(user)
    return client.post(url, data or {}, content_type="application/json")


def url(article, action: str) -> str:
    return f"/api/v1/review/institutions.article/{article.pk}/{action}"


def test_every_transition_is_audited_with_actor_and_origin(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township, nickname="镇编辑")
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county, nickname="县审核")
    article = make_article(tree.township, author=editor, title="庙会通知")
    steps = [
        (editor, "submit", {}, "submitted", "draft", "pending"),
        (editor, "withdraw", {}, "withdrawn", "pending", "draft"),
        (editor, "submit", {}, "submitted", "draft", "pending"),
        (reviewer, "reject", {"reason": "缺少时间"}, "rejected", "pending", "rejected"),
        (editor, "reopen", {}, "reopened", "rejected", "draft"),
        (editor, "submit", {}, "submitted", "draft", "pending"),
        (reviewer, "approve", {}, "approved", "pending", "published"),
        (reviewer, "unpublish", {"reason": "过期"}, "unpublished", "published", "unpublished"),
    ]
    for number, (actor, action, body, code, before, after) in enumerate(steps):
        ip = f"198.51.100.{number + 1}"
        response = api_post(actor, url(article, action), body, ip=ip)
        assert response.status_code == 200, response.content
        entry = AuditEntry.objects.filter(target_type="institutions.article").first()
        assert entry is not None
        assert entry.action == f"institutions.article.{code}"
        assert entry.actor == actor
        assert entry.actor_label == actor.nickname
        assert entry.target_id == str(article.pk)
        assert entry.target_label == "庙会通知"
        assert entry.institution == tree.township
        assert entry.institution_path == tree.township.path
        assert entry.ip == ip
        assert entry.user_agent == UA
        assert len(entry.request_id) == 32
        assert entry.before == {"status": before}
        expected_after = {"status": after}
        if "reason" in body:
            expected_after["reason"] = body["reason"]
        assert entry.after == expected_after
    assert AuditEntry.objects.filter(target_type="institutions.article").count() == len(steps)


def test_request_id_header_is_kept(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    article = make_article(tree.township, author=editor)
    client = Client(HTTP_X_REQUEST_ID="trace-abc-123")
    client.force_login(editor)
    response = client.post(url(article, "submit"), {}, content_type="application/json")
    assert response["X-Request-ID"] == "trace-abc-123"
    assert AuditEntry.objects.get(action="institutions.article.submitted").request_id == (
        "trace-abc-123"
    )


def test_refused_transition_leaves_no_entry(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    article = submitted_article(tree.township, author=editor)
    before = AuditEntry.objects.count()
    assert api_post(reviewer, url(article, "reject")).status_code == 400  # no reason
    assert api_post(editor, url(article, "approve")).status_code == 403
    assert api_post(reviewer, url(article, "unpublish")).status_code == 409
    assert AuditEntry.objects.count() == before


def test_entry_is_rolled_back_with_the_change(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    article = make_article(tree.township, author=editor)
    with pytest.raises(RuntimeError), transaction.atomic():
        review.submit(article, actor=editor)
        raise RuntimeError("later step failed")
    article.refresh_from_db()
    assert article.status == ReviewStatus.DRAFT
    assert not AuditEntry.objects.filter(action="institutions.article.submitted").exists()


def test_record_outside_a_request_uses_the_current_origin(tree, make_user):
    admin = make_user(role=Role.ADMIN, institution=tree.county)
    token = set_origin(Origin(ip="192.0.2.1", user_agent="celery", request_id="task-1"))
    try:
        entry = audit.record("core.test.done", actor=admin, target=tree.township)
    finally:
        reset_origin(token)
    assert (entry.ip, entry.user_agent, entry.request_id) == ("192.0.2.1", "celery", "task-1")
    # An institution as the target is its own scope.
    assert entry.institution == tree.township
    assert entry.institution_path == tree.township.path
    system = audit.record("core.test.done")
    assert (system.actor, system.actor_label, system.ip, system.institution_path) == (
        None,
        "system",
        "",
        "",
    )
