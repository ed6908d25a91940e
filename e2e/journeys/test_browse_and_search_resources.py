"""A visitor browses the digital library: narrows it by art category and by region, searches
one character (舞) in the library and a traditional-character word (醒獅) on the search page,
which finds the simplified title (醒狮); opens a picture in the deep-zoom viewer and reads a
PDF document page by page in the pdf.js reader.

The resources are made once for this file by the editors of two counties (through the
services, the way the importer or a script would): uploading and reviewing through the
pages is what test_resource_upload_review_play.py is about."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import NewContext, _server_env
from e2e.helpers import (
    COUNTY_CODE,
    COUNTY_REVIEWER,
    ROOT,
    Device,
    Server,
    check_axe,
    t,
    unique_title,
    visit,
)

# Demo logins (README): the 从化区 editor and the 桐庐县 editor and reviewer.
CONGHUA_EDITOR = "13800000122"
TONGLU_EDITOR = "13800000222"
TONGLU_REVIEWER = "13800000223"
CONGHUA_REGION = "440117"
TONGLU_REGION = "330122"

# Runs in `manage.py shell` against the server's database: makes each resource of SPEC with
# a generated picture or PDF, lets the eager tasks process it, submits and approves it.
SETUP = """
import io, json
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw
from culturecloud.accounts.services import find_user_by_phone
from culturecloud.core import review
from culturecloud.institutions.models import Institution
from culturecloud.resources import services

def picture():
    img = Image.new("RGB", (1600, 1000), (170, 30, 30))
    ImageDraw.Draw(img).ellipse((500, 200, 1100, 800), fill=(240, 200, 40))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()

def document():
    pages = [Image.new("RGB", (595, 842), (255, 255, 255)) for _ in range(3)]
    for n, page in enumerate(pages):
        ImageDraw.Draw(page).rectangle((60, 60 + 100 * n, 535, 200 + 100 * n), fill=(0, 0, 0))
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:])
    return out.getvalue()

made = {}
for item in SPEC:
    editor = find_user_by_phone(item.pop("editor"))
    reviewer = find_user_by_phone(item.pop("reviewer"))
    key = item.pop("key")
    institution = Institution.objects.get(code=item.pop("institution"))
    resource = services.create_resource(actor=editor, institution=institution, **item)
    if item["kind"] == "image":
        data, name = picture(), "xingshi.png"
    else:
        data, name = document(), "changben.pdf"
    resource = services.upload_media(
        actor=editor, resource=resource, uploaded_file=SimpleUploadedFile(name, data)
    )
    resource = review.approve(review.submit(resource, actor=editor), actor=reviewer)
    resource.refresh_from_db()
    made[key] = {"pk": resource.pk, "status": resource.status, "media": resource.media.status}
print("RESULT " + json.dumps(made))
"""


@pytest.fixture(scope="module")
def library(server: Server) -> dict[str, Any]:
    """Three published resources: a picture of a lion dance (dance) and a Cantonese opera
    libretto (PDF, drama) in 从化区, a paper-cut picture (fine arts) in 桐庐县."""
    common = {"audience": "general", "rights": "cc_by", "language": "zh"}
    spec = [
        dict(
            common,
            key="image",
            editor=CONGHUA_EDITOR,
            reviewer=COUNTY_REVIEWER,
            institution=COUNTY_CODE,
            title=unique_title("醒狮舞点睛"),
            kind="image",
            category="dance",
            region=CONGHUA_REGION,
            description="<p>从化醒狮采青、点睛，锣鼓声中狮子苏醒。</p>",
        ),
        dict(
            common,
            key="document",
            editor=CONGHUA_EDITOR,
            reviewer=COUNTY_REVIEWER,
            institution=COUNTY_CODE,
            title=unique_title("粤剧唱本选辑"),
            kind="document",
            category="drama",
            region=CONGHUA_REGION,
            description="<p>老艺人手抄的粤剧唱本，共三页。</p>",
        ),
        dict(
            common,
            key="other",
            editor=TONGLU_EDITOR,
            reviewer=TONGLU_REVIEWER,
            institution="zj-hz-tl",
            title=unique_title("桐庐剪纸窗花"),
            kind="image",
            category="fine_arts",
            region=TONGLU_REGION,
            description="<p>桐庐的剪纸窗花。</p>",
        ),
    ]
    code = f"SPEC = {json.dumps(spec, ensure_ascii=False)}\n{SETUP}"
    env = _server_env(server.log_path.parent)  # the conftest keeps the log in the var dir
    done = subprocess.run(  # noqa: S603 -- our own manage.py
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", code],
        cwd=ROOT,
        env={**env, "LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, (
        f"setup failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    made = json.loads(lines[-1].removeprefix("RESULT "))
    for key, item in made.items():
        assert item["status"] == "published" and item["media"] == "ready", (key, item)
    titles = {item["key"]: item["title"] for item in spec}
    return {key: {**made[key], "title": titles[key]} for key in made}


def card_titles(page: Page) -> list[str]:
    return [text.strip() for text in page.locator(".res-cards h3").all_inner_texts()]


def submit_library_form(page: Page) -> None:
    with page.expect_navigation():
        page.locator("main form[role=search] button[type=submit]").click()
    check_axe(page)


# Two runs (the suite's time budget): on the phone in Chinese, on the desktop in English.
@pytest.mark.variants(languages=["zh-hans"])
def test_browse_and_search_resources(
    new_context: NewContext, server: Server, device: Device, lang: str, library: dict[str, Any]
) -> None:
    lang = "en" if device.name == "desktop" else lang
    image, document, other = library["image"], library["document"], library["other"]
    page = new_context(lang=lang).new_page()

    # By art category: dance shows the lion dance, not the libretto nor the paper-cut.
    visit(page, "/resources/")
    page.locator("#res-category").select_option("dance")
    submit_library_form(page)
    assert "category=dance" in page.url, page.url
    titles = card_titles(page)
    assert image["title"] in titles, titles
    assert document["title"] not in titles and other["title"] not in titles, titles

    # By region, from the facets: 桐庐县 shows only its paper-cut; removing the filter and
    # choosing 从化区 shows the county's two.
    visit(page, "/resources/")
    page.locator(f".res-facets a[href*='region={TONGLU_REGION}']").click()
    page.wait_for_url(f"**region={TONGLU_REGION}*")
    check_axe(page)
    titles = card_titles(page)
    assert other["title"] in titles, titles
    assert image["title"] not in titles and document["title"] not in titles, titles
    page.locator(".res-active a").first.click()
    page.wait_for_url("**/resources/*")
    check_axe(page)
    assert "region=" not in page.url, page.url
    page.locator(f".res-facets a[href*='region={CONGHUA_REGION}']").click()
    page.wait_for_url(f"**region={CONGHUA_REGION}*")
    check_axe(page)
    titles = card_titles(page)
    assert image["title"] in titles and document["title"] in titles, titles
    assert other["title"] not in titles, titles

    # One character in the library's search: 舞 finds the lion dance, not the libretto.
    visit(page, "/resources/")
    page.locator("#res-q").fill("舞")
    submit_library_form(page)
    hit = page.locator(".res-cards li").filter(
        has=page.get_by_role("link", name=image["title"], exact=True)
    )
    expect(hit).to_have_count(1)
    expect(hit.locator("mark").first).to_have_text("舞")
    assert document["title"] not in card_titles(page)

    # Traditional characters on the search page find the simplified title.
    visit(page, "/search/")
    page.locator("#id_q").fill("醒獅")
    with page.expect_navigation():
        page.locator("main form[role=search] button[type=submit]").click()
    check_axe(page)
    link = page.locator(".search-hits").get_by_role("link", name=image["title"], exact=True)
    expect(link).to_have_count(1)
    expect(link.locator("mark")).to_have_text("醒狮")

    # The picture opens in the deep-zoom viewer.
    link.click()
    page.wait_for_url(f"**/resources/{image['pk']}/")
    check_axe(page)
    expect(page.locator("h1")).to_have_text(image["title"])
    zoom = page.locator("[data-deepzoom]")
    expect(zoom).to_have_class("res-deepzoom stack is-zoomable")
    expect(zoom.locator("[data-role=stage] .openseadragon-container").first).to_be_visible()
    expect(zoom.locator("[data-role=fallback]")).to_be_hidden()
    page.wait_for_function(
        """() => {
            const c = document.querySelector('[data-deepzoom] .openseadragon-canvas canvas');
            return c && c.width > 0 && c.height > 0;
        }"""
    )
    check_axe(page)  # with the viewer's controls in place

    # The libretto, from the kind filter: pdf.js renders its first page, then the next.
    visit(page, "/resources/?kind=document")
    page.get_by_role("link", name=document["title"], exact=True).click()
    page.wait_for_url(f"**/resources/{document['pk']}/")
    check_axe(page)
    reader = page.locator("[data-pdf-reader]")
    status = reader.locator("[data-role=page-status]")
    # A template's msgid keeps "%%" for "%" (the page shows it with one)
    page_of = t(lang, "Page %%(page)s of %%(total)s").replace("%%", "%")
    expect(status).to_have_text(page_of % {"page": 1, "total": 3}, timeout=15_000)
    canvas = reader.locator("canvas")
    expect(canvas).to_be_visible()
    expect(reader.locator("[data-role=fallback]")).to_be_hidden()
    assert dark_pixels(canvas) > 1000, "the first page was not drawn"
    check_axe(page)
    reader.locator("[data-role=next]").click()
    expect(status).to_have_text(page_of % {"page": 2, "total": 3})
    expect(reader.locator("[data-role=prev]")).to_be_enabled()


def dark_pixels(canvas: Any) -> int:
    return int(
        canvas.evaluate(
            """(c) => {
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                let n = 0;
                for (let i = 0; i < d.length; i += 4) if (d[i] < 60 && d[i + 3] > 0) n++;
                return n;
            }"""
        )
    )
