"""An SMS backend for rush scenarios: counts every send in Redis (shared by all processes)
and sends nothing. Select it with SMS_BACKEND=bench.sms_counting.CountingSmsBackend."""

from __future__ import annotations

import os

import redis

COUNTER_KEY = "bench:sms:sent"


def client() -> redis.Redis:
    return redis.Redis.from_url(os.environ["REDIS_URL"])


class CountingSmsBackend:
    def send_code(self, *, phone: str, code: str, purpose: str, ttl_minutes: int) -> None:
        client().incr(COUNTER_KEY)
