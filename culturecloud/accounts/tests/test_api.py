import io
import json

import pytest
from django.test import Client
from PIL import Image

from culturecloud.accounts import services
from culturecloud.accounts.models import ApiToken, OneTimeCode, RealNameVerification, User

from .conftest import OTHER_PHONE, PHONE, VALID_ID, wrong

API = "/api/v1/auth"


def post(client, path, body=None, **extra):
    return client.post(
        f"{API}{path}", json.dumps(body or {}), content_type="application/json", **extra
    )


def assert_error(response, status, code, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == code
    assert body["message"]
    if field:
        assert field in body["fields"], body


@pytest.fixture
def api_code(client, django_capture_on_commit_callbacks, outbox):
    def request(phone=PHONE):
        with django_capture_on_commit_callbacks(execute=True):
            response = post(client, "/code", {"phone": phone})
        assert response.status_code == 202, response.content
        return outbox[-1].code

    return request


@pytest.fixture
def token_client(citizen):
    _token, raw = services.issue_api_token(user=citizen, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_request_code_then_sign_up_with_a_session(db, client, api_code):
    code = api_code()
    response = post(client, "/verify", {"phone": PHONE, "code": code, "accept_terms": True})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["created"] is True
    assert body["token"] is None
    assert body["user"]["phone_masked"] == "138****5678"
    assert PHONE not in response.content.decode()
    me = client.get(f"{API}/me")
    assert me.status_code == 200
    assert me.json()["id"] == body["user"]["id"]


def test_verify_can_issue_a_bearer_token_for_apps(citizen, client, api_code):
    code = api_code()
    response = post(
        client, "/verify", {"phone": PHONE, "code": code, "issue_token": True, "token_name": "ios"}
    )
    token = response.json()["token"]
    assert token.startswith("cc_")
    assert "sessionid" not in response.cookies
    app = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert app.get(f"{API}/me").json()["id"] == citizen.pk
    assert ApiToken.objects.get(user=citizen).name == "ios"
    # Log out with the token revokes it.
    assert post(app, "/logout").status_code == 200
    assert_error(app.get(f"{API}/me"), 401, "not_authenticated")


def test_session_login_via_api_checks_csrf(citizen, api_code):
    code = api_code()
    strict = Client(enforce_csrf_checks=True)
    response = post(strict, "/verify", {"phone": PHONE, "code": code})
    assert_error(response, 403, "csrf_failed")


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"phone": "12345"}, 400, "invalid_phone", "phone"),
        ({"phone": "+1 415 555 0100"}, 400, "invalid_phone", "phone"),
        ({"phone": "1" * 33}, 422, "validation_error", "phone"),
        ({"phone": 13812345678}, 422, "validation_error", "phone"),
        ({}, 422, "validation_error", "phone"),
        ({"phone": ["13812345678"]}, 422, "validation_error", "phone"),
    ],
)
def test_request_code_bad_input(db, client, body, status, code, field):
    assert_error(post(client, "/code", body), status, code, field)
    assert not OneTimeCode.objects.exists()


def test_request_code_rate_limited_answer_has_retry_after(db, client, api_code):
    api_code()
    response = post(client, "/code", {"phone": PHONE})
    assert_error(response, 429, "rate_limited")
    assert response["Retry-After"] == "60"


def test_wrong_codes_then_lockout_over_the_api(citizen, client, api_code, settings):
    code = api_code()
    for _ in range(settings.OTP_MAX_ATTEMPTS - 1):
        assert_error(
            post(client, "/verify", {"phone": PHONE, "code": wrong(code)}),
            400,
            "invalid_code",
            "code",
        )
    response = post(client, "/verify", {"phone": PHONE, "code": wrong(code)})
    assert_error(response, 429, "otp_locked")
    assert int(response["Retry-After"]) > 0
    assert_error(post(client, "/verify", {"phone": PHONE, "code": code}), 429, "otp_locked")
    assert_error(post(client, "/code", {"phone": PHONE}), 429, "otp_locked")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"phone": PHONE, "code": "12"}, 400, "invalid_code"),
        ({"phone": PHONE, "code": "1234567890123"}, 422, "validation_error"),
        ({"phone": PHONE}, 422, "validation_error"),
        ({"phone": "bad", "code": "123456"}, 400, "invalid_phone"),
        ({"phone": PHONE, "code": "123456"}, 400, "no_code"),
        ({"phone": PHONE, "code": "123456", "accept_terms": "maybe"}, 422, "validation_error"),
    ],
)
def test_verify_bad_input(db, client, body, status, code):
    assert_error(post(client, "/verify", body), status, code)
    assert not User.objects.exists()


def test_new_number_without_consent_gets_a_field_error(db, client, api_code):
    code = api_code()
    assert_error(
        post(client, "/verify", {"phone": PHONE, "code": code}),
        400,
        "consent_required",
        "accept_terms",
    )
    assert not User.objects.exists()


def test_malformed_and_oversized_bodies_are_4xx(db, client):
    response = client.post(f"{API}/code", "{not json", content_type="application/json")
    assert 400 <= response.status_code < 500
    response = client.post(f"{API}/code", b"\xff\xfe\x00", content_type="application/json")
    assert 400 <= response.status_code < 500
    big = json.dumps({"phone": PHONE, "pad": "x" * (3 * 1024 * 1024)})
    response = client.post(f"{API}/code", big, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert not OneTimeCode.objects.exists()


def test_password_login_over_the_api(db, client):
    services.create_user_with_phone(phone=PHONE, password="Lantern-Festival-2026")
    assert_error(
        post(client, "/password-login", {"identifier": PHONE, "password": "nope"}),
        400,
        "invalid_credentials",
    )
    response = post(
        client, "/password-login", {"identifier": PHONE, "password": "Lantern-Festival-2026"}
    )
    assert response.status_code == 200
    assert client.get(f"{API}/me").status_code == 200
    assert post(client, "/logout").status_code == 200
    assert_error(client.get(f"{API}/me"), 401, "not_authenticated")


def test_me_needs_authentication(db, client):
    assert_error(client.get(f"{API}/me"), 401, "not_authenticated")
    assert_error(post(client, "/realname", {}), 401, "not_authenticated")


def test_get_me_query_count(token_client, citizen, regions, django_assert_max_num_queries):
    services.update_profile(user=citizen, region_code="440117")
    services.verify_real_name(user=citizen, name="张三", id_number=VALID_ID, consent=True)
    with django_assert_max_num_queries(4):
        response = token_client.get(f"{API}/me")
    body = response.json()
    assert body["region"] == {"code": "440117", "name": "从化区"}
    assert body["real_name_verified"] is True
    assert response["Cache-Control"] == "private, no-store"


def test_patch_me_updates_profile_and_refuses_bad_values(token_client, regions):
    response = token_client.patch(
        f"{API}/me",
        json.dumps(
            {"nickname": "小红", "region": "440117", "interests": ["dance", "dance", "crafts"]}
        ),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["interests"] == ["dance", "crafts"]
    for body, field in [
        ({"region": "999999"}, "region"),
        ({"interests": ["gambling"]}, "interests"),
        ({"nickname": "a\x00b"}, "nickname"),
        ({"nickname": "x" * 41}, "nickname"),
        ({"interests": "music"}, "interests"),
    ]:
        response = token_client.patch(
            f"{API}/me", json.dumps(body), content_type="application/json"
        )
        assert 400 <= response.status_code < 500, body
        assert field in response.json()["fields"], response.json()


def test_avatar_upload_is_checked_by_content(token_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    fake = io.BytesIO(b"<?php system($_GET['c']); ?>")
    fake.name = "avatar.png"
    assert_error(
        token_client.post(f"{API}/me/avatar", {"avatar": fake}), 400, "invalid_image", "avatar"
    )
    settings.MAX_IMAGE_UPLOAD_BYTES = 1000
    big = io.BytesIO()
    Image.effect_noise((200, 200), 100).convert("RGB").save(big, format="PNG")
    big.seek(0)
    big.name = "big.png"
    assert_error(
        token_client.post(f"{API}/me/avatar", {"avatar": big}), 400, "image_too_large", "avatar"
    )
    settings.MAX_IMAGE_UPLOAD_BYTES = 5 * 1024 * 1024
    good = io.BytesIO()
    Image.new("RGB", (1200, 800), "red").save(good, format="JPEG")
    good.seek(0)
    good.name = "photo.jpg"
    response = token_client.post(f"{API}/me/avatar", {"avatar": good})
    assert response.status_code == 200, response.content
    stored = Image.open(tmp_path / response.json()["avatar_url"].removeprefix("/media/"))
    assert max(stored.size) == 512  # re-encoded and bounded


def test_realname_over_the_api(token_client, citizen):
    assert token_client.get(f"{API}/realname").json() == {
        "verified": False,
        "name": None,
        "id_number": None,
        "verified_at": None,
    }
    bad = post(
        token_client,
        "/realname",
        {"name": "张三", "id_number": "110105194912310021", "consent": True},
    )
    assert_error(bad, 400, "invalid_real_name", "id_number")
    no_consent = post(token_client, "/realname", {"name": "张三", "id_number": VALID_ID})
    assert_error(no_consent, 400, "invalid_real_name", "consent")
    ok = post(token_client, "/realname", {"name": "张三", "id_number": VALID_ID, "consent": True})
    assert ok.status_code == 201
    assert ok.json()["id_number"] == "1101**********002X"
    assert VALID_ID not in ok.content.decode()
    other = services.create_user_with_phone(phone=OTHER_PHONE)
    _t, raw = services.issue_api_token(user=other, name="t")
    dup = post(
        Client(HTTP_AUTHORIZATION=f"Bearer {raw}"),
        "/realname",
        {"name": "张三", "id_number": VALID_ID, "consent": True},
    )
    assert_error(dup, 409, "id_number_taken", "id_number")
    assert RealNameVerification.objects.count() == 1


def test_tokens_list_create_revoke(token_client, citizen):
    created = post(token_client, "/tokens", {"name": "wechat", "expires_in_days": 30})
    assert created.status_code == 201
    body = created.json()
    assert body["token"].startswith(body["prefix"])
    listing = token_client.get(f"{API}/tokens").json()
    assert listing["count"] == 2
    assert all("token" not in item for item in listing["items"])
    revoked = token_client.delete(f"{API}/tokens/{body['id']}")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert_error(
        Client(HTTP_AUTHORIZATION=f"Bearer {body['token']}").get(f"{API}/me"),
        401,
        "not_authenticated",
    )
    assert_error(token_client.delete(f"{API}/tokens/999999"), 404, "token_not_found")
    assert_error(post(token_client, "/tokens", {"name": ""}), 400, "invalid_name", "name")
    assert_error(
        post(token_client, "/tokens", {"name": "x", "expires_in_days": 0}), 422, "validation_error"
    )


def test_someone_elses_token_cannot_be_revoked(token_client, db):
    other = services.create_user_with_phone(phone=OTHER_PHONE)
    token, _raw = services.issue_api_token(user=other, name="theirs")
    assert_error(token_client.delete(f"{API}/tokens/{token.pk}"), 404, "token_not_found")
    token.refresh_from_db()
    assert token.revoked_at is None


def test_points_endpoint_lists_my_ledger(token_client, citizen, django_assert_max_num_queries):
    for i in range(5):
        services.award_points(user=citizen, delta=i + 1, reason="attendance", reference=f"t:{i}")
    with django_assert_max_num_queries(4):
        body = token_client.get(f"{API}/points?page_size=3").json()
    assert body["count"] == 5
    assert [e["balance_after"] for e in body["items"]] == [15, 10, 6]


def test_change_password_over_the_api(token_client, citizen):
    assert_error(
        post(token_client, "/password", {"new_password": "123"}),
        400,
        "weak_password",
        "new_password",
    )
    assert (
        post(token_client, "/password", {"new_password": "Lantern-Festival-2026"}).status_code
        == 200
    )
    assert_error(
        post(
            token_client, "/password", {"new_password": "Other-Secret-2026", "old_password": "bad"}
        ),
        400,
        "wrong_password",
        "old_password",
    )


def test_export_and_delete_over_the_api(token_client, citizen):
    response = token_client.get(f"{API}/export")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert json.loads(response.content)["account"]["mobile_number"] == PHONE
    assert_error(post(token_client, "/delete", {}), 400, "confirmation_required", "confirm")
    assert post(token_client, "/delete", {"confirm": True}).status_code == 200
    citizen.refresh_from_db()
    assert citizen.erased_at is not None
    assert_error(token_client.get(f"{API}/me"), 401, "not_authenticated")  # tokens gone


def test_account_kind_can_be_chosen(token_client):
    assert_error(post(token_client, "/me/kind", {"kind": "staff"}), 400, "invalid_kind", "kind")
    assert_error(post(token_client, "/me/kind", {"kind": "supplier"}), 400, "organisation_required")
    response = post(
        token_client, "/me/kind", {"kind": "supplier", "organisation_name": "某某文化传播有限公司"}
    )
    assert response.json()["kind"] == "supplier"
    assert response.json()["organisation_name"] == "某某文化传播有限公司"


def test_realname_withdraw_over_the_api(token_client, citizen):
    assert_error(post(token_client, "/realname/withdraw"), 404, "no_consent")
    services.verify_real_name(user=citizen, name="张三", id_number=VALID_ID, consent=True)
    assert post(token_client, "/realname/withdraw").status_code == 200
    assert token_client.get(f"{API}/realname").json()["verified"] is False
