"""/uploads/: the upload page with its widget, the files with status and retry, a file's page."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from culturecloud.institutions.models import Role
from culturecloud.media import services
from culturecloud.media.models import AssetStatus

from .conftest import image_bytes


@pytest.fixture
def assets(tree, editor, django_capture_on_commit_callbacks):
    made = {}
    for key, data in (("ok", image_bytes(120, 90)), ("bad", image_bytes(120, 90)[:150])):
        with django_capture_on_commit_callbacks(execute=True):
            asset = services.create_asset_from_upload(
                actor=editor,
                institution=tree.county,
                uploaded_file=SimpleUploadedFile(f"{key}.jpg", data),
            )
        asset.refresh_from_db()
        made[key] = asset
    assert made["bad"].status == AssetStatus.FAILED
    return made


def test_upload_page_needs_a_content_editor(client, tree, make_user):
    url = reverse("media:upload")
    assert url == "/uploads/"
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login" in response["Location"]
    client.force_login(make_user())
    assert client.get(url).status_code == 403
    client.force_login(make_user(role=Role.REVIEWER, institution=tree.county))
    assert client.get(url).status_code == 403


def test_upload_page_shows_widget_files_and_retry(client, editor, assets):
    client.force_login(editor)
    response = client.get(reverse("media:upload"))
    assert response.status_code == 200
    html = response.content.decode()
    # The widget: a labelled file input, an accessible progress bar, a live status line.
    assert "data-media-upload" in html
    assert 'data-sessions-url="/api/v1/media/sessions"' in html
    assert 'data-institution="gd-gz-ch"' in html
    assert re.search(r'<label for="media-upload-file">', html)
    assert re.search(r'<progress id="media-upload-progress"[^>]*max="100"', html)
    assert 'role="status" aria-live="polite"' in html
    # No inline script (CSP script-src 'self'); the widget's script is a static file.
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all("src=" in attrs for attrs in scripts)
    assert "/static/media/upload.js" in html
    assert ' style="' not in html
    # Both files, the failed one with its reason and a retry button.
    assert "ok.jpg" in html and "bad.jpg" in html
    assert "damaged" in html
    assert reverse("media:retry", kwargs={"pk": assets["bad"].pk}) in html
    assert reverse("media:retry", kwargs={"pk": assets["ok"].pk}) not in html


def test_retry_from_the_page(client, editor, assets, django_capture_on_commit_callbacks):
    client.force_login(editor)
    url = reverse("media:retry", kwargs={"pk": assets["bad"].pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"next": "/uploads/"}, follow=True)
    assert response.redirect_chain == [("/uploads/", 302)]
    # (The test's transaction holds the task until the block ends; in autocommit the eager
    # task has run by then and the page says "Processing failed again: …".)
    assert "The file will be processed again." in response.content.decode()
    assets["bad"].refresh_from_db()
    assert assets["bad"].attempts == 2 and assets["bad"].status == AssetStatus.FAILED
    # A ready file cannot be retried; an outside `next` is not followed.
    response = client.post(
        reverse("media:retry", kwargs={"pk": assets["ok"].pk}),
        {"next": "https://evil.example/"},
        follow=True,
    )
    assert response.redirect_chain[0][0] == reverse("media:detail", kwargs={"pk": assets["ok"].pk})
    assert "Only a file whose processing failed" in response.content.decode()
    assert client.get(url).status_code == 405


def test_file_page(client, editor, assets):
    client.force_login(editor)
    html = client.get(reverse("media:detail", kwargs={"pk": assets["ok"].pk})).content.decode()
    assert "120 × 90" in html and "thumbnail_webp" in html and "image/jpeg" in html
    html = client.get(reverse("media:detail", kwargs={"pk": assets["bad"].pk})).content.decode()
    assert "damaged" in html and "Process again" in html


def test_sibling_county_sees_nothing(client, sibling_editor, assets):
    client.force_login(sibling_editor)
    html = client.get(reverse("media:upload")).content.decode()
    assert "ok.jpg" not in html and 'data-institution="gd-gz-zc"' in html
    assert client.get(reverse("media:detail", kwargs={"pk": assets["ok"].pk})).status_code == 404
    response = client.post(reverse("media:retry", kwargs={"pk": assets["bad"].pk}))
    assert response.status_code == 404
    assets["bad"].refresh_from_db()
    assert assets["bad"].attempts == 1
    # Another institution's code in the picker is not honoured.
    assert client.get(reverse("media:upload"), {"institution": "gd-gz-ch"}).status_code == 403
