"""/healthz reports each dependency for real: a broken cache or broker gives a 503."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from culturecloud.celery import app as celery_app

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def unreachable_broker(settings) -> Iterator[None]:
    settings.CELERY_TASK_ALWAYS_EAGER = False
    before = celery_app.conf.broker_url
    celery_app.conf.update(broker_url=UNREACHABLE_REDIS)
    try:
        yield
    finally:
        celery_app.conf.update(broker_url=before)


def test_unreachable_cache_makes_healthz_fail(client, db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": UNREACHABLE_REDIS,
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["cache"]["ok"] is False
    assert body["checks"]["cache"]["error"]
    assert response["Cache-Control"].startswith("max-age=0")


def test_unreachable_broker_makes_healthz_fail(client, db, unreachable_broker):
    response = client.get("/healthz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"]["ok"] is False
    assert "mode" not in checks["broker"]
    assert checks["database"]["ok"] is True


def test_eager_mode_has_no_broker_to_check(client, db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    checks = client.get("/healthz").json()["checks"]
    assert checks["broker"] == {"ok": True, "ms": checks["broker"]["ms"], "mode": "eager"}


def test_healthz_is_exempt_from_the_https_redirect(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    assert client.get("/healthz").status_code in (200, 503)
    redirected = client.get("/api/v1/openapi.json")
    assert redirected.status_code == 301
    assert redirected["Location"].startswith("https://")
