"""Regressions found by the API fuzzer (fuzz/run.py), each fixed at its cause in api.py.

- A multipart request whose Content-Type has no boundary (or a body Django refuses to
  read) escaped Ninja's handlers: a 500 with DEBUG on, Django's HTML 400 page with it off,
  never the API's error shape.
- 4xx answers were not in the OpenAPI document, so clients (and the fuzzer) could not
  check them against the one error shape.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from culturecloud.accounts.services import issue_api_token
from culturecloud.api import api
from culturecloud.core.pagination import MAX_PAGE
from culturecloud.institutions.models import Role

ERROR_KEYS = {"code", "message", "fields"}


def bearer(user) -> dict[str, Any]:
    _token, raw = issue_api_token(user=user, name="fuzz regression")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.mark.parametrize(
    "url",
    ["/api/v1/auth/me/avatar", "/api/v1/institutions/gd-gz-ch/logo"],
)
@pytest.mark.parametrize("debug", [False, True])
def test_multipart_without_boundary_is_a_400_in_the_error_shape(
    url, debug, tree, make_user, settings
):
    settings.DEBUG = debug  # with DEBUG on, Ninja answered 500 with a traceback
    admin = make_user(role=Role.ADMIN, institution=tree.county)
    response = Client().generic(
        "POST", url, b"--x\r\n", content_type="multipart/form-data", **bearer(admin)
    )
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["code"] == "bad_request"


def test_a_body_over_the_upload_limit_is_a_413_in_the_error_shape(db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    payload = json.dumps({"identifier": "x" * 4096, "password": "y"})
    response = Client().post(
        "/api/v1/auth/password-login", payload, content_type="application/json"
    )
    assert response.status_code == 413
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["code"] == "too_large"


def test_every_operation_documents_the_error_shape_for_4xx(db):
    schema = Client().get("/api/v1/openapi.json").json()
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == ERROR_KEYS
    operations = [
        (method, path, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]
    assert len(operations) >= 40
    for method, path, operation in operations:
        documented = operation["responses"].get("4XX")
        assert documented, f"{method.upper()} {path} does not document its 4xx answers"
        ref = documented["content"]["application/json"]["schema"]["$ref"]
        assert ref == "#/components/schemas/Error"
    # And the document served is the one the api object builds.
    assert schema["paths"].keys() == api.get_openapi_schema()["paths"].keys()


# --- pagination: a page number past the database's integer range was a 500 ---------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/auth/tokens",
        "/api/v1/auth/points",
        "/api/v1/review/queue",
        "/api/v1/audit",
        "/api/v1/institutions",
        "/api/v1/institutions/staff/articles",
    ],
)
def test_a_huge_page_number_is_a_422_not_a_500(url, tree, make_user):
    admin = make_user(role=Role.ADMIN, institution=tree.national)
    client = Client()
    for page in ("145322828109099846074368", str(2**63), str(MAX_PAGE + 1)):
        response = client.get(url, {"page": page}, **bearer(admin))
        assert response.status_code == 422, (page, response.content[:300])
        body = response.json()
        assert set(body) == ERROR_KEYS
        assert "page" in body["fields"]
    # The last allowed page past the end is an empty page, as before.
    response = client.get(url, {"page": MAX_PAGE}, **bearer(admin))
    assert response.status_code == 200
    assert response.json()["items"] == []


def test_page_size_is_still_cut_to_the_maximum(tree, make_user, settings):
    admin = make_user(role=Role.ADMIN, institution=tree.national)
    response = Client().get("/api/v1/institutions", {"page_size": 10**12}, **bearer(admin))
    assert response.status_code == 200
    assert response.json()["count"] == 8


# --- OpenAPI components: two schema classes of one name overwrote each other ------------


def api_models() -> list[Any]:
    """Every pydantic model an operation of the API takes or answers with."""
    models: list[Any] = []
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                models.extend(m for m in operation.response_models.values() if isinstance(m, type))
                models.extend(operation.models)
    return models


def test_no_two_schemas_of_the_api_share_a_component_name(db):
    """Ninja files each schema under its class name in components/schemas; a second class
    of the same name silently replaced the first (search's hit institution {id, name}
    replaced the {code, name} reference of the review queue, the audit log and the
    institution detail), so those answers broke their documented schema."""
    seen: dict[str, str] = {}
    clashes: set[str] = set()
    for model in api_models():
        definitions = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in definitions.get("$defs", {}).items():
            shape = json.dumps(definition, sort_keys=True)
            if seen.setdefault(name, shape) != shape:
                fields = sorted(definition.get("properties", {}))
                first = sorted(json.loads(seen[name]).get("properties", {}))
                clashes.add(f"{name}: {first} vs {fields}")
    assert len(seen) > 20
    assert not clashes, sorted(clashes)


def test_the_review_queue_institution_is_documented_as_code_and_name(db):
    schema = Client().get("/api/v1/openapi.json").json()
    ref = schema["components"]["schemas"]["InstitutionRef"]
    assert set(ref["required"]) == {"code", "name"}
