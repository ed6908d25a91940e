"""A county editor creates a video resource and uploads a short clip through the upload widget
(chunked, with a progress bar); the file is transcoded (the server runs its tasks eagerly) and
the editor submits the resource for review; the county reviewer approves it in the review
queue; a visitor finds it on the search page by a two-character word, opens it and the video
plays (hls.js on Media Source Extensions)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import imageio_ffmpeg
import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import NewContext
from e2e.helpers import (
    COUNTY_CODE,
    COUNTY_REVIEWER,
    Device,
    Server,
    check_axe,
    log_in,
    t,
    unique_title,
    visit,
)

COUNTY_EDITOR = "13800000122"  # editor 编辑, 从化区文化馆 (README "Demo logins")
WORD = "鳌鱼"  # the two-character word the visitor searches for
NO_NATIVE_HLS = """(() => {
    const canPlayType = HTMLMediaElement.prototype.canPlayType;
    HTMLMediaElement.prototype.canPlayType = function (type) {
        return /mpegurl/i.test(type) ? "" : canPlayType.call(this, type);
    };
})();"""


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-second H.264/AAC test pattern with a tone, made with the ffmpeg of imageio-ffmpeg."""
    path = tmp_path_factory.mktemp("clip") / "aoyu-dance.mp4"
    options = (
        "-y -loglevel error"
        " -f lavfi -i testsrc=size=640x360:rate=25 -f lavfi -i sine=frequency=440:sample_rate=44100"
        " -t 2 -c:v libx264 -pix_fmt yuv420p -c:a aac -shortest -movflags +faststart"
    )
    subprocess.run(  # noqa: S603 -- a fixed command line
        [imageio_ffmpeg.get_ffmpeg_exe(), *options.split(), str(path)],
        check=True,
        timeout=60,
    )
    return path


def open_workbench_section(page: Page, path: str) -> None:
    page.locator("nav.site-nav a[href='/workbench/']").click()
    page.wait_for_url("**/workbench/")
    check_axe(page)
    page.locator(f"nav.workbench-nav a[href='{path}']").click()
    page.wait_for_url(f"**{path}")
    check_axe(page)


@pytest.mark.variants(languages=["zh-hans"])
def test_resource_upload_review_play(
    new_context: NewContext, server: Server, device: Device, lang: str, clip: Path
) -> None:
    title = unique_title(f"从化{WORD}舞表演实录")

    # The county editor opens resource management from the library and writes the record.
    editor = log_in(new_context(), server, COUNTY_EDITOR)
    visit(editor, "/resources/")
    editor.locator("main a[href='/resources/manage/']").click()
    editor.wait_for_url("**/resources/manage/")
    check_axe(editor)
    editor.locator("main a[href='/resources/manage/new/']").click()
    editor.wait_for_url("**/resources/manage/new/")
    check_axe(editor)
    editor.locator("#id_institution").select_option(COUNTY_CODE)
    editor.locator("#id_title").fill(title)
    editor.locator("#id_kind").select_option("video")
    editor.locator("#id_category").select_option("dance")
    editor.locator("#id_ich_category").select_option(index=1)
    editor.locator("#id_region").fill("440117")
    editor.locator("#id_description").fill(
        "<p>鳌鱼舞是从化的传统民间舞蹈，逢年过节在村中巡游。</p>"
    )
    with editor.expect_navigation():
        editor.locator("button[name=save]").click()
    editor.wait_for_url("**/resources/manage/*/")
    check_axe(editor)
    expect(editor.locator("#messages .notice-success")).to_be_visible()
    expect(editor.locator("main .badge").first).to_have_class("badge badge-draft")

    # The clip goes through the upload widget; the progress bar fills, then it is processed.
    widget = editor.locator("#resource-media")
    widget.locator("input[type=file]").set_input_files(clip)
    widget.locator("[data-role=start]").click()
    status = widget.locator("[data-role=status]")
    expect(status).to_have_text(t(lang, "Done: the file is ready."), timeout=60_000)
    expect(widget.locator("progress")).to_have_js_property("value", 100)
    expect(widget.locator("[data-role=result]")).to_be_visible()
    expect(widget.locator("input[name=new_media]")).not_to_have_value("")
    check_axe(editor)  # the widget with its final status

    # Save and submit: the record now has its transcoded media and waits for review.
    with editor.expect_navigation():
        editor.locator("button[name=submit]").click()
    editor.wait_for_url("**/resources/manage/*/")
    check_axe(editor)
    expect(editor.locator("#messages .notice-success")).to_be_visible()
    expect(editor.locator("main .badge").first).to_have_class("badge badge-pending")
    media = editor.locator("section[aria-labelledby=media-title]")
    expect(media).to_contain_text(t(lang, "The media file is ready."))
    expect(media).to_contain_text(clip.name)

    # The county reviewer approves it in the review queue.
    reviewer = log_in(new_context(), server, COUNTY_REVIEWER)
    open_workbench_section(reviewer, "/workbench/queue/")
    card = reviewer.locator("li.queue-item").filter(
        has=reviewer.get_by_role("link", name=title, exact=True)
    )
    expect(card).to_have_count(1)
    card.locator("form[action$='/approve/'] button").click()
    expect(reviewer.locator("li.queue-item .notice-success").filter(has_text=title)).to_be_visible()
    check_axe(reviewer)

    # A visitor searches the two-character word, opens the resource and plays the video.
    visitor_context = new_context()
    # Recent Chromium (like Safari) plays HLS natively, so the player hands it the playlist;
    # on the desktop the visitor's browser has no native HLS (as older desktop browsers and
    # most Android browsers), so hls.js is what plays it.
    without_native_hls = device.name == "desktop"
    if without_native_hls:
        visitor_context.add_init_script(NO_NATIVE_HLS)
    visitor = visitor_context.new_page()
    visit(visitor, "/search/")
    visitor.locator("#id_q").fill(WORD)
    with visitor.expect_navigation():
        visitor.locator("main form[role=search] button[type=submit]").click()
    check_axe(visitor)
    hit = visitor.locator(".search-hits li").filter(
        has=visitor.get_by_role("link", name=title, exact=True)
    )
    expect(hit).to_have_count(1)
    expect(hit.locator("mark").first).to_have_text(WORD)
    hit.get_by_role("link", name=title, exact=True).click()
    visitor.wait_for_url("**/resources/*/")
    check_axe(visitor)
    expect(visitor.locator("h1")).to_have_text(title)
    video = visitor.locator("section.res-player video")
    expect(video).to_have_attribute("data-hls-src", re.compile(r"/hls/master\.m3u8$"))
    # hls.js attaches the stream through Media Source Extensions (a blob: source); a browser
    # that plays HLS itself (Safari, this Chromium) gets the playlist.
    attached = "startsWith('blob:')" if without_native_hls else "endsWith('/hls/master.m3u8')"
    visitor.wait_for_function(
        f"() => (document.querySelector('section.res-player video').src || '').{attached}"
    )
    played = video.evaluate(
        """async (v) => {
            v.muted = true;
            await v.play();
            const start = performance.now();
            while (v.currentTime < 0.3 && performance.now() - start < 8000) {
                await new Promise((r) => setTimeout(r, 100));
            }
            const error = v.error && v.error.code;
            return {readyState: v.readyState, currentTime: v.currentTime, error: error};
        }"""
    )
    assert played["error"] is None, played
    assert played["readyState"] >= 2, played
    assert played["currentTime"] >= 0.3, played
    check_axe(visitor)
