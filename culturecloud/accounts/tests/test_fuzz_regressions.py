"""Regressions found by the API fuzzer (fuzz/run.py).

`ProfileIn` and `RegionOut` had namesakes in institutions.schemas; Ninja files OpenAPI
components by class name, so PATCH /api/v1/auth/me was documented with the institution
profile's body (address, website, ...) and GET /api/v1/institutions/regions with the
account's {code, name}. The account's classes are `MyProfileIn` and `RegionRef` now.
"""

from __future__ import annotations

import pytest
from django.test import Client


def _body_schema(schema: dict, path: str, method: str) -> dict:
    content = schema["paths"][path][method]["requestBody"]["content"]["application/json"]
    name = content["schema"]["$ref"].rsplit("/", 1)[-1]
    return schema["components"]["schemas"][name]


def test_my_profile_body_is_documented_as_the_account_profile(db):
    schema = Client().get("/api/v1/openapi.json").json()
    mine = _body_schema(schema, "/api/v1/auth/me", "patch")
    assert set(mine["properties"]) == {"nickname", "region", "interests", "organisation_name"}
    institution = _body_schema(schema, "/api/v1/institutions/{code}", "patch")
    assert "website" in institution["properties"]
    assert "nickname" not in institution["properties"]


def test_regions_are_documented_with_level_and_parent(db):
    schema = Client().get("/api/v1/openapi.json").json()
    components = schema["components"]["schemas"]
    assert set(components["RegionOut"]["required"]) >= {"code", "name", "level", "parent_code"}
    assert set(components["RegionRef"]["required"]) == {"code", "name"}


# --- an unsafe call without a session was refused as a CSRF failure --------------------------
# The anonymous fuzz pass saw 403 "CSRF check Failed" (untranslated, code http_error) for
# every unsafe operation called without credentials, and so did an app whose bearer token had
# expired: the session auth checked CSRF before looking for a session.


@pytest.mark.parametrize(
    "headers",
    [{}, {"HTTP_AUTHORIZATION": "Bearer cc_expired-or-made-up-token"}],
    ids=["no credentials", "unknown bearer token"],
)
def test_an_unsafe_call_without_a_session_is_401(db, headers):
    client = Client(enforce_csrf_checks=True)
    for method, url in (("post", "/api/v1/auth/logout"), ("patch", "/api/v1/auth/me")):
        response = getattr(client, method)(url, "{}", content_type="application/json", **headers)
        assert response.status_code == 401, response.content
        assert response.json()["code"] == "not_authenticated"


def test_a_session_call_without_the_csrf_token_is_403_csrf_failed(db, django_user_model):
    user = django_user_model.objects.create_user(username="csrf-user", password="pw-Secret-123")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.patch("/api/v1/auth/me", '{"nickname": "x"}', content_type="application/json")
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "csrf_failed"
    assert body["message"] == "CSRF check failed. Please reload the page."
    user.refresh_from_db()
    assert user.nickname == ""
