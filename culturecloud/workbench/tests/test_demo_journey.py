"""The demo journey of the review workflow, through the workbench pages:
a township editor writes a draft and submits it, a county reviewer approves it in the
queue, the article is public, and the county admin's audit log shows both steps."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from culturecloud.core.models import AuditEntry, ReviewStatus
from culturecloud.institutions.models import Article, Role


def browser(user, ip: str, agent: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_USER_AGENT=agent, REMOTE_ADDR=ip)
    client.force_login(user)
    return client


def test_township_editor_submits_county_reviewer_approves_admin_audits(tree, make_user):
    editor = make_user(role=Role.EDITOR, institution=tree.township, nickname="太平镇小李")
    reviewer = make_user(role=Role.REVIEWER, institution=tree.county, nickname="从化审核员")
    county_admin = make_user(role=Role.ADMIN, institution=tree.county, nickname="从化管理员")
    sibling_admin = make_user(role=Role.ADMIN, institution=tree.sibling_county)

    # 1. The township editor writes a draft in the workbench and submits it.
    editing = browser(editor, "198.51.100.10", "EditorPhone/1.0")
    form = editing.get(reverse("workbench:article_new"))
    assert form.status_code == 200
    assert [code for code, _ in form.context["form"].fields["institution"].choices] == [
        tree.township.code,
        tree.village.code,
    ]
    response = editing.post(
        reverse("workbench:article_new"),
        {
            "institution": tree.township.code,
            "title": "太平镇村晚节目征集",
            "summary": "欢迎各村报名",
            "body": "<p>报名截止一月十日。</p>",
            "submit": "1",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "was saved and submitted for review" in response.content.decode()
    article = Article.objects.get(title="太平镇村晚节目征集")
    assert article.status == ReviewStatus.PENDING
    public_url = reverse(
        "institutions:article", kwargs={"code": tree.township.code, "pk": article.pk}
    )
    assert Client().get(public_url).status_code == 404  # not public yet

    # 2. The county reviewer finds it in the queue and approves it (htmx).
    reviewing = browser(reviewer, "198.51.100.20", "ReviewerDesktop/2.0")
    queue = reviewing.get(reverse("workbench:queue"))
    body = queue.content.decode()
    assert "太平镇村晚节目征集" in body
    assert "太平镇小李" in body
    assert tree.township.name in body
    approve = reverse(
        "workbench:review_action", args=["institutions.article", article.pk, "approve"]
    )
    response = reviewing.post(approve, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "was approved and is now published" in response.content.decode()
    article.refresh_from_db()
    assert article.status == ReviewStatus.PUBLISHED
    assert "太平镇村晚节目征集" not in reviewing.get(reverse("workbench:queue")).content.decode()

    # 3. Everyone can read it now.
    assert Client().get(public_url).status_code == 200

    # 4. The county admin's audit log shows both steps, with who, where from and what.
    auditing = browser(county_admin, "198.51.100.30", "AdminLaptop/3.0")
    response = auditing.get(reverse("workbench:audit"), {"action": "institutions.article"})
    assert response.status_code == 200
    entries = list(response.context["page_obj"])
    assert [(e.action, e.actor_label, e.ip, e.user_agent) for e in entries] == [
        ("institutions.article.approved", "从化审核员", "198.51.100.20", "ReviewerDesktop/2.0"),
        ("institutions.article.submitted", "太平镇小李", "198.51.100.10", "EditorPhone/1.0"),
        ("institutions.article.created", "太平镇小李", "198.51.100.10", "EditorPhone/1.0"),
    ]
    body = response.content.decode().replace("<wbr>", "")  # codes may wrap after a dot
    for text in ("institutions.article.approved", "institutions.article.submitted", "从化审核员"):
        assert text in body
    assert "status: Pending review → Published" in body

    # The neighbouring county's admin sees none of it.
    other = browser(sibling_admin, "198.51.100.40", "Other/1.0")
    response = other.get(reverse("workbench:audit"), {"action": "institutions.article"})
    assert list(response.context["page_obj"]) == []
    assert (
        AuditEntry.objects.filter(
            target_id=str(article.pk), target_type="institutions.article"
        ).count()
        == 3
    )
