"""2,000 concurrent requests for one-time codes to 2,000 different numbers from one client
address, across two servers of two worker processes each.

The limit that must hold: twenty codes per address per hour (settings.OTP_RATE_PER_IP).
Exactly twenty codes are created and sent; the 1,980 others get 429.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Q

from bench.scenarios._otp import code_invariants, reset_sms_counter

DESCRIPTION = "one address, 2,000 numbers at once: twenty codes per address per hour"
PATH = "/api/v1/auth/code"
REQUESTS = 2000
CONNECTIONS = 2000
SERVERS = 2
WORKERS_PER_SERVER = 2
WRK_SCRIPT = "rush.lua"
CLIENT_IP = "203.0.113.7"  # TEST-NET-3


def setup(ctx: dict[str, Any]) -> dict[str, Any]:
    reset_sms_counter()
    return {"ip": CLIENT_IP, "wrk_args": ["same_ip", CLIENT_IP]}


def check(ctx: dict[str, Any], state: dict[str, Any], load: dict[str, Any]) -> list[dict]:
    allowed = settings.OTP_RATE_PER_IP[0]
    return code_invariants(codes_filter=Q(ip=state["ip"]), allowed=allowed, load=load)
