"""Rate limits of log-in, code sending and the other expensive or revealing endpoints.

Every limit is a fixed-window counter in the shared cache (`core.ratelimit`: Redis in
production, so it holds across every app process; the last test proves that with two
processes on CI's Redis). A refused request is a 429 with the error shape and Retry-After,
and changes nothing. Limits are set low here through their settings (or module rates).
"""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from PIL import Image

from culturecloud.accounts import services as account_services
from culturecloud.accounts import sms
from culturecloud.accounts.models import OneTimeCode, User
from culturecloud.accounts.services import create_user_with_phone, issue_api_token
from culturecloud.celery import app as celery_app
from culturecloud.core.models import AuditEntry
from culturecloud.institutions import services as institution_services
from culturecloud.institutions.models import Membership, Role
from culturecloud.media.models import MediaAsset, UploadSession

PASSWORD = "pw-Secret-123"
VALID_ID = "11010519491231002X"  # the example number of GB 11643
ERROR_KEYS = {"code", "message", "fields"}


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path) -> Iterator[None]:
    """A cache namespace of the test's own (counters start at zero), SMS into an outbox,
    uploads into a private directory, tasks in the test's process."""
    caches = copy.deepcopy(settings.CACHES)
    tag = uuid.uuid4().hex[:12]
    caches["default"]["KEY_PREFIX"] = f"rl-{tag}"
    if caches["default"]["BACKEND"].endswith("LocMemCache"):
        caches["default"]["LOCATION"] = tag
    settings.CACHES = caches
    settings.SMS_BACKEND = "culturecloud.accounts.sms.OutboxSmsBackend"
    settings.MEDIA_ROOT = tmp_path / "media"
    sms.outbox.clear()
    before = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = before
    sms.outbox.clear()


def post_json(client: Client, url: str, data: dict[str, Any], **extra: Any):
    return client.post(url, json.dumps(data), content_type="application/json", **extra)


def assert_limited(response, retry_after: int | None = None) -> dict[str, Any]:
    assert response.status_code == 429, response.content[:300]
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["message"]
    assert int(response["Retry-After"]) > 0
    if retry_after is not None:
        assert int(response["Retry-After"]) == retry_after
    return body


def bearer(user: User) -> dict[str, Any]:
    _token, raw = issue_api_token(user=user, name="rate limits")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def png(name: str = "a.png") -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 40, 40)).save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = name
    return buffer


# --- log-in: code sending, code verification, password --------------------------------------


def test_code_sending_is_limited_per_number(db, settings):
    settings.OTP_RATE_PER_PHONE = (1, 60)
    client = Client()
    assert post_json(client, "/api/v1/auth/code", {"phone": "13800138001"}).status_code == 202
    again = post_json(client, "/api/v1/auth/code", {"phone": "+86 138-0013-8001"})
    assert_limited(again, retry_after=60)
    assert OneTimeCode.objects.count() == 1
    # The counter is in the shared cache, under the number's keyed digest (no number in it).
    digest = account_services.phone_digest("13800138001")
    assert cache.get(f"rl:otp:phone:{digest}") == 2


def test_code_sending_has_a_daily_cap_per_number(db, settings):
    settings.OTP_RATE_PER_PHONE = (100, 60)
    settings.OTP_RATE_PER_PHONE_DAY = (2, 86400)
    client = Client()
    for _ in range(2):
        assert post_json(client, "/api/v1/auth/code", {"phone": "13800138002"}).status_code == 202
    assert_limited(post_json(client, "/api/v1/auth/code", {"phone": "13800138002"}), 86400)


def test_code_sending_is_limited_per_ip(db, settings):
    settings.OTP_RATE_PER_IP = (2, 3600)
    client = Client()
    for n in range(2):
        response = post_json(
            client, "/api/v1/auth/code", {"phone": f"1380013810{n}"}, REMOTE_ADDR="198.51.100.7"
        )
        assert response.status_code == 202
    limited = post_json(
        client, "/api/v1/auth/code", {"phone": "13800138109"}, REMOTE_ADDR="198.51.100.7"
    )
    assert_limited(limited, 3600)
    other = post_json(
        client, "/api/v1/auth/code", {"phone": "13800138109"}, REMOTE_ADDR="198.51.100.8"
    )
    assert other.status_code == 202
    assert OneTimeCode.objects.count() == 3
    assert cache.get("rl:otp:ip:198.51.100.7") == 3


def test_the_login_page_sends_codes_under_the_same_limits(db, settings):
    settings.OTP_RATE_PER_PHONE = (1, 60)
    client = Client()
    url = reverse("accounts:send_code")
    assert client.post(url, {"phone": "13800138003"}).status_code == 200
    refused = client.post(url, {"phone": "13800138003"})
    # htmx swaps a 400 fragment in (accounts.views.send_code_view); the message says wait.
    assert refused.status_code == 400
    assert OneTimeCode.objects.count() == 1


def test_code_verification_is_limited_per_ip(db, settings):
    settings.LOGIN_RATE_PER_IP = (3, 300)
    client = Client()
    for n in range(3):
        response = post_json(
            client,
            "/api/v1/auth/verify",
            {"phone": f"1380013820{n}", "code": "000000", "issue_token": True},
            REMOTE_ADDR="198.51.100.9",
        )
        assert response.status_code == 400, response.content
    limited = post_json(
        client,
        "/api/v1/auth/verify",
        {"phone": "13800138209", "code": "000000", "issue_token": True},
        REMOTE_ADDR="198.51.100.9",
    )
    assert_limited(limited, 300)


def test_wrong_codes_lock_the_number_whatever_the_ip(
    db, settings, django_capture_on_commit_callbacks
):
    settings.OTP_RATE_PER_PHONE = (100, 60)
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        sent = post_json(client, "/api/v1/auth/code", {"phone": "13800138300"})
    assert sent.status_code == 202
    real = sms.outbox[-1].code
    wrong = "000000" if real != "000000" else "111111"
    for n in range(django_settings.OTP_MAX_ATTEMPTS):
        response = post_json(
            client,
            "/api/v1/auth/verify",
            {"phone": "13800138300", "code": wrong, "issue_token": True},
            REMOTE_ADDR=f"203.0.113.{n + 1}",
        )
        assert response.status_code in (400, 429)
    locked = post_json(
        client,
        "/api/v1/auth/verify",
        {"phone": "13800138300", "code": real, "issue_token": True},
        REMOTE_ADDR="203.0.113.200",
    )
    assert assert_limited(locked)["code"] == "otp_locked"
    assert not User.objects.filter(phone_digest=account_services.phone_digest("13800138300"))


def test_password_login_is_limited_per_account(db, monkeypatch):
    monkeypatch.setattr(account_services, "LOGIN_RATE_PER_ACCOUNT", (3, 900))
    create_user_with_phone(phone="13800138400", password=PASSWORD)
    client = Client()
    for n in range(3):
        response = post_json(
            client,
            "/api/v1/auth/password-login",
            {"identifier": "13800138400", "password": "wrong-1", "issue_token": True},
            REMOTE_ADDR=f"203.0.113.{n + 10}",
        )
        assert response.status_code == 400
    right = post_json(
        client,
        "/api/v1/auth/password-login",
        {"identifier": "13800138400", "password": PASSWORD, "issue_token": True},
        REMOTE_ADDR="203.0.113.99",
    )
    assert_limited(right, 900)
    assert right.json().get("token") is None


def test_password_login_is_limited_per_ip(db, settings):
    settings.LOGIN_RATE_PER_IP = (2, 300)
    client = Client()
    for name in ("someone", "someone-else"):
        response = post_json(
            client,
            "/api/v1/auth/password-login",
            {"identifier": name, "password": "guess", "issue_token": True},
            REMOTE_ADDR="198.51.100.20",
        )
        assert response.status_code == 400
    limited = post_json(
        client,
        "/api/v1/auth/password-login",
        {"identifier": "third", "password": "guess", "issue_token": True},
        REMOTE_ADDR="198.51.100.20",
    )
    assert_limited(limited, 300)
    # The log-in page shares the limit (same service, same counter).
    page = client.post(
        reverse("accounts:login"),
        {"method": "password", "identifier": "fourth", "password": "guess"},
        REMOTE_ADDR="198.51.100.20",
    )
    assert page.status_code == 429


# --- signed-in checks: real name, own password ----------------------------------------------


def test_real_name_attempts_are_limited_per_user(db, make_user, monkeypatch):
    """A refused ID number tells whether it is in use by another account: counted."""
    monkeypatch.setattr(account_services, "REALNAME_RATE_PER_USER", (2, 86400))
    account_services.verify_real_name(
        user=make_user(), name="张三", id_number=VALID_ID, consent=True
    )
    user = make_user()
    headers = bearer(user)
    client = Client()
    body = {"name": "李四", "id_number": VALID_ID, "consent": True}
    for _ in range(2):
        response = post_json(client, "/api/v1/auth/realname", body, **headers)
        assert response.status_code in (400, 409), response.content
    assert_limited(post_json(client, "/api/v1/auth/realname", body, **headers), 86400)


def test_checks_of_the_own_password_are_limited(db, monkeypatch):
    """A stolen session must not guess the password through 'change password' or 'delete
    account' (they had no limit)."""
    monkeypatch.setattr(account_services, "PASSWORD_CHECK_RATE_PER_USER", (3, 900))
    user = create_user_with_phone(phone="13800138500", password=PASSWORD)
    headers = bearer(user)
    client = Client()
    change = {"old_password": "guess", "new_password": "An0ther-Secret-9"}
    for _ in range(2):
        response = post_json(client, "/api/v1/auth/password", change, **headers)
        assert response.status_code == 400
        assert response.json()["code"] == "wrong_password"
    delete = {"confirm": True, "password": "guess"}
    assert post_json(client, "/api/v1/auth/delete", delete, **headers).status_code == 400
    right = {"old_password": PASSWORD, "new_password": "An0ther-Secret-9"}
    assert_limited(post_json(client, "/api/v1/auth/password", right, **headers), 900)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert user.is_active and user.erased_at is None


def test_a_user_without_a_password_sets_one_without_a_check(db, monkeypatch):
    monkeypatch.setattr(account_services, "PASSWORD_CHECK_RATE_PER_USER", (1, 900))
    user = create_user_with_phone(phone="13800138501")
    headers = bearer(user)
    response = post_json(
        Client(), "/api/v1/auth/password", {"new_password": "An0ther-Secret-9"}, **headers
    )
    assert response.status_code == 200
    assert cache.get(f"rl:password-check:{user.pk}") is None


# --- expensive: avatar, data export, uploads, logo, search ----------------------------------


def test_avatar_uploads_are_limited_per_user(db, make_user, monkeypatch):
    monkeypatch.setattr(account_services, "AVATAR_RATE_PER_USER", (2, 3600))
    user = make_user()
    headers = bearer(user)
    client = Client()
    for _ in range(2):
        response = client.post("/api/v1/auth/me/avatar", {"avatar": png()}, **headers)
        assert response.status_code == 200, response.content
    assert_limited(client.post("/api/v1/auth/me/avatar", {"avatar": png()}, **headers), 3600)


def test_data_exports_are_limited_per_user(db, make_user, monkeypatch):
    monkeypatch.setattr(account_services, "EXPORT_RATE_PER_USER", (2, 3600))
    user = make_user()
    headers = bearer(user)
    client = Client()
    for _ in range(2):
        assert client.get("/api/v1/auth/export", **headers).status_code == 200
    assert_limited(client.get("/api/v1/auth/export", **headers), 3600)
    # The page shares the counter and says so on the account page.
    page_client = Client()
    page_client.force_login(user)
    page = page_client.get(reverse("accounts:export"), follow=True)
    assert page.redirect_chain[-1][0] == reverse("accounts:me")
    assert page.status_code == 200
    messages = [str(m) for m in page.context["messages"]]
    assert messages and "application/json" not in page["Content-Type"]


def test_member_lookup_by_phone_is_limited_per_staff_member(tree, make_user, monkeypatch):
    """Adding a member by mobile number tells whether the number is registered: the
    lookups are counted per member of staff, found or not (API and workbench form)."""
    monkeypatch.setattr(institution_services, "MEMBER_LOOKUP_RATE", (3, 3600))
    admin = make_user(role=Role.ADMIN, institution=tree.county)
    create_user_with_phone(phone="13800138600", nickname="已注册")
    headers = bearer(admin)
    client = Client()
    url = f"/api/v1/institutions/{tree.county.code}/members"
    unknown = post_json(client, url, {"role": Role.EDITOR, "phone": "13800138699"}, **headers)
    assert unknown.status_code == 404
    known = post_json(client, url, {"role": Role.EDITOR, "phone": "13800138600"}, **headers)
    assert known.status_code == 201
    page = Client()
    page.force_login(admin)
    form_url = f"{reverse('workbench:members')}?institution={tree.county.code}"
    assert page.post(form_url, {"phone": "13800138698", "role": Role.EDITOR}).status_code == 400
    members_before = Membership.objects.count()
    limited = post_json(client, url, {"role": Role.REVIEWER, "phone": "13800138600"}, **headers)
    assert_limited(limited, 3600)
    refused = page.post(form_url, {"phone": "13800138600", "role": Role.REVIEWER})
    assert refused.status_code == 400
    assert refused.context["form"].errors
    assert Membership.objects.count() == members_before
    # Adding by account number reveals nothing and is not counted.
    by_id = post_json(client, url, {"role": Role.OPERATOR, "user_id": make_user().pk}, **headers)
    assert by_id.status_code == 201


def test_institution_logo_uploads_are_limited_per_actor(tree, make_user, monkeypatch):
    monkeypatch.setattr(institution_services, "LOGO_UPLOAD_RATE", (2, 3600))
    admin = make_user(role=Role.ADMIN, institution=tree.county)
    headers = bearer(admin)
    client = Client()
    url = f"/api/v1/institutions/{tree.county.code}/logo"
    for _ in range(2):
        assert client.post(url, {"logo": png()}, **headers).status_code == 200
    entries = AuditEntry.objects.count()
    assert_limited(client.post(url, {"logo": png()}, **headers), 3600)
    assert AuditEntry.objects.count() == entries
    # Removing the logo is not an upload.
    assert client.delete(url, **headers).status_code == 200


def test_media_uploads_are_limited_per_user(tree, make_user, settings):
    settings.MEDIA_UPLOAD_RATE = (2, 3600)
    editor = make_user(role=Role.EDITOR, institution=tree.county)
    headers = bearer(editor)
    client = Client()
    direct = {"institution": tree.county.code}
    assert (
        client.post("/api/v1/media/assets", {**direct, "file": png()}, **headers).status_code == 201
    )
    session = post_json(
        client,
        "/api/v1/media/sessions",
        {"institution": tree.county.code, "filename": "b.png", "size": 100},
        **headers,
    )
    assert session.status_code == 201, session.content
    limited = client.post("/api/v1/media/assets", {**direct, "file": png()}, **headers)
    assert_limited(limited, 3600)
    assert_limited(
        post_json(
            client,
            "/api/v1/media/sessions",
            {"institution": tree.county.code, "filename": "c.png", "size": 100},
            **headers,
        ),
        3600,
    )
    assert MediaAsset.objects.count() == 1
    assert UploadSession.objects.count() == 1
    # Another member of staff has a budget of their own.
    other = bearer(make_user(role=Role.EDITOR, institution=tree.county))
    assert (
        client.post("/api/v1/media/assets", {**direct, "file": png()}, **other).status_code == 201
    )


def test_search_is_limited_per_ip(db, settings):
    settings.SEARCH_RATE_PER_IP = (3, 60)
    client = Client()
    for _ in range(3):
        response = client.get("/api/v1/search", {"q": "古琴"}, REMOTE_ADDR="198.51.100.30")
        assert response.status_code == 200
    limited = client.get("/api/v1/search", {"q": "古琴"}, REMOTE_ADDR="198.51.100.30")
    assert_limited(limited, 60)
    assert "public" not in limited.get("Cache-Control", "")
    # The search page and the library's search share the counter; a 429 is never cached.
    page = client.get(reverse("search:page"), {"q": "古琴"}, REMOTE_ADDR="198.51.100.30")
    assert page.status_code == 429
    assert page["Cache-Control"] == "private, no-store"
    library = client.get("/api/v1/resources/search", {"q": "古琴"}, REMOTE_ADDR="198.51.100.30")
    assert library.status_code == 429
    # Another client is not affected.
    assert (
        client.get("/api/v1/search", {"q": "古琴"}, REMOTE_ADDR="198.51.100.31").status_code == 200
    )


# --- shared across processes -------------------------------------------------------------------


@pytest.mark.postgres
def test_limits_are_shared_between_processes_through_redis(db, settings, tmp_path):
    """Two app processes on one Redis: the hits of one count against the other's limit."""
    redis_url = os.environ.get("REDIS_URL", "")
    assert redis_url.startswith("redis://"), "this test needs REDIS_URL (CI's Redis pass)"
    prefix = f"rl-shared-{uuid.uuid4().hex[:10]}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": prefix,
        }
    }
    settings.OTP_RATE_PER_IP = (3, 3600)
    code = (
        "import django; django.setup(); from culturecloud.core import ratelimit; "
        "print([ratelimit.hit('otp:ip:192.0.2.44', 3, 3600) for _ in range(3)])"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env.update(
        REDIS_URL=redis_url,
        CACHE_KEY_PREFIX=prefix,
        DJANGO_SETTINGS_MODULE="culturecloud.settings",
        CULTURECLOUD_VAR_DIR=str(tmp_path / "var"),
    )
    child = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=str(Path(django_settings.BASE_DIR)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip().splitlines()[-1] == "[True, True, True]"
    # This process has made no request from that address, yet its budget is spent.
    response = post_json(
        Client(), "/api/v1/auth/code", {"phone": "13800138700"}, REMOTE_ADDR="192.0.2.44"
    )
    assert_limited(response, 3600)
    assert not OneTimeCode.objects.exists()
