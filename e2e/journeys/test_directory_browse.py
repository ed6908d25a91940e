"""A visitor browses the institution directory: opens the tree level by level (htmx loads
each level), opens a township station's mini-site, then finds the same station by name."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from e2e.helpers import check_axe, t, visit

PATH = ["gd", "gd-gz", "gd-gz-ch"]  # 广东省文化馆 › 广州市文化馆 › 从化区文化馆
STATION = "gd-gz-ch-tp"  # 从化区太平镇综合文化站


def expand(page: Page, code: str) -> None:
    """Open the "sub-institutions" disclosure of `code` in the tree."""
    node = page.locator(f"ul.tree li:has(> a[href='/institutions/{code}/'])")
    more = node.locator(":scope > details.tree-more")
    more.locator(":scope > summary").click()
    expect(more).to_have_attribute("open", "")
    expect(more.locator(".tree-children > ul > li").first).to_be_visible()


def test_browse_tree_and_open_a_mini_site(page: Page, lang: str) -> None:
    visit(page, "/")
    page.locator("nav.site-nav a[href='/institutions/']").click()
    page.wait_for_url("**/institutions/")
    check_axe(page)
    expect(page.locator("h1")).to_have_text(t(lang, "Institution directory"))

    for code in PATH:
        expand(page, code)
    station = page.locator(f"ul.tree a[href='/institutions/{STATION}/']")
    expect(station).to_be_visible()
    check_axe(page)  # the tree with three levels opened

    name = station.inner_text().strip()
    station.click()
    page.wait_for_url(f"**/institutions/{STATION}/")
    check_axe(page)
    expect(page.locator("h1")).to_have_text(name)
    # The mini-site: breadcrumbs up to the national centre, published news only.
    expect(page.locator("nav.breadcrumbs a[href='/institutions/gd-gz-ch/']")).to_be_visible()
    news = page.locator("section[aria-labelledby=news-title] article h3 a")
    expect(news.first).to_be_visible()
    news.first.click()
    page.wait_for_url(f"**/institutions/{STATION}/articles/*/")
    check_axe(page)
    expect(page.locator("h1")).to_be_visible()

    # The same station, found by name.
    visit(page, "/institutions/")
    page.locator("#id_q").fill("太平镇")
    with page.expect_navigation():
        page.locator("form[role=search] button[type=submit]").click()
    check_axe(page)
    results = page.locator("section[aria-labelledby=results-title] article h3 a")
    expect(results.filter(has_text=name)).to_have_count(1)
    results.filter(has_text=name).click()
    page.wait_for_url(f"**/institutions/{STATION}/")
    check_axe(page)
