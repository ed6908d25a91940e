"""The API tokens page of my account: list, create (raw token shown once), revoke."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from culturecloud.accounts import services
from culturecloud.accounts.models import ApiToken
from culturecloud.core.models import AuditEntry

URL = "/accounts/me/tokens/"


@pytest.fixture
def logged_in(client, citizen):
    client.force_login(citizen)
    return client


def raw_token_in(html: str) -> str | None:
    match = re.search(
        r'<input type="text" id="raw-token" class="token-value" value="([^"]+)"', html
    )
    return match.group(1) if match else None


def test_urls_are_the_contract():
    assert reverse("accounts:api_tokens") == URL
    assert reverse("accounts:api_token_revoke", args=[7]) == f"{URL}7/revoke/"


def test_anonymous_is_sent_to_login(db):
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert Client().post(f"{URL}1/revoke/").status_code == 302


def test_my_account_links_to_the_tokens_page(logged_in):
    assert f'href="{URL}"' in logged_in.get(reverse("accounts:me")).content.decode()


def test_create_shows_the_raw_token_once_and_it_works(logged_in, citizen):
    response = logged_in.post(URL, {"name": "微信小程序", "expires_in_days": "90"})
    assert response.status_code == 200
    assert (
        response["Cache-Control"].startswith("private") or "no-store" in response["Cache-Control"]
    )
    html = response.content.decode()
    raw = raw_token_in(html)
    assert raw is not None and raw.startswith("cc_")
    assert "shown only this once" in html
    assert 'for="raw-token"' in html
    token = ApiToken.objects.get(user=citizen)
    assert token.name == "微信小程序"
    assert raw.startswith(token.prefix)
    assert token.expires_at is not None
    assert dt.timedelta(days=89) < token.expires_at - timezone.now() <= dt.timedelta(days=90)
    assert AuditEntry.objects.filter(action="accounts.token.issued", actor=citizen).count() == 1
    # The token authenticates the API; the list page never shows it again.
    app = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert app.get("/api/v1/auth/me").status_code == 200
    listing = logged_in.get(URL).content.decode()
    assert raw not in listing
    assert raw_token_in(listing) is None
    assert "微信小程序" in listing and f"{token.prefix}…" in listing
    assert "Active" in listing


def test_create_without_expiry(logged_in, citizen):
    response = logged_in.post(URL, {"name": "cli", "expires_in_days": ""})
    assert response.status_code == 200
    assert ApiToken.objects.get(user=citizen).expires_at is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 61}, "name"),
        ({"name": "ok", "expires_in_days": "7"}, "expires_in_days"),
        ({"name": "ok", "expires_in_days": "abc"}, "expires_in_days"),
    ],
)
def test_bad_input_rerenders_with_field_errors(logged_in, citizen, data, field):
    response = logged_in.post(URL, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert re.search(
        rf'id="id_{field}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="id_{field}"', html
    )
    assert raw_token_in(html) is None
    assert not ApiToken.objects.filter(user=citizen).exists()


def test_the_service_limit_is_a_form_error(logged_in, citizen):
    for n in range(services.MAX_API_TOKENS):
        services.issue_api_token(user=citizen, name=f"t{n}")
    response = logged_in.post(URL, {"name": "one too many"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "Please revoke one first" in html
    assert raw_token_in(html) is None
    assert ApiToken.objects.filter(user=citizen).count() == services.MAX_API_TOKENS


def test_revoke(logged_in, citizen):
    token, raw = services.issue_api_token(user=citizen, name="old app")
    page = logged_in.get(URL).content.decode()
    action = reverse("accounts:api_token_revoke", args=[token.pk])
    assert f'action="{action}"' in page
    response = logged_in.post(action, follow=True)
    assert response.redirect_chain[-1] == (URL, 302)
    html = response.content.decode()
    assert "is revoked" in html
    assert "Revoked" in html
    assert f'action="{action}"' not in html  # no revoke button on a revoked token
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/auth/me").status_code == 401
    assert AuditEntry.objects.filter(action="accounts.token.revoked", actor=citizen).count() == 1


def test_cannot_revoke_someone_elses_token(logged_in, citizen):
    other = services.create_user_with_phone(phone="13912345678")
    token, _raw = services.issue_api_token(user=other, name="theirs")
    response = logged_in.post(reverse("accounts:api_token_revoke", args=[token.pk]), follow=True)
    assert "No such token." in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None
    assert "theirs" not in logged_in.get(URL).content.decode()


def test_revoke_is_post_only(logged_in, citizen):
    token, _raw = services.issue_api_token(user=citizen, name="t")
    assert logged_in.get(reverse("accounts:api_token_revoke", args=[token.pk])).status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_expired_token_is_listed_as_expired(logged_in, citizen):
    token, _raw = services.issue_api_token(user=citizen, name="short", expires_in_days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(hours=1))
    html = logged_in.get(URL).content.decode()
    assert "Expired" in html
    assert reverse("accounts:api_token_revoke", args=[token.pk]) not in html


def test_list_query_count_is_flat(logged_in, citizen, django_assert_max_num_queries):
    for n in range(8):
        services.issue_api_token(user=citizen, name=f"t{n}")
    with django_assert_max_num_queries(4):
        response = logged_in.get(URL)
    assert response.status_code == 200
    assert response.content.decode().count("<tr>") == 9  # header + 8
