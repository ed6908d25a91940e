"""Sign-up and real-name consent link the texts they ask to accept, and the consent records
the version those pages show."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from culturecloud.accounts import services
from culturecloud.accounts.models import Consent, ConsentPurpose, User

from .conftest import PHONE


def described_links(html: str, field_id: str) -> str:
    """The help text the field points at with aria-describedby."""
    field = re.search(rf'<input[^>]*id="{field_id}"[^>]*>', html)
    assert field is not None
    described = re.search(r'aria-describedby="([^"]+)"', field.group(0))
    assert described is not None
    help_id = described.group(1).split()[0]
    help_text = re.search(rf'<p class="field-help" id="{help_id}">(.*?)</p>', html, re.S)
    assert help_text is not None
    return help_text.group(1)


@pytest.mark.parametrize("name", ["accounts:signup", "accounts:login"])
def test_terms_checkbox_links_both_texts(db, client, name):
    html = client.get(reverse(name)).content.decode()
    links = described_links(html, "id_accept_terms")
    assert f'<a href="{reverse("portal:terms")}">user agreement</a>' in links
    assert f'<a href="{reverse("portal:privacy")}">privacy policy</a>' in links


def test_realname_consent_links_the_privacy_policy_section(client, citizen):
    client.force_login(citizen)
    html = client.get(reverse("accounts:realname")).content.decode()
    links = described_links(html, "id_consent")
    assert f'href="{reverse("portal:privacy")}#real-name"' in links
    assert f'href="{reverse("portal:terms")}"' in links


def test_sign_up_records_the_version_the_policy_page_shows(db, client, send_code, monkeypatch):
    monkeypatch.setattr(services, "POLICY_VERSION", "2031-07")
    shown = client.get(reverse("portal:privacy")).content.decode()
    assert "Version 2031-07" in shown
    code = send_code(PHONE)
    response = client.post(
        reverse("accounts:signup"),
        {"method": "code", "action": "verify", "phone": PHONE, "code": code, "accept_terms": "on"},
    )
    assert response.status_code == 302
    user = User.objects.get(pk=client.session["_auth_user_id"])
    consent = Consent.objects.get(user=user, purpose=ConsentPurpose.TERMS)
    assert consent.policy_version == "2031-07"
