"""Regressions found by the API fuzzer (fuzz/run.py).

`ProfileIn` and `RegionOut` had namesakes in institutions.schemas; Ninja files OpenAPI
components by class name, so PATCH /api/v1/auth/me was documented with the institution
profile's body (address, website, ...) and GET /api/v1/institutions/regions with the
account's {code, name}. The account's classes are `MyProfileIn` and `RegionRef` now.
"""

from __future__ import annotations

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
