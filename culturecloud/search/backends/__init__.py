"""Search backends. `get_backend()` picks the one for the default database's vendor, or the
class named by settings.SEARCH_BACKEND (a dotted path; e.g. an OpenSearch backend)."""

from __future__ import annotations

from django.conf import settings
from django.db import connections
from django.utils.module_loading import import_string

from .base import SearchBackend

VENDOR_BACKENDS = {
    "postgresql": "culturecloud.search.backends.postgres.PostgresBackend",
    "sqlite": "culturecloud.search.backends.sqlite.SqliteFtsBackend",
}


def get_backend(using: str = "default") -> SearchBackend:
    path = getattr(settings, "SEARCH_BACKEND", "") or VENDOR_BACKENDS.get(
        connections[using].vendor, ""
    )
    if not path:
        raise RuntimeError(f"no search backend for the {connections[using].vendor} database")
    backend_class = import_string(path)
    return backend_class(using=using)


__all__ = ["SearchBackend", "get_backend"]
