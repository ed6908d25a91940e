"""A township editor writes an article and submits it; the county reviewer approves it in
the review queue; the county administrator finds both steps in the audit log; the public
mini-site of the township station shows the article."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from e2e.conftest import NewContext
from e2e.helpers import (
    COUNTY_ADMIN,
    COUNTY_REVIEWER,
    TOWNSHIP_CODE,
    TOWNSHIP_EDITOR,
    Server,
    check_axe,
    log_in,
    t,
    unique_title,
    visit,
)


def open_workbench_section(page: Page, path: str) -> None:
    """From any page: the main navigation's Workbench link, then the workbench menu."""
    page.locator("nav.site-nav a[href='/workbench/']").click()
    page.wait_for_url("**/workbench/")
    check_axe(page)
    page.locator(f"nav.workbench-nav a[href='{path}']").click()
    page.wait_for_url(f"**{path}")
    check_axe(page)


def test_editor_submits_reviewer_approves(
    new_context: NewContext, server: Server, lang: str
) -> None:
    title = unique_title("太平镇非遗剪纸公益课开课" if lang == "zh-hans" else "Paper-cutting class")
    summary = "每周六上午，文化站二楼多功能室。"
    body = "剪纸是国家级非物质文化遗产。欢迎村民报名参加。"

    # The township editor writes a draft, then submits it from the article list.
    editor = log_in(new_context(), server, TOWNSHIP_EDITOR)
    open_workbench_section(editor, "/workbench/articles/")
    editor.locator("main a[href='/workbench/articles/new/']").click()
    editor.wait_for_url("**/workbench/articles/new/")
    check_axe(editor)
    editor.locator("#id_institution").select_option(TOWNSHIP_CODE)
    editor.locator("#id_title").fill(title)
    editor.locator("#id_summary").fill(summary)
    editor.locator("#id_body").fill(body)
    with editor.expect_navigation():
        editor.locator("button[name=save]").click()
    editor.wait_for_url("**/workbench/articles/")
    check_axe(editor)
    row = editor.locator("main tbody tr").filter(has=editor.get_by_role("link", name=title))
    expect(row.locator(".badge")).to_have_class("badge badge-draft")
    with editor.expect_navigation():
        row.locator("form[action$='/submit/'] button").click()
    check_axe(editor)
    expect(editor.locator("#messages .notice-success")).to_be_visible()
    row = editor.locator("main tbody tr").filter(has=editor.get_by_role("link", name=title))
    expect(row.locator(".badge")).to_have_class("badge badge-pending")
    expect(row.locator(".badge")).to_have_text(t(lang, "Pending review"))

    # The county reviewer approves it in the queue (htmx replaces the card).
    reviewer = log_in(new_context(), server, COUNTY_REVIEWER)
    open_workbench_section(reviewer, "/workbench/queue/")
    card = reviewer.locator("li.queue-item").filter(
        has=reviewer.get_by_role("link", name=title, exact=True)
    )
    expect(card).to_have_count(1)
    card.locator("form[action$='/approve/'] button").click()
    done = reviewer.locator("li.queue-item .notice-success").filter(has_text=title)
    expect(done).to_be_visible()
    check_axe(reviewer)

    # The county administrator sees the submission and the approval in the audit log.
    admin = log_in(new_context(), server, COUNTY_ADMIN)
    open_workbench_section(admin, "/workbench/audit/")
    admin.locator("#id_action").fill("institutions.article")
    with admin.expect_navigation():
        admin.locator("form.wb-filters button[type=submit]").click()
    check_axe(admin)
    rows = admin.locator("main tbody tr").filter(has_text=title)
    actions = [text.strip() for text in rows.locator("td code").all_inner_texts()]
    assert "institutions.article.submitted" in actions, actions
    assert "institutions.article.approved" in actions, actions
    submitted = rows.filter(has=admin.locator("code", has_text="institutions.article.submitted"))
    approved = rows.filter(has=admin.locator("code", has_text="institutions.article.approved"))
    submitter = submitted.first.locator("td").nth(1).inner_text().strip()
    approver = approved.first.locator("td").nth(1).inner_text().strip()
    assert submitter and approver and submitter != approver, (submitter, approver)

    # Anyone now reads it on the station's mini-site.
    visitor = new_context().new_page()
    visit(visitor, f"/institutions/{TOWNSHIP_CODE}/")
    visitor.get_by_role("link", name=title, exact=True).click()
    visitor.wait_for_url(f"**/institutions/{TOWNSHIP_CODE}/articles/*/")
    check_axe(visitor)
    expect(visitor.locator("h1")).to_have_text(title)
    expect(visitor.locator(".article-body")).to_contain_text(body)
