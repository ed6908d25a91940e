"""A citizen signs up with a one-time code (read from the development SMS backend's log),
then verifies a real name; afterwards only masked forms of the number and the ID number
are shown."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from e2e.helpers import (
    Server,
    check_axe,
    masked_id,
    masked_phone,
    new_id_number,
    new_phone,
    sign_up_with_code,
    t,
    verify_real_name,
    visit,
)


def test_sign_up_with_code_and_verify_real_name(page: Page, server: Server, lang: str) -> None:
    phone, id_number = new_phone(), new_id_number()

    visit(page, "/")
    page.locator("nav.site-nav a[href='/accounts/signup/']").click()
    page.wait_for_url("**/accounts/signup/")
    check_axe(page)
    expect(page.locator("h1")).to_have_text(t(lang, "Sign up"))

    sign_up_with_code(page, server, phone)
    expect(page.locator("#messages .notice-success")).to_have_text(
        t(lang, "Welcome! Your account has been created.")
    )
    expect(page.locator("main")).to_contain_text(masked_phone(phone))
    expect(page.locator("body")).not_to_contain_text(phone)
    not_verified = page.locator("section[aria-labelledby=realname-heading] .badge-draft")
    expect(not_verified).to_have_text(t(lang, "Not verified"))

    verify_real_name(page, server, "林晓雯", id_number)
    expect(page.locator("#messages .notice-success")).to_have_text(
        t(lang, "Your real name has been verified.")
    )
    realname = page.locator("section[aria-labelledby=realname-heading]")
    expect(realname.locator(".badge-published")).to_have_text(t(lang, "Verified"))
    expect(realname).to_contain_text(masked_id(id_number))
    expect(realname).to_contain_text("林**")
    expect(page.locator("body")).not_to_contain_text(id_number)
    expect(page.locator("body")).not_to_contain_text("林晓雯")

    # The real-name page now shows the record (masked) instead of the form.
    page.locator("nav.site-nav a[href='/accounts/me/']").click()
    page.wait_for_url("**/accounts/me/")
    check_axe(page)
    visit(page, "/accounts/me/realname/")
    expect(page.locator("#id_id_number")).to_have_count(0)
    expect(page.locator("main dl")).to_contain_text(masked_id(id_number))
