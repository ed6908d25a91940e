"""Settings as the environment makes them: production checks and the Celery modes.

Each case runs a fresh interpreter with a controlled environment, because settings
are read once per process.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

MANAGE = str(Path(settings.BASE_DIR) / "manage.py")

# Variables of the surrounding run that would leak into the child's settings.
_SCRUB = (
    "DATABASE_URL",
    "DATABASE_REPLICA_URL",
    "REDIS_URL",
    "CELERY_TASK_ALWAYS_EAGER",
    "CULTURECLOUD_TESTING",
    "DEBUG",
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEY",
    "ALLOWED_HOSTS",
    "AWS_STORAGE_BUCKET_NAME",
    "TRUST_X_FORWARDED_FOR",
    "DJANGO_SETTINGS_MODULE",
)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    env["CULTURECLOUD_VAR_DIR"] = str(tmp_path / "var")
    env.update(extra)
    return env


def _production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return _env(
        tmp_path,
        DEBUG="0",
        SECRET_KEY="test-" + base64.b64encode(os.urandom(48)).decode(),
        FIELD_ENCRYPTION_KEY=base64.b64encode(os.urandom(32)).decode(),
        ALLOWED_HOSTS="culturecloud.example",
        **extra,
    )


def _settings_json(env: dict[str, str], *names: str) -> dict:
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"names = {list(names)!r}; "
        "print(json.dumps({n: getattr(settings, n, None) for n in names}, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "culturecloud.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_check_deploy_reports_nothing_with_production_settings(tmp_path):
    result = subprocess.run(
        [sys.executable, MANAGE, "check", "--deploy", "--fail-level", "WARNING"],
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_security_settings(tmp_path):
    values = _settings_json(
        _production_env(tmp_path),
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_PROXY_SSL_HEADER",
        "ALLOWED_HOSTS",
        "SECURE_REDIRECT_EXEMPT",
        "TRUST_X_FORWARDED_FOR",
    )
    assert values["DEBUG"] is False
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["ALLOWED_HOSTS"] == ["culturecloud.example"]
    # The load balancer's plain-HTTP probe of /healthz must not be redirected.
    assert values["SECURE_REDIRECT_EXEMPT"] == ["^healthz$"]
    # X-Forwarded-For is ignored unless the deployment says nginx sets it.
    assert values["TRUST_X_FORWARDED_FOR"] is False
    behind_proxy = _settings_json(
        _production_env(tmp_path, TRUST_X_FORWARDED_FOR="1"), "TRUST_X_FORWARDED_FOR"
    )
    assert behind_proxy["TRUST_X_FORWARDED_FOR"] is True


def test_production_refuses_to_start_without_secrets(tmp_path):
    env = _production_env(tmp_path)
    for missing in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY"):
        child = {k: v for k, v in env.items() if k != missing}
        result = subprocess.run(
            [sys.executable, MANAGE, "check"],
            env=child,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode != 0
        assert f"{missing} must be set when DEBUG is off" in result.stderr


def test_embedded_default_runs_celery_tasks_eagerly(tmp_path):
    values = _settings_json(
        _env(tmp_path),
        "CELERY_TASK_ALWAYS_EAGER",
        "CELERY_BROKER_URL",
        "CELERY_RESULT_BACKEND",
        "CACHES",
        "DATABASES",
    )
    assert values["CELERY_TASK_ALWAYS_EAGER"] is True
    assert values["CELERY_BROKER_URL"] == "memory://"
    assert values["CELERY_RESULT_BACKEND"] is None
    assert values["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")
    assert values["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert values["DATABASES"]["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_redis_url_switches_celery_to_the_redis_broker(tmp_path):
    url = "redis://127.0.0.1:6379/6"
    values = _settings_json(
        _env(tmp_path, REDIS_URL=url),
        "CELERY_TASK_ALWAYS_EAGER",
        "CELERY_BROKER_URL",
        "CELERY_RESULT_BACKEND",
        "CACHES",
        "SESSION_ENGINE",
    )
    assert values["CELERY_TASK_ALWAYS_EAGER"] is False
    assert values["CELERY_BROKER_URL"] == url
    assert values["CELERY_RESULT_BACKEND"] == url
    assert values["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert values["CACHES"]["default"]["LOCATION"] == url
    assert values["SESSION_ENGINE"] == "django.contrib.sessions.backends.cache"


def test_database_urls_configure_primary_and_replica(tmp_path):
    values = _settings_json(
        _env(
            tmp_path,
            DATABASE_URL="postgres://app@db-primary:5432/culturecloud",
            DATABASE_REPLICA_URL="postgres://app@db-replica:5432/culturecloud",
        ),
        "DATABASES",
        "DATABASE_ROUTERS",
    )
    assert values["DATABASES"]["default"]["HOST"] == "db-primary"
    assert values["DATABASES"]["replica"]["HOST"] == "db-replica"
    assert values["DATABASES"]["replica"]["TEST"]["MIRROR"] == "default"
    assert values["DATABASE_ROUTERS"] == ["culturecloud.core.routers.PrimaryReplicaRouter"]


def test_beat_schedule_names_registered_tasks():
    from culturecloud.celery import app

    app.loader.import_default_modules()
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule, "the beat schedule lives in settings"
    for name, entry in schedule.items():
        assert entry["task"] in app.tasks, f"beat entry {name} names an unknown task"
