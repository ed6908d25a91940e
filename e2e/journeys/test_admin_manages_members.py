"""A county administrator gives a registered citizen a role at a township station, changes
it to another role, then removes it; the member list and the audit log follow each step."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

from e2e.conftest import NewContext
from e2e.helpers import (
    COUNTY_ADMIN,
    TOWNSHIP_CODE,
    Server,
    check_axe,
    log_in,
    masked_phone,
    t,
)


def member_rows(page: Page, phone: str) -> Locator:
    return page.locator("main tbody tr").filter(
        has=page.locator("td", has_text=masked_phone(phone))
    )


def add_member(page: Page, phone: str, role: str) -> None:
    page.locator("#id_phone").fill(phone)
    page.locator("#id_role").select_option(role)
    with page.expect_navigation():
        page.locator("section[aria-labelledby=add-heading] button[type=submit]").click()
    check_axe(page)
    expect(page.locator("#messages .notice-success")).to_be_visible()


def remove_member(page: Page, phone: str, role_label: str) -> None:
    row = member_rows(page, phone).filter(has=page.locator("td", has_text=role_label))
    with page.expect_navigation():
        row.locator("form[action$='/remove/'] button").click()
    check_axe(page)
    expect(page.locator("#messages .notice-success")).to_be_visible()


def test_admin_adds_changes_and_removes_a_member(
    new_context: NewContext, server: Server, lang: str
) -> None:
    citizen = server.demo_citizen()
    editor, reviewer = t(lang, "Editor"), t(lang, "Reviewer")

    page = log_in(new_context(), server, COUNTY_ADMIN)
    page.locator("nav.site-nav a[href='/workbench/']").click()
    page.wait_for_url("**/workbench/")
    check_axe(page)
    page.locator("nav.workbench-nav a[href='/workbench/members/']").click()
    page.wait_for_url("**/workbench/members/")
    check_axe(page)

    # Choose the township station among the institutions the admin manages.
    page.locator("#pick-institution").select_option(TOWNSHIP_CODE)
    with page.expect_navigation():
        page.locator("form.wb-filters button[type=submit]").click()
    check_axe(page)
    assert f"institution={TOWNSHIP_CODE}" in page.url
    expect(member_rows(page, citizen)).to_have_count(0)

    # Add as editor.
    add_member(page, citizen, "editor")
    expect(member_rows(page, citizen)).to_have_count(1)
    expect(member_rows(page, citizen)).to_contain_text(editor)
    name = member_rows(page, citizen).locator("td").first.inner_text().strip()
    expect(page.locator("main")).not_to_contain_text(citizen)  # the number is shown masked

    # Change the role: reviewer instead of editor.
    add_member(page, citizen, "reviewer")
    expect(member_rows(page, citizen)).to_have_count(2)
    remove_member(page, citizen, editor)
    expect(member_rows(page, citizen)).to_have_count(1)
    expect(member_rows(page, citizen)).to_contain_text(reviewer)

    # A second add of the same role is refused with a message on the form, not a 500.
    page.locator("#id_phone").fill(citizen)
    page.locator("#id_role").select_option("reviewer")
    with page.expect_navigation() as refused:
        page.locator("section[aria-labelledby=add-heading] button[type=submit]").click()
    assert refused.value is not None and 400 <= refused.value.status < 500
    check_axe(page)
    expect(
        page.locator("#add-heading ~ form").locator(".errorlist, [role=alert]").first
    ).to_be_visible()
    expect(member_rows(page, citizen)).to_have_count(1)

    # Remove the person altogether.
    remove_member(page, citizen, reviewer)
    expect(member_rows(page, citizen)).to_have_count(0)

    # Each step is in the audit log, for this station.
    page.locator("nav.workbench-nav a[href='/workbench/audit/']").click()
    page.wait_for_url("**/workbench/audit/")
    check_axe(page)
    page.locator("#id_action").fill("institutions.member")
    with page.expect_navigation():
        page.locator("form.wb-filters button[type=submit]").click()
    check_axe(page)
    rows = page.locator("main tbody tr").filter(has_text=name)
    actions = sorted(text.strip() for text in rows.locator("td code").all_inner_texts())
    assert actions == [
        "institutions.member.added",
        "institutions.member.added",
        "institutions.member.removed",
        "institutions.member.removed",
    ], actions
