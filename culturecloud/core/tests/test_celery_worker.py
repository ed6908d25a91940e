"""A real Celery worker on Redis sees a real task through.

Starts `celery -A culturecloud worker` as a subprocess on the test database (PostgreSQL)
and the Redis broker, asks for a one-time code the way the log-in page does
(`accounts.services.request_code`, which queues `accounts.tasks.send_one_time_code` after
commit) and waits until the worker has sent the SMS. Needs PostgreSQL and Redis: it fails,
never skips, without them.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from culturecloud.accounts import services
from culturecloud.accounts.models import OneTimeCode
from culturecloud.core.tests.sms_probe import delivered

WAIT_SECONDS = 60


def _database_url() -> str:
    db = connection.settings_dict
    user = quote(db.get("USER") or "")
    password = quote(db.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or "5432"
    return f"postgres://{auth}{host}:{port}/{db['NAME']}"


def _worker_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CELERY_TASK_ALWAYS_EAGER"}
    env.update(
        DJANGO_SETTINGS_MODULE="culturecloud.settings",
        DATABASE_URL=_database_url(),
        REDIS_URL=settings.REDIS_URL,
        SECRET_KEY=settings.SECRET_KEY,
        FIELD_ENCRYPTION_KEY=settings.FIELD_ENCRYPTION_KEY,
        SMS_BACKEND="culturecloud.core.tests.sms_probe.CacheProbeSmsBackend",
        CACHE_KEY_PREFIX=settings.CACHES["default"].get("KEY_PREFIX", ""),
    )
    return env


@pytest.mark.postgres
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_sends_the_one_time_code(tmp_path: Path):
    assert connection.vendor == "postgresql", "needs DATABASE_URL=postgres://..."
    assert settings.REDIS_URL, "needs REDIS_URL=redis://..."
    assert not settings.CELERY_TASK_ALWAYS_EAGER
    cache.set("celery-worker-test:ping", "pong", 10)
    assert cache.get("celery-worker-test:ping") == "pong", "Redis is not reachable"

    phone = f"139{secrets.randbelow(10**8):08d}"  # a fresh number: no rate limit carries over
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "culturecloud",
                "worker",
                "--loglevel=INFO",
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--hostname",
                f"test-{secrets.token_hex(4)}@%h",
            ],
            cwd=settings.BASE_DIR,
            env=_worker_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            row = services.request_code(phone=phone)  # commits; queues the task on Redis
            deadline = time.monotonic() + WAIT_SECONDS
            message = delivered(phone)
            while message is None and time.monotonic() < deadline:
                assert worker.poll() is None, "the worker died:\n" + log_path.read_text()
                time.sleep(0.2)
                message = delivered(phone)
            assert message is not None, (
                f"no SMS within {WAIT_SECONDS} s; worker log:\n" + log_path.read_text()
            )
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=10)

    # Sent by the worker process, not in-process.
    assert message["pid"] == worker.pid
    assert message["purpose"] == row.purpose
    assert "send_one_time_code" in log_path.read_text()
    # The worker recorded the delivery in the database and dropped the encrypted payload.
    row = OneTimeCode.objects.get(pk=row.pk)
    assert row.sent_at is not None
    assert row.payload_encrypted == ""
    # The code that reached the phone is the one the service accepts.
    user, created = services.verify_code(phone=phone, code=message["code"], accept_terms=True)
    assert created
    assert user.phone_masked == f"{phone[:3]}****{phone[-4:]}"
