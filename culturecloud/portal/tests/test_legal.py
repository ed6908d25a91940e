"""The user agreement and the privacy policy: reachable, versioned, and they say what the
account pages do (export, deletion, real name) and how long logs are kept."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from culturecloud.accounts import services as accounts

pytestmark = pytest.mark.django_db


def english(client, url):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("name", "title"), [("portal:terms", "User agreement"), ("portal:privacy", "Privacy policy")]
)
def test_legal_pages_show_the_policy_version_consents_record(client, monkeypatch, name, title):
    monkeypatch.setattr(accounts, "POLICY_VERSION", "2031-07")
    body = english(client, reverse(name))
    assert f"<title>{title} · " in body
    assert re.search(r"<h1[^>]*>" + title + "</h1>", body)
    assert "Version 2031-07" in body
    assert "<script>" not in body and 'style="' not in body


def test_legal_pages_are_public_and_cacheable(client):
    for name in ("portal:terms", "portal:privacy"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert response["Cache-Control"].startswith("public")
        assert "Accept-Language" in response["Vary"]
        assert client.post(reverse(name)).status_code == 405


def test_privacy_policy_names_the_data_and_the_rights(client, settings):
    body = english(client, reverse("portal:privacy"))
    for item in (
        "Mobile number",
        "Real name and resident ID number",
        "Nickname and avatar",
        "Region",
        "Interests",
        "Activity log",
    ):
        assert f"<h3>{item}</h3>" in body
    # The rights are used on the account pages the policy links to.
    for url in ("accounts:export", "accounts:delete", "accounts:realname", "accounts:profile"):
        assert f'href="{reverse(url)}"' in body
    assert f'href="{reverse("accounts:api_tokens")}"' in body
    assert 'id="real-name"' in body  # the real-name consent links here
    assert f"deleted after {accounts.LOG_RETENTION_DAYS} days" in body
    assert f"valid {max(1, settings.OTP_TTL_SECONDS // 60)} minutes" in body
    assert "People's Republic of China" in body
    assert f'href="{reverse("portal:terms")}"' in body


def test_contact_email_is_shown_when_configured(client, settings):
    body = english(client, reverse("portal:privacy"))
    assert "mailto:" not in body
    assert f'href="{reverse("institutions:directory")}"' in body
    settings.PRIVACY_CONTACT_EMAIL = "pipl@culture.example.cn"
    for name in ("portal:privacy", "portal:terms"):
        body = english(client, reverse(name))
        assert 'href="mailto:pipl@culture.example.cn"' in body


def test_every_page_footer_links_both_texts(client):
    for url in ("/", reverse("accounts:login"), reverse("portal:privacy")):
        body = english(client, url)
        footer = body[body.index('<footer class="site-footer">') :]
        assert f'href="{reverse("portal:terms")}">User agreement</a>' in footer
        assert f'href="{reverse("portal:privacy")}">Privacy policy</a>' in footer


def test_contents_links_point_at_headings(client):
    for name in ("portal:terms", "portal:privacy"):
        body = english(client, reverse(name))
        targets = re.findall(r'<li><a href="#([\w-]+)">', body)
        assert len(targets) >= 9
        for target in targets:
            assert re.search(rf'<h2 id="{target}">', body), target


def test_site_icon_is_linked_and_favicon_ico_redirects_to_it(client):
    from django.templatetags.static import static

    icon = static("portal/favicon.svg")
    assert f'<link rel="icon" href="{icon}" type="image/svg+xml">' in english(client, "/")
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == icon


def test_public_pages_answer_head(client):
    for url in ("/", reverse("portal:terms"), reverse("portal:privacy"), "/robots.txt"):
        response = client.head(url)
        assert response.status_code == 200, url
        assert response.content == b""
