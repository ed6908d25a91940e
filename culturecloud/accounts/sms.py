"""Pluggable SMS backends for one-time codes, chosen by settings.SMS_BACKEND (dotted path).

A backend is a class with `send_code(*, phone, code, purpose, ttl_minutes)`; it raises
`SmsError` when the provider refused or could not be reached (the Celery task retries).
A provider backend (Aliyun, Tencent Cloud, ...) is one more class with the same method.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

from culturecloud.core.crypto import mask

logger = logging.getLogger("culturecloud.accounts.sms")


class SmsError(Exception):
    """The message could not be sent (yet); sending may be retried."""


def mask_phone(phone: str) -> str:
    """138****5678"""
    return mask(phone, keep_start=3, keep_end=4)


class BaseSmsBackend:
    def send_code(self, *, phone: str, code: str, purpose: str, ttl_minutes: int) -> None:
        raise NotImplementedError


class LogSmsBackend(BaseSmsBackend):
    """Development default: writes the code to the log, with the number masked."""

    def send_code(self, *, phone: str, code: str, purpose: str, ttl_minutes: int) -> None:
        logger.info(
            "one-time code for %s: %s (valid %s minutes)",
            mask_phone(phone),
            code,
            ttl_minutes,
            extra={"purpose": purpose},
        )


@dataclass(frozen=True)
class SentCode:
    phone: str
    code: str
    purpose: str
    ttl_minutes: int


# Test-only, like django.core.mail.outbox: filled by OutboxSmsBackend, emptied by tests.
outbox: list[SentCode] = []


class OutboxSmsBackend(BaseSmsBackend):
    """For tests: keeps the messages in `culturecloud.accounts.sms.outbox`."""

    def send_code(self, *, phone: str, code: str, purpose: str, ttl_minutes: int) -> None:
        outbox.append(SentCode(phone=phone, code=code, purpose=purpose, ttl_minutes=ttl_minutes))


def get_backend() -> BaseSmsBackend:
    backend_class = import_string(settings.SMS_BACKEND)
    return backend_class()
