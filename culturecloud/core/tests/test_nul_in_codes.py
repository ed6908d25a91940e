"""An institution code from a request with a NUL character in it is an unknown institution,
never the PostgreSQL error a lookup with it raises (a 500): every lookup by a code from
outside goes through institutions.services.with_code."""

import pytest

pytestmark = pytest.mark.django_db

CODE = "gd\x00gz"


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/v1/media/assets", 404, "not_found"),
        ("/api/v1/review/queue", 400, "unknown_institution"),
        ("/api/v1/audit", 400, "unknown_institution"),
        ("/api/v1/resources/staff", 404, "unknown_institution"),
    ],
)
def test_api_filters(client, make_user, path, status, code):
    client.force_login(make_user(is_superuser=True))
    response = client.get(path, {"institution": CODE})
    assert response.status_code == status
    assert response.json()["code"] == code


def test_pages_and_paths(client, make_user, tree):
    client.force_login(make_user(is_superuser=True))
    assert client.get("/uploads/", {"institution": CODE}).status_code == 403  # not in scope
    assert client.get("/api/v1/institutions/gd%00gz").status_code == 404
    assert client.get("/institutions/gd%00gz/").status_code == 404
