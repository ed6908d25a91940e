"""2,000 concurrent requests for a one-time code to the same mobile number, each from a
different client address, across two servers of two worker processes each.

The limit that must hold: one code per number per minute (settings.OTP_RATE_PER_PHONE),
counted in Redis by `core.ratelimit` (cache.add + cache.incr). Exactly one code is created
and one SMS sent; the 1,999 others get 429. A per-process counter would let up to one
request per worker through; a read-then-write counter would let several through.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db.models import Q

from bench.scenarios._otp import code_invariants, reset_sms_counter

DESCRIPTION = "one number, 2,000 clients at once: one code per number per minute"
PATH = "/api/v1/auth/code"
REQUESTS = 2000
CONNECTIONS = 2000
SERVERS = 2
WORKERS_PER_SERVER = 2
WRK_SCRIPT = "rush.lua"


def setup(ctx: dict[str, Any]) -> dict[str, Any]:
    from culturecloud.accounts.services import phone_digest

    phone = f"138{secrets.randbelow(10**8):08d}"
    digest = phone_digest(phone)
    reset_sms_counter()
    return {"phone": phone, "digest": digest, "wrk_args": ["same_phone", phone]}


def check(ctx: dict[str, Any], state: dict[str, Any], load: dict[str, Any]) -> list[dict]:
    allowed = settings.OTP_RATE_PER_PHONE[0]
    return code_invariants(codes_filter=Q(phone_digest=state["digest"]), allowed=allowed, load=load)
