"""Shared by the one-time-code rushes: what to count after the load."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from bench.rush import invariant
from bench.sms_counting import COUNTER_KEY, client


def reset_sms_counter() -> None:
    client().delete(COUNTER_KEY)


def sms_sent() -> int:
    return int(client().get(COUNTER_KEY) or 0)


def code_invariants(*, codes_filter: Q, allowed: int, load: dict[str, Any]) -> list[dict]:
    """Exactly `allowed` codes created and sent; everyone else refused with 429; nothing else."""
    from culturecloud.accounts.models import OneTimeCode

    codes = OneTimeCode.objects.filter(codes_filter)
    statuses = load["statuses"]
    refused = load["responses"] - allowed
    return [
        invariant("one-time codes created", allowed, codes.count()),
        invariant("SMS sent (counting backend)", allowed, sms_sent()),
        invariant("codes marked sent", allowed, codes.filter(sent_at__isnull=False).count()),
        invariant("answers 202 (code sent)", allowed, statuses.get("202", 0)),
        invariant("answers 429 (rate limited)", refused, statuses.get("429", 0)),
        invariant(
            "other answers",
            0,
            sum(v for k, v in statuses.items() if k not in ("202", "429")),
        ),
        invariant("requests answered", load["sent"], load["responses"]),
        invariant(
            "socket errors and timeouts",
            0,
            sum(v for k, v in load["errors"].items() if k != "status"),  # status: 4xx/5xx
        ),
    ]
