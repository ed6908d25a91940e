"""Workbench pages: access, scope, forms without JavaScript and with htmx."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from culturecloud.accounts.services import create_user_with_phone
from culturecloud.core import review
from culturecloud.core.models import AuditEntry, ReviewStatus
from culturecloud.institutions.models import Article, Membership, Role
from culturecloud.workbench.testing import make_article, submitted_article

PAGES = ["home", "queue", "published", "audit", "members", "profile", "articles", "article_new"]


def client_for(user, **headers) -> Client:
    """A logged-in client asking for English (assertions use the English msgids)."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en", **headers)
    client.force_login(user)
    return client


def html(response) -> str:
    return response.content.decode()


# --- access -------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_is_sent_to_login(db, name):
    response = Client().get(reverse(f"workbench:{name}"))
    assert response.status_code == 302
    login = reverse("accounts:login")
    assert response["Location"].startswith(f"{login}?next=")


@pytest.mark.parametrize("name", PAGES)
def test_citizen_gets_403_page(tree, make_user, name):
    response = client_for(make_user()).get(reverse(f"workbench:{name}"))
    assert response.status_code == 403
    assert "Access denied" in html(response)


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.EDITOR, {"home", "articles", "article_new"}),
        (Role.REVIEWER, {"home", "queue", "published"}),
        (Role.OPERATOR, {"home"}),
        (Role.ADMIN, set(PAGES)),
    ],
)
def test_pages_by_role(tree, make_user, role, allowed):
    client = client_for(make_user(role=role, institution=tree.county))
    for name in PAGES:
        response = client.get(reverse(f"workbench:{name}"))
        assert response.status_code == (200 if name in allowed else 403), name
        if name in allowed:
            assert response["Cache-Control"] == "private, no-store"


def test_platform_admin_sees_every_page(tree, make_user):
    client = client_for(make_user(is_superuser=True))
    for name in PAGES:
        assert client.get(reverse(f"workbench:{name}")).status_code == 200, name


def test_menu_shows_only_usable_sections(tree, make_user):
    body = html(client_for(make_user(role=Role.EDITOR, institution=tree.county)).get("/workbench/"))
    assert reverse("workbench:articles") in body
    assert reverse("workbench:queue") not in body
    assert reverse("workbench:audit") not in body


# --- dashboard ----------------------------------------------------------------------


def test_home_lists_roles_and_counts(tree, make_user):
    admin = make_user(role=Role.ADMIN, institution=tree.county)
    Membership.objects.create(user=admin, institution=tree.township, role=Role.EDITOR)
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    submitted_article(tree.township, author=editor, title="待审")
    submitted_article(tree.sibling_county, author=make_user(is_superuser=True), title="邻县")
    make_article(tree.village, author=editor, title="草稿")
    make_article(tree.village, author=editor, title="被拒", status=ReviewStatus.REJECTED)
    response = client_for(admin).get(reverse("workbench:home"))
    assert response.status_code == 200
    ctx = response.context
    assert ctx["counts"] == {"pending": 1, "drafts": 1, "rejected": 1}
    assert [(inst.code, labels) for inst, labels in ctx["roles"]] == [
        (tree.county.code, ["Administrator"]),
        (tree.township.code, ["Editor"]),
    ]
    body = html(response)
    assert tree.county.name in body
    assert tree.township.name in body


# --- queue --------------------------------------------------------------------------


def test_queue_page_lists_items_in_scope(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township, nickname="小王")
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    submitted_article(tree.township, author=editor, title="镇里的通知")
    submitted_article(tree.sibling_county, author=make_user(is_superuser=True), title="邻县通知")
    response = client_for(reviewer).get(reverse("workbench:queue"))
    body = html(response)
    assert response.status_code == 200
    assert "镇里的通知" in body
    assert "邻县通知" not in body
    assert "小王" in body
    assert tree.township.name in body
    assert "Approve and publish" in body
    assert 'name="reason"' in body


def test_queue_page_filters(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.county)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    submitted_article(tree.county, author=editor, title="县里")
    submitted_article(tree.village, author=editor, title="村里")
    client = client_for(reviewer)
    body = html(client.get(reverse("workbench:queue"), {"institution": tree.township.code}))
    assert "村里" in body and "县里" not in body
    response = client.get(reverse("workbench:queue"), {"institution": tree.sibling_county.code})
    assert response.status_code == 400  # not a choice: outside the scope
    assert "村里" not in html(response)
    response = client.get(reverse("workbench:queue"), {"type": "accounts.user"})
    assert response.status_code == 400


def test_approve_without_javascript(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    article = submitted_article(tree.township, author=editor, title="好文章")
    client = client_for(reviewer)
    url = reverse("workbench:review_action", args=["institutions.article", article.pk, "approve"])
    response = client.post(url, follow=True)
    assert response.redirect_chain == [(reverse("workbench:queue"), 302)]
    assert "“好文章” was approved and is now published." in html(response)
    article.refresh_from_db()
    assert article.status == ReviewStatus.PUBLISHED


def test_reject_without_reason_shows_the_error_then_works(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    article = submitted_article(tree.township, author=editor, title="待改")
    client = client_for(reviewer)
    url = reverse("workbench:review_action", args=["institutions.article", article.pk, "reject"])
    response = client.post(url, {"reason": "  "})
    assert response.status_code == 400
    body = html(response)
    assert "Please give a reason for the rejection." in body
    assert 'role="alert"' in body
    assert f'aria-describedby="error-institutionsarticle-{article.pk}"' in body
    article.refresh_from_db()
    assert article.status == ReviewStatus.PENDING

    response = client.post(url, {"reason": "请补充时间地点"})
    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.status, article.rejection_reason) == (ReviewStatus.REJECTED, "请补充时间地点")


def test_htmx_approve_swaps_the_card(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    article = submitted_article(tree.township, author=editor, title="卡片")
    client = client_for(reviewer)
    url = reverse("workbench:review_action", args=["institutions.article", article.pk, "approve"])
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = html(response)
    assert body.strip().startswith('<li class="card queue-item">')
    assert "“卡片” was approved and is now published." in body
    assert "<html" not in body


def test_htmx_reject_without_reason_returns_the_card_with_error(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    article = submitted_article(tree.township, author=editor, title="卡片")
    url = reverse("workbench:review_action", args=["institutions.article", article.pk, "reject"])
    response = client_for(reviewer).post(url, {"reason": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400  # swapped by htmx (see base.html's htmx-config)
    body = html(response)
    assert f'id="review-institutionsarticle-{article.pk}"' in body
    assert "Please give a reason for the rejection." in body
    assert f'hx-post="{url}"' in body


def test_queue_card_has_htmx_and_plain_form(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    article = submitted_article(tree.township, author=editor)
    body = html(client_for(reviewer).get(reverse("workbench:queue")))
    url = reverse("workbench:review_action", args=["institutions.article", article.pk, "approve"])
    assert f'action="{url}"' in body
    assert f'hx-post="{url}"' in body
    assert 'hx-target="closest .queue-item"' in body


def test_review_actions_out_of_scope_are_404(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    sibling_reviewer = make_user(role=Role.REVIEWER, institution=tree.sibling_county)
    article = submitted_article(tree.township, author=editor)
    client = client_for(sibling_reviewer)
    url = reverse("workbench:review_action", args=["institutions.article", article.pk, "approve"])
    assert client.post(url).status_code == 404
    item = reverse("workbench:review_item", args=["institutions.article", article.pk])
    assert client.get(item).status_code == 404
    bad_type = reverse("workbench:review_action", args=["accounts.user", article.pk, "approve"])
    assert client.post(bad_type).status_code == 404
    article.refresh_from_db()
    assert article.status == ReviewStatus.PENDING


def test_review_action_refusals(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    article = submitted_article(tree.township, author=editor)

    def url(action):
        return reverse("workbench:review_action", args=["institutions.article", article.pk, action])

    assert client_for(reviewer).get(url("approve")).status_code == 405
    assert client_for(reviewer).post(url("explode")).status_code == 404
    assert client_for(editor).post(url("approve")).status_code == 403  # in scope, no role
    response = client_for(reviewer).post(url("unpublish"))
    assert response.status_code == 400
    assert "that action is not possible now" in html(response)
    response = client_for(reviewer).post(url("reject"), {"reason": "x" * 2001})
    assert response.status_code == 400
    article.refresh_from_db()
    assert article.status == ReviewStatus.PENDING


def test_next_must_stay_on_the_site(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    article = submitted_article(tree.township, author=editor)
    url = reverse("workbench:review_action", args=["institutions.article", article.pk, "approve"])
    response = client_for(reviewer).post(url, {"next": "https://evil.example/"})
    assert response["Location"] == reverse("workbench:queue")


def test_review_item_page_shows_content_and_actions(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    article = submitted_article(tree.township, author=editor, title="预览")
    Article.objects.filter(pk=article.pk).update(body="<p>活动<strong>详情</strong></p>")
    url = reverse("workbench:review_item", args=["institutions.article", article.pk])
    body = html(client_for(reviewer).get(url))
    assert "<p>活动<strong>详情</strong></p>" in body
    assert "Approve and publish" in body
    # The author sees the item but not the approve button.
    body = html(client_for(editor).get(url))
    assert "Approve and publish" not in body
    assert "Withdraw from review" in body


# --- audit --------------------------------------------------------------------------


def test_audit_page_shows_entries_with_origin(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township, nickname="镇编辑")
    admin = make_user(role=Role.ADMIN, institution=tree.county)
    article = make_article(tree.township, author=editor, title="审计")
    ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126"
    client = client_for(editor, HTTP_USER_AGENT=ua, REMOTE_ADDR="203.0.113.9")
    client.post(
        reverse("workbench:review_action", args=["institutions.article", article.pk, "submit"])
    )
    response = client_for(admin).get(reverse("workbench:audit"))
    assert response.status_code == 200
    body = html(response)
    assert "<code>institutions.<wbr>article.<wbr>submitted</code>" in body  # wraps after a dot
    assert "镇编辑" in body
    assert "203.0.113.9" in body
    assert "<details><summary>Mozilla/5.0 (X11; Linux x86_64) AppleWe…</summary>" in body
    assert "status: Draft → Pending review" in body


def test_audit_page_filters_and_errors(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.county)
    admin = make_user(role=Role.ADMIN, institution=tree.county)
    submitted_article(tree.county, author=editor, title="县里")
    submitted_article(tree.village, author=editor, title="村里")
    client = client_for(admin)
    audit_url = reverse("workbench:audit")
    response = client.get(
        audit_url, {"action": "institutions.article", "institution": tree.township.code}
    )
    assert [e.target_label for e in response.context["page_obj"]] == ["村里"]
    response = client.get(audit_url, {"since": "2024-05-02", "until": "2024-05-01"})
    assert response.status_code == 400
    assert "The end date must not be before the start date." in html(response)
    assert 'aria-invalid="true"' in html(response)
    assert client.get(audit_url, {"since": "not-a-date"}).status_code == 400
    response = client.get(audit_url, {"institution": tree.sibling_county.code})
    assert response.status_code == 400
    assert client.get(audit_url, {"page": "999"}).status_code == 200  # last page


def test_audit_page_is_scoped(tree, make_user):
    county_admin = make_user(role=Role.ADMIN, institution=tree.county)
    editor = make_user(role=Role.EDITOR, institution=tree.city)
    submitted_article(tree.township, author=editor, title="本县")
    submitted_article(tree.sibling_county, author=editor, title="邻县")
    body = html(client_for(county_admin).get(reverse("workbench:audit")))
    assert "本县" in body
    assert "邻县" not in body


def test_audit_page_query_count_is_flat(tree, make_user, django_assert_max_num_queries):
    admin = make_user(role=Role.ADMIN, institution=tree.county)
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    client = client_for(admin)
    submitted_article(tree.township, author=editor, title="one")
    with django_assert_max_num_queries(12) as one:
        client.get(reverse("workbench:audit"))
    for i in range(19):
        submitted_article(tree.village, author=editor, title=f"n{i}")
    with django_assert_max_num_queries(12) as twenty:
        client.get(reverse("workbench:audit"))
    assert len(one.captured_queries) == len(twenty.captured_queries)


def test_queue_page_query_count_is_flat(tree, make_user, django_assert_max_num_queries):
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    client = client_for(reviewer)
    submitted_article(tree.township, author=editor, title="one")
    with django_assert_max_num_queries(12) as one:
        client.get(reverse("workbench:queue"))
    for i in range(19):
        submitted_article(tree.village, author=editor, title=f"n{i}")
    with django_assert_max_num_queries(12) as twenty:
        client.get(reverse("workbench:queue"))
    assert len(one.captured_queries) == len(twenty.captured_queries)


# --- members ------------------------------------------------------------------------


def test_add_and_remove_member_by_phone(tree, make_user):
    admin = make_user(role=Role.ADMIN, institution=tree.county)
    person = create_user_with_phone(phone="13800138000", nickname="新同事")
    client = client_for(admin)
    members_url = reverse("workbench:members") + f"?institution={tree.township.code}"
    response = client.post(members_url, {"phone": "138 0013 8000", "role": Role.EDITOR})
    assert response.status_code == 302
    assert response["Location"] == members_url
    membership = Membership.objects.get(user=person, institution=tree.township)
    assert membership.role == Role.EDITOR
    assert AuditEntry.objects.filter(action="institutions.member.added", actor=admin).exists()

    body = html(client.get(members_url))
    assert "新同事" in body
    assert "138****8000" in body
    assert "13800138000" not in body

    response = client.post(reverse("workbench:member_remove", args=[membership.pk]))
    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEntry.objects.filter(action="institutions.member.removed").exists()


def test_add_member_errors(tree, make_user):
    admin = make_user(role=Role.ADMIN, institution=tree.county)
    person = create_user_with_phone(phone="13800138000")
    client = client_for(admin)
    url = reverse("workbench:members") + f"?institution={tree.county.code}"

    response = client.post(url, {"phone": "12345", "role": Role.EDITOR})
    assert response.status_code == 400
    assert 'id="id_phone_error"' in html(response)
    response = client.post(url, {"phone": "13900139000", "role": Role.EDITOR})
    assert response.status_code == 400
    assert "No account uses this mobile number." in html(response)
    response = client.post(url, {"phone": "13800138000", "role": "boss"})
    assert response.status_code == 400
    client.post(url, {"phone": "13800138000", "role": Role.EDITOR})
    response = client.post(url, {"phone": "13800138000", "role": Role.EDITOR})
    assert response.status_code == 400
    assert "already has this role" in html(response)
    assert Membership.objects.filter(user=person).count() == 1


def test_members_out_of_scope(tree, make_user):
    admin = make_user(role=Role.ADMIN, institution=tree.county)
    other = make_user(role=Role.EDITOR, institution=tree.sibling_county)
    client = client_for(admin)
    response = client.get(reverse("workbench:members"), {"institution": tree.sibling_county.code})
    assert response.status_code == 404
    membership = Membership.objects.get(user=other)
    assert client.post(reverse("workbench:member_remove", args=[membership.pk])).status_code == 404
    assert Membership.objects.filter(pk=membership.pk).exists()
    # Without a code: the highest institution of the scope.
    assert client.get(reverse("workbench:members")).context["institution"] == tree.county


# --- profile ------------------------------------------------------------------------


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def profile_data(**changes) -> dict:
    data = {
        "name": "从化区文化馆",
        "short_name": "从化文化馆",
        "region_code": "440117",
        "address": "广州市从化区街口街",
        "postcode": "510900",
        "phone": "020-87900000",
        "email": "ch@example.cn",
        "contact_name": "李老师",
        "website": "https://ch.example.cn",
        "opening_hours": "周二至周日 9:00-17:00",
        "description": "区级文化馆。",
    }
    data.update(changes)
    return data


def test_profile_edit_with_logo(tree, make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    admin = make_user(role=Role.ADMIN, institution=tree.county)
    client = client_for(admin)
    url = reverse("workbench:profile") + f"?institution={tree.county.code}"
    assert client.get(url).status_code == 200
    data = profile_data(logo=SimpleUploadedFile("logo.png", png_bytes(), "image/png"))
    response = client.post(url, data)
    assert response.status_code == 302, html(response)
    tree.county.refresh_from_db()
    assert tree.county.opening_hours == "周二至周日 9:00-17:00"
    assert tree.county.logo
    actions = set(AuditEntry.objects.filter(actor=admin).values_list("action", flat=True))
    assert {"institutions.institution.updated", "institutions.institution.logo_changed"} <= actions

    response = client.post(url, profile_data(remove_logo="on"))
    assert response.status_code == 302
    tree.county.refresh_from_db()
    assert not tree.county.logo


def test_profile_errors_change_nothing(tree, make_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    admin = make_user(role=Role.ADMIN, institution=tree.county)
    client = client_for(admin)
    url = reverse("workbench:profile") + f"?institution={tree.county.code}"
    response = client.post(url, profile_data(postcode="12"))
    assert response.status_code == 400
    assert 'id="id_postcode_error"' in html(response)
    fake = SimpleUploadedFile("logo.png", b"not an image at all", "image/png")
    response = client.post(url, profile_data(address="新地址", logo=fake))
    assert response.status_code == 400
    tree.county.refresh_from_db()
    assert tree.county.address != "新地址"  # the profile change was rolled back with the logo
    assert not tree.county.logo
    response = client.get(reverse("workbench:profile"), {"institution": tree.sibling_county.code})
    assert response.status_code == 404


# --- articles -----------------------------------------------------------------------


def test_editor_creates_edits_and_submits_article(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    client = client_for(editor)
    response = client.post(
        reverse("workbench:article_new"),
        {
            "institution": tree.village.code,
            "title": "村晚节目征集",
            "summary": "欢迎报名",
            "body": "<p>报名截止<script>alert(1)</script>下周</p>",
            "save": "1",
        },
    )
    assert response.status_code == 302
    article = Article.objects.get(title="村晚节目征集")
    assert article.institution == tree.village
    assert article.status == ReviewStatus.DRAFT
    assert "<script" not in article.body

    edit_url = reverse("workbench:article_edit", args=[article.pk])
    assert client.get(edit_url).status_code == 200
    response = client.post(
        edit_url,
        {"title": "村晚节目征集（更新）", "summary": "", "body": "<p>新</p>", "submit": "1"},
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.title, article.status) == ("村晚节目征集（更新）", ReviewStatus.PENDING)

    body = html(client.get(edit_url))
    assert "This article is waiting for review." in body
    assert "Withdraw from review" in body
    assert (
        client.post(edit_url, {"title": "x", "summary": "", "body": "<p>x</p>"}).status_code == 400
    )
    article.refresh_from_db()
    assert article.title == "村晚节目征集（更新）"


def test_editor_sees_rejection_reason_and_resubmits(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    article = submitted_article(tree.township, author=editor, title="要改的")
    review.reject(article, actor=reviewer, reason="请补充活动地点")
    client = client_for(editor)
    body = html(client.get(reverse("workbench:articles")))
    assert "请补充活动地点" in body
    assert "Submit for review" in body
    body = html(client.get(reverse("workbench:article_edit", args=[article.pk])))
    assert "请补充活动地点" in body
    url = reverse("workbench:review_action", args=["institutions.article", article.pk, "submit"])
    articles_url = reverse("workbench:articles")
    response = client.post(url, {"next": articles_url})
    assert response["Location"] == articles_url
    article.refresh_from_db()
    assert article.status == ReviewStatus.PENDING


def test_article_form_errors(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    client = client_for(editor)
    new_url = reverse("workbench:article_new")
    response = client.post(new_url, {"institution": tree.township.code, "title": "", "body": ""})
    assert response.status_code == 400
    assert 'id="id_title_error"' in html(response)
    response = client.post(
        new_url, {"institution": tree.sibling_county.code, "title": "t", "body": "<p>b</p>"}
    )
    assert response.status_code == 400  # not in the editor's scope
    response = client.post(
        new_url, {"institution": tree.township.code, "title": "t", "body": "<script></script>"}
    )
    assert response.status_code == 400  # nothing left after sanitizing
    assert not Article.objects.exists()


def test_articles_are_scoped(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    other = make_article(tree.sibling_county, author=make_user(is_superuser=True), title="邻县")
    mine = make_article(tree.village, author=editor, title="村")
    client = client_for(editor)
    body = html(client.get(reverse("workbench:articles")))
    assert "村" in body and "邻县" not in body
    assert client.get(reverse("workbench:article_edit", args=[other.pk])).status_code == 404
    assert client.get(reverse("workbench:article_edit", args=[mine.pk])).status_code == 200
    body = html(client.get(reverse("workbench:articles"), {"status": "published"}))
    assert "No articles yet." in body


def test_forms_carry_the_csrf_token(tree, make_user):
    """With CSRF checks on (as in a browser), the queue's own form token is accepted."""
    import re

    editor = make_user(role=Role.EDITOR, institution=tree.township)
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county)
    article = submitted_article(tree.township, author=editor)
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(reviewer)
    url = reverse("workbench:review_action", args=["institutions.article", article.pk, "approve"])
    assert client.post(url).status_code == 403  # no token
    body = html(client.get(reverse("workbench:queue")))
    form = body[body.index(f'action="{url}"') :]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    assert client.post(url, {"csrfmiddlewaretoken": token}).status_code == 302
    article.refresh_from_db()
    assert article.status == ReviewStatus.PUBLISHED


def test_break_dots_escapes_every_part():
    from culturecloud.workbench.templatetags.workbench_tags import break_dots

    assert break_dots("accounts.token.issued") == "accounts.<wbr>token.<wbr>issued"
    assert break_dots("x.<b>") == "x.<wbr>&lt;b&gt;"
    assert break_dots(None) == ""
