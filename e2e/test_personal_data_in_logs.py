"""Personal data never reaches the log: after every journey has run, the server's captured
log holds no phone number and no ID number that was typed into the site, only masked forms.

This test runs last (`after_journeys`) and adds its own journey first, with the inputs most
likely to leak: a sign-up, a wrong code, a real-name verification, a failed password log-in
and a staff member added by phone number."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import NewContext
from e2e.helpers import (
    COUNTY_ADMIN,
    Server,
    check_axe,
    log_in,
    masked_phone,
    new_id_number,
    new_phone,
    sign_up_with_code,
    verify_real_name,
    visit,
)

pytestmark = [
    pytest.mark.after_journeys,
    pytest.mark.variants(devices=["desktop"], languages=["zh-hans"]),
]

# A mainland mobile number or an 18-character ID number standing alone (not part of a longer
# run of letters and digits such as a request id, nor the decimals of a duration).
UNMASKED_PHONE = re.compile(r"(?<![0-9A-Za-z.])(?:\+?86)?1[3-9]\d{9}(?![0-9A-Za-z])")
UNMASKED_ID = re.compile(r"(?<![0-9A-Za-z.])\d{17}[\dXx](?![0-9A-Za-z])")


def leaky_journey(page: Page, new_context: NewContext, server: Server) -> str:
    phone, id_number = new_phone(), new_id_number()
    visit(page, "/accounts/signup/")
    # A wrong code first: refused, with the number in the form.
    page.locator("#id_phone").fill(phone)
    page.locator("#id_code").fill("000000")
    page.locator("#id_accept_terms").check()
    with page.expect_navigation():
        page.locator("button[name=action][value=verify]").click()
    check_axe(page)
    sign_up_with_code(page, server, phone)
    verify_real_name(page, server, "欧阳明", id_number)

    # A failed password log-in with the full number, in another browser.
    other = new_context().new_page()
    visit(other, "/accounts/login/")
    other.locator("#id_identifier").fill(phone)
    other.locator("#id_password").fill("not-the-password")
    with other.expect_navigation():
        other.locator("#password form button[type=submit]").click()
    check_axe(other)

    # A staff member added by full number.
    admin = log_in(new_context(), server, COUNTY_ADMIN)
    visit(admin, "/workbench/members/")
    admin.locator("#id_phone").fill(phone)
    admin.locator("#id_role").select_option("operator")
    with admin.expect_navigation():
        admin.locator("section[aria-labelledby=add-heading] button[type=submit]").click()
    check_axe(admin)
    expect(admin.locator("main tbody")).to_contain_text(masked_phone(phone))
    return phone


def test_no_personal_data_in_the_server_log(
    page: Page, new_context: NewContext, server: Server
) -> None:
    phone = leaky_journey(page, new_context, server)
    log = server.log_path.read_text(encoding="utf-8")
    records = server.log_records()

    # The log did capture the journeys: request lines and the masked one-time codes.
    assert any(r.get("path") == "/accounts/signup/" for r in records)
    assert any(masked_phone(phone) in str(r.get("message", "")) for r in records)

    assert len(server.personal_data) >= 4  # this journey's and the other journeys' inputs
    leaked = sorted(value for value in server.personal_data if value in log)
    assert not leaked, f"personal data in {server.log_path}: {leaked}"
    assert not UNMASKED_PHONE.findall(log), UNMASKED_PHONE.findall(log)
    assert not UNMASKED_ID.findall(log), UNMASKED_ID.findall(log)
