"""Where the current request came from, for the audit log and the logs.

A ContextVar, not a module global: each request (thread or task) sees its own.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    ip: str = ""
    user_agent: str = ""
    request_id: str = ""


_current: contextvars.ContextVar[Origin] = contextvars.ContextVar(
    "origin",
    default=Origin(),  # noqa: B039 - Origin is a frozen dataclass
)


def current_origin() -> Origin:
    return _current.get()


def set_origin(origin: Origin) -> contextvars.Token[Origin]:
    return _current.set(origin)


def reset_origin(token: contextvars.Token[Origin]) -> None:
    _current.reset(token)


def client_ip(meta: dict) -> str:
    """The client address; X-Forwarded-For is trusted only behind our own proxy."""
    from django.conf import settings

    if getattr(settings, "TRUST_X_FORWARDED_FOR", False):
        forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()[:45]
    return str(meta.get("REMOTE_ADDR", ""))[:45]
