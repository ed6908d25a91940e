"""The harness itself: axe-core really fails a page with a serious violation, and the page
watch really notices an unchecked page, a JavaScript error and a CSP violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from e2e.conftest import watch_of
from e2e.helpers import check_axe, visit

pytestmark = pytest.mark.variants(devices=["desktop"], languages=["en"])


def test_axe_fails_on_a_critical_violation(page: Page) -> None:
    visit(page, "/")
    # An image without a text alternative (axe rule image-alt, impact critical).
    page.evaluate(
        """() => {
            const img = document.createElement("img");
            img.src = "/static/none.png";
            img.id = "no-alt";
            document.querySelector("main").append(img);
        }"""
    )
    with pytest.raises(AssertionError, match=r"\[critical\] image-alt") as failure:
        check_axe(page)
    assert "#no-alt" in str(failure.value)
    page.evaluate("() => document.getElementById('no-alt').remove()")
    check_axe(page)
    watch_of(page).errors.clear()  # the missing image's 404, caused on purpose


def test_watch_notices_unchecked_pages_and_script_errors(page: Page) -> None:
    watch = watch_of(page)
    page.goto("/institutions/")
    assert watch.unchecked() == [page.url]
    check_axe(page)
    assert watch.unchecked() == []

    page.evaluate("() => { setTimeout(() => { throw new Error('boom in a test'); }); }")
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.inlineRan = true";
            document.body.append(script);
        }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.inlineRan === true") is False  # CSP held
    assert any("boom in a test" in error for error in watch.errors), watch.errors
    assert any("Content Security Policy" in error for error in watch.errors), watch.errors
    watch.errors.clear()  # caused on purpose
