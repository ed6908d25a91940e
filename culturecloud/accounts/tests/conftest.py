"""Fixtures of the accounts tests: SMS outbox, eager Celery, a private cache per test."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from culturecloud.accounts import services, sms
from culturecloud.accounts.models import User
from culturecloud.celery import app as celery_app

PHONE = "13812345678"
OTHER_PHONE = "13912345678"
VALID_ID = "11010519491231002X"  # the example number of GB 11643
OTHER_ID = "440117199001011234"


@pytest.fixture(autouse=True)
def private_cache(settings) -> None:
    """Rate-limit counters live in the shared cache; give each test its own namespace
    (a new locmem store, or a new key prefix on Redis) so tests do not see each other's."""
    caches = copy.deepcopy(settings.CACHES)
    tag = uuid.uuid4().hex[:12]
    caches["default"]["KEY_PREFIX"] = f"test-{tag}"
    if caches["default"]["BACKEND"].endswith("LocMemCache"):
        caches["default"]["LOCATION"] = tag
    settings.CACHES = caches


@pytest.fixture(autouse=True)
def english(settings) -> Iterator[None]:
    """Tests read English messages; the site's default language is zh-hans."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def outbox(settings) -> Iterator[list[sms.SentCode]]:
    settings.SMS_BACKEND = "culturecloud.accounts.sms.OutboxSmsBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture(autouse=True)
def eager_celery() -> Iterator[None]:
    """Tasks run in-process even when REDIS_URL makes Celery use the broker (CI's pass)."""
    before = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = before


@pytest.fixture
def send_code(django_capture_on_commit_callbacks, outbox):
    """Request a code (running the after-commit SMS task) and return the code sent."""

    def request(phone: str = PHONE, ip: str = "10.0.0.1") -> str:
        with django_capture_on_commit_callbacks(execute=True):
            services.request_code(phone=phone, ip=ip)
        return outbox[-1].code

    return request


@pytest.fixture
def citizen(db) -> User:
    return services.create_user_with_phone(phone=PHONE, nickname="小明")


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def error_of(callable_: Any, **kwargs: Any) -> Any:
    from culturecloud.core.errors import ServiceError

    with pytest.raises(ServiceError) as info:
        callable_(**kwargs)
    return info.value
