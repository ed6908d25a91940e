"""/healthz: database, cache and broker, each checked for real; 503 if any fails."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_cache() -> None:
    key = "healthz:probe"
    cache.set(key, "ok", 10)
    if cache.get(key) != "ok":
        raise RuntimeError("cache did not return the value written")


def _check_broker() -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return  # embedded default: tasks run in-process, there is no broker to reach
    from culturecloud.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, dict[str, object]] = {}
    healthy = True
    for name, check in (
        ("database", _check_database),
        ("cache", _check_cache),
        ("broker", _check_broker),
    ):
        started = time.perf_counter()
        try:
            check()
            checks[name] = {"ok": True}
        except Exception as exc:  # a health check reports every failure, never raises
            healthy = False
            checks[name] = {"ok": False, "error": type(exc).__name__}
        checks[name]["ms"] = round((time.perf_counter() - started) * 1000, 2)
    if settings.CELERY_TASK_ALWAYS_EAGER:
        checks["broker"]["mode"] = "eager"
    return JsonResponse(
        {"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503
    )
