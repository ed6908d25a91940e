"""A visitor switches the language and turns on elder-friendly mode (适老化); both choices
hold on other pages and after a reload, and elder mode really enlarges the text."""

from __future__ import annotations

import re
from urllib.parse import urlparse

from playwright.sync_api import Page, expect

from e2e.helpers import check_axe, html_lang, t, visit

ELDER = re.compile(r"\belder\b")


def root_font_px(page: Page) -> float:
    return float(
        page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
    )


def test_switch_language_then_elder_mode(page: Page, lang: str) -> None:
    other = "en" if lang == "zh-hans" else "zh-hans"
    visit(page, "/")
    assert html_lang(page) == lang
    normal_size = root_font_px(page)

    with page.expect_navigation():
        page.locator(f"header button[name=language][value={other}]").click()
    check_axe(page)
    assert html_lang(page) == other
    assert urlparse(page.url).path == "/"  # back where the visitor was
    expect(page.locator("a.skip-link")).to_have_text(t(other, "Skip to main content"))

    elder = page.locator("form[action='/elder-mode/'] button")
    expect(elder).to_have_attribute("aria-pressed", "false")
    with page.expect_navigation():
        elder.click()
    check_axe(page)  # the high-contrast palette is checked too
    expect(page.locator("html")).to_have_class(ELDER)
    expect(elder).to_have_attribute("aria-pressed", "true")
    assert root_font_px(page) >= normal_size * 1.2

    # Both choices hold on another page and after a reload.
    page.locator("nav.site-nav a[href='/institutions/']").click()
    page.wait_for_url("**/institutions/")
    check_axe(page)
    assert html_lang(page) == other
    expect(page.locator("html")).to_have_class(ELDER)
    page.reload()
    check_axe(page)
    assert html_lang(page) == other
    expect(page.locator("html")).to_have_class(ELDER)
    expect(page.locator("h1")).to_have_text(t(other, "Institution directory"))
    assert root_font_px(page) >= normal_size * 1.2

    # Turning elder mode off again keeps the language.
    with page.expect_navigation():
        page.locator("form[action='/elder-mode/'] button").click()
    check_axe(page)
    expect(page.locator("html")).not_to_have_class(ELDER)
    assert html_lang(page) == other
    assert root_font_px(page) == normal_size
