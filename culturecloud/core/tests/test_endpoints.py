"""The core staff API: /api/v1/review/queue, /api/v1/review/<type>/<id>/<action>, /api/v1/audit."""

from __future__ import annotations

import pytest
from django.test import Client

from culturecloud.core import review
from culturecloud.core.models import AuditEntry, ReviewStatus
from culturecloud.institutions.models import Article, Role
from culturecloud.workbench.testing import make_article, submitted_article

QUEUE = "/api/v1/review/queue"
AUDIT = "/api/v1/audit"


def action_url(article: Article, action: str, content_type: str = "institutions.article") -> str:
    return f"/api/v1/review/{content_type}/{article.pk}/{action}"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, url: str, data: dict | None = None):
    """POST a JSON body ({} when none), as an API client does."""
    return client.post(url, data or {}, content_type="application/json")


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == code
    assert body["message"]
    return body


# --- review queue -------------------------------------------------------------


def test_queue_lists_pending_items_in_scope_oldest_first(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    sibling_editor = make_user(role=Role.EDITOR, institution=tree.sibling_county)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    first = submitted_article(tree.township, author=editor, title="第一篇")
    second = submitted_article(tree.village, author=editor, title="第二篇")
    submitted_article(tree.sibling_county, author=sibling_editor, title="邻县")
    make_article(tree.township, author=editor, title="草稿")
    submitted_article(tree.city, author=make_user(is_superuser=True), title="上级")

    response = client_for(reviewer).get(QUEUE)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [item["id"] for item in body["items"]] == [first.pk, second.pk]
    item = body["items"][0]
    assert item["content_type"] == "institutions.article"
    assert item["title"] == "第一篇"
    assert item["status"] == "pending"
    assert item["institution"] == {"code": tree.township.code, "name": tree.township.name}
    assert item["submitted_by"] == editor.get_short_name()
    assert item["created_by"] == editor.get_short_name()
    assert item["submitted_at"]


def test_queue_filters_by_type_and_institution(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.county)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    submitted_article(tree.county, author=editor, title="县")
    village = submitted_article(tree.village, author=editor, title="村")
    client = client_for(reviewer)

    body = client.get(QUEUE, {"institution": tree.village.code}).json()
    assert [item["id"] for item in body["items"]] == [village.pk]
    body = client.get(QUEUE, {"institution": tree.township.code}).json()
    assert [item["id"] for item in body["items"]] == [village.pk]  # the subtree
    body = client.get(QUEUE, {"type": "institutions.article"}).json()
    assert body["count"] == 2
    # An institution outside the scope filters to nothing (institutions are public anyway).
    body = client.get(QUEUE, {"institution": tree.sibling_county.code}).json()
    assert body == {"items": [], "count": 0}


def test_queue_pagination(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    ids = [submitted_article(tree.township, author=editor, title=f"#{i}").pk for i in range(5)]
    client = client_for(reviewer)
    body = client.get(QUEUE, {"page": 2, "page_size": 2}).json()
    assert body["count"] == 5
    assert [item["id"] for item in body["items"]] == ids[2:4]
    assert client.get(QUEUE, {"page": 9, "page_size": 2}).json()["items"] == []
    assert_error(client.get(QUEUE, {"page": 0}), 422, "validation_error")
    assert_error(client.get(QUEUE, {"page": "x"}), 422, "validation_error")


def test_queue_errors(tree, make_user):
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    client = client_for(reviewer)
    body = assert_error(client.get(QUEUE, {"type": "accounts.user"}), 404, "unknown_content_type")
    body = assert_error(client.get(QUEUE, {"institution": "nope"}), 400, "unknown_institution")
    assert "institution" in body["fields"]
    assert_error(client.get(QUEUE, {"institution": "x" * 65}), 422, "validation_error")


def test_queue_refuses_anonymous_citizens_and_non_reviewers(tree, make_user):
    assert_error(Client().get(QUEUE), 401, "not_authenticated")
    assert_error(client_for(make_user()).get(QUEUE), 403, "permission_denied")
    editor = make_user(role=Role.EDITOR, institution=tree.county)
    assert_error(client_for(editor).get(QUEUE), 403, "permission_denied")


def test_queue_query_count_is_flat(tree, make_user, django_assert_max_num_queries):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    client = client_for(reviewer)
    submitted_article(tree.township, author=editor, title="one")
    # (session,) user, memberships, page, one per model on the page, submitters, count
    with django_assert_max_num_queries(7) as one:
        assert client.get(QUEUE, {"page_size": 50}).json()["count"] == 1
    for i in range(19):
        submitted_article(tree.village, author=editor, title=f"n{i}")
    with django_assert_max_num_queries(7) as twenty:
        assert client.get(QUEUE, {"page_size": 50}).json()["count"] == 20
    assert len(one.captured_queries) == len(twenty.captured_queries)


# --- review actions -----------------------------------------------------------


def test_county_reviewer_approves_township_item(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    article = submitted_article(tree.township, author=editor)
    response = post(client_for(reviewer), action_url(article, "approve"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "published"
    assert body["id"] == article.pk
    assert body["content_type"] == "institutions.article"
    assert body["published_at"]
    article.refresh_from_db()
    assert article.status == ReviewStatus.PUBLISHED


def test_reject_needs_reason_then_records_it(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    article = submitted_article(tree.township, author=editor)
    client = client_for(reviewer)
    body = assert_error(post(client, action_url(article, "reject")), 400, "reason_required")
    assert "reason" in body["fields"]
    body = assert_error(
        post(client, action_url(article, "reject"), {"reason": " "}),
        400,
        "reason_required",
    )
    response = post(client, action_url(article, "reject"), {"reason": "标题有误"})
    assert response.status_code == 200
    assert response.json()["rejection_reason"] == "标题有误"
    assert response.json()["status"] == "rejected"


def test_editor_walks_submit_withdraw_reopen(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    article = make_article(tree.township, author=editor)
    client = client_for(editor)
    assert post(client, action_url(article, "submit")).json()["status"] == "pending"
    assert post(client, action_url(article, "withdraw")).json()["status"] == "draft"
    assert_error(post(client, action_url(article, "reopen")), 409, "invalid_transition")
    assert_error(post(client, action_url(article, "approve")), 403, "permission_denied")


def test_unpublish(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    article = submitted_article(tree.township, author=editor)
    review.approve(article, actor=reviewer)
    response = post(client_for(reviewer), action_url(article, "unpublish"), {"reason": "活动取消"})
    assert response.json()["status"] == "unpublished"
    assert response.json()["rejection_reason"] == "活动取消"


def test_self_approval_refused_over_the_api(tree, make_user):
    admin = make_user(role=Role.ADMIN, institution=tree.county)
    article = submitted_article(tree.county, author=admin)
    assert_error(post(client_for(admin), action_url(article, "approve")), 409, "self_review")


@pytest.mark.parametrize("where", ["sibling_county", "village", "other_province"])
def test_item_outside_scope_is_not_found(tree, make_user, where):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    reviewer = make_user(role=Role.REVIEWER, institution=getattr(tree, where))
    article = submitted_article(tree.township, author=editor)
    response = post(client_for(reviewer), action_url(article, "approve"))
    missing = post(
        client_for(reviewer), f"/api/v1/review/institutions.article/{article.pk + 999}/approve"
    )
    # Same answer as for an item that does not exist: nothing about its existence leaks.
    assert_error(response, 404, "not_found")
    assert_error(missing, 404, "not_found")
    assert response.json() == missing.json()
    article.refresh_from_db()
    assert article.status == ReviewStatus.PENDING


def test_action_errors(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    article = submitted_article(tree.township, author=editor)
    client = client_for(reviewer)
    assert_error(
        post(client, action_url(article, "approve", "accounts.user")), 404, "unknown_content_type"
    )
    assert_error(post(client, action_url(article, "approve", "nope")), 404, "unknown_content_type")
    body = assert_error(post(client, action_url(article, "delete")), 422, "validation_error")
    assert "action" in body["fields"]
    assert_error(
        post(client, "/api/v1/review/institutions.article/abc/approve"), 422, "validation_error"
    )
    assert_error(
        client.post(action_url(article, "reject"), "not json", content_type="application/json"),
        400,
        "http_error",
    )
    assert_error(
        post(client, action_url(article, "reject"), {"reason": "x" * 2001}), 422, "validation_error"
    )
    assert_error(
        post(client_for(make_user()), action_url(article, "approve")), 403, "permission_denied"
    )
    assert_error(post(Client(), action_url(article, "approve")), 401, "not_authenticated")
    article.refresh_from_db()
    assert article.status == ReviewStatus.PENDING


def test_session_action_needs_csrf_token(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    article = submitted_article(tree.township, author=editor)
    client = Client(enforce_csrf_checks=True)
    client.force_login(reviewer)
    response = post(client, action_url(article, "approve"))
    assert response.status_code == 403
    article.refresh_from_db()
    assert article.status == ReviewStatus.PENDING


# --- audit log ----------------------------------------------------------------


def test_audit_lists_subtree_entries_newest_first(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    sibling_editor = make_user(role=Role.EDITOR, institution=tree.sibling_county)
    county_admin = make_user(role=Role.ADMIN, institution=tree.county)
    article = submitted_article(tree.township, author=editor, title="本县")
    submitted_article(tree.sibling_county, author=sibling_editor, title="邻县")
    review.approve(article, actor=county_admin)

    response = client_for(county_admin).get(AUDIT, {"action": "institutions.article"})
    assert response.status_code == 200
    body = response.json()
    assert [e["action"] for e in body["items"]] == [
        "institutions.article.approved",
        "institutions.article.submitted",
    ]
    approved = body["items"][0]
    assert approved["actor"] == county_admin.get_short_name()
    assert approved["actor_id"] == county_admin.pk
    assert approved["target_type"] == "institutions.article"
    assert approved["target_id"] == str(article.pk)
    assert approved["target_label"] == "本县"
    assert approved["institution"] == {"code": tree.township.code, "name": tree.township.name}
    assert approved["before"] == {"status": "pending"}
    assert approved["after"] == {"status": "published"}
    assert {"ip", "user_agent", "created_at"} <= set(approved)


def test_audit_filters(tree, make_user):
    county_admin = make_user(role=Role.ADMIN, institution=tree.county)
    editor = make_user(role=Role.EDITOR, institution=tree.county)
    submitted_article(tree.county, author=editor, title="县")
    submitted_article(tree.village, author=editor, title="村")
    client = client_for(county_admin)

    body = client.get(
        AUDIT, {"action": "institutions.article", "institution": tree.township.code}
    ).json()
    assert [e["target_label"] for e in body["items"]] == ["村"]
    body = client.get(AUDIT, {"action": "institutions.article.approved"}).json()
    assert body["count"] == 0
    entry = AuditEntry.objects.filter(target_label="县").get()
    day = entry.created_at.astimezone().date().isoformat()
    body = client.get(AUDIT, {"action": "institutions.article", "since": day, "until": day}).json()
    assert body["count"] == 2
    body = client.get(
        AUDIT, {"action": "institutions.article", "since": "2001-01-01", "until": "2001-01-31"}
    ).json()
    assert body["count"] == 0


def test_audit_errors(tree, make_user):
    county_admin = make_user(role=Role.ADMIN, institution=tree.county)
    client = client_for(county_admin)
    body = assert_error(client.get(AUDIT, {"since": "2024-13-01"}), 422, "validation_error")
    assert "since" in body["fields"]
    assert_error(client.get(AUDIT, {"until": "yesterday"}), 422, "validation_error")
    body = assert_error(
        client.get(AUDIT, {"since": "2024-05-02", "until": "2024-05-01"}), 400, "invalid_date_range"
    )
    assert "until" in body["fields"]
    assert_error(client.get(AUDIT, {"institution": "missing"}), 400, "unknown_institution")
    assert_error(client.get(AUDIT, {"action": "a" * 81}), 422, "validation_error")


@pytest.mark.parametrize("role", [Role.EDITOR, Role.REVIEWER, Role.OPERATOR])
def test_audit_is_for_admins_only(tree, make_user, role):
    user = make_user(role=role, institution=tree.county)
    assert_error(client_for(user).get(AUDIT), 403, "permission_denied")
    assert_error(client_for(make_user()).get(AUDIT), 403, "permission_denied")
    assert_error(Client().get(AUDIT), 401, "not_authenticated")


def test_audit_query_count_is_flat(tree, make_user, django_assert_max_num_queries):
    county_admin = make_user(role=Role.ADMIN, institution=tree.county)
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    client = client_for(county_admin)
    params: dict[str, str | int] = {"action": "institutions.article", "page_size": 50}
    submitted_article(tree.township, author=editor, title="one")
    # (session,) user, memberships, count, page (institution joined)
    with django_assert_max_num_queries(5) as one:
        assert client.get(AUDIT, params).json()["count"] == 1
    for i in range(19):
        submitted_article(tree.village, author=editor, title=f"n{i}")
    with django_assert_max_num_queries(5) as twenty:
        assert client.get(AUDIT, params).json()["count"] == 20
    assert len(one.captured_queries) == len(twenty.captured_queries)


def test_openapi_documents_review_and_audit(db):
    paths = Client().get("/api/v1/openapi.json").json()["paths"]
    assert set(paths["/api/v1/review/queue"]) == {"get"}
    assert set(paths["/api/v1/review/{content_type}/{item_id}/{action}"]) == {"post"}
    params = {p["name"] for p in paths["/api/v1/audit"]["get"]["parameters"]}
    assert params == {"action", "institution", "since", "until", "page", "page_size"}
