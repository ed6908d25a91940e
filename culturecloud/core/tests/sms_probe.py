"""An SMS backend for the real-worker test: it records the message in the shared cache
(Redis), where the test process can see it, together with the worker's process id."""

from __future__ import annotations

import json
import os

from django.core.cache import cache

from culturecloud.accounts.sms import BaseSmsBackend

KEY = "sms-probe:{phone}"


class CacheProbeSmsBackend(BaseSmsBackend):
    def send_code(self, *, phone: str, code: str, purpose: str, ttl_minutes: int) -> None:
        message = {"code": code, "purpose": purpose, "ttl_minutes": ttl_minutes, "pid": os.getpid()}
        cache.set(KEY.format(phone=phone), json.dumps(message), timeout=600)


def delivered(phone: str) -> dict | None:
    raw = cache.get(KEY.format(phone=phone))
    return json.loads(raw) if raw else None
