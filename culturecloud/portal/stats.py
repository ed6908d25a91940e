"""Numbers of the institution network shown on the home page (cached, never per user)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count
from django.utils.functional import Promise

from culturecloud.institutions.models import Institution, InstitutionKind

NETWORK_CACHE_KEY = "portal:network-counts:v1"
NETWORK_CACHE_SECONDS = 300


@dataclass(frozen=True)
class KindCount:
    kind: str
    label: str | Promise
    count: int


def network_counts() -> dict[str, int]:
    """Active institutions per kind, from the cache (one grouped query every 5 minutes)."""
    counts: dict[str, int] | None = cache.get(NETWORK_CACHE_KEY)
    if counts is None:
        rows = (
            Institution.objects.filter(is_active=True)
            .order_by()
            .values_list("kind")
            .annotate(n=Count("id"))
        )
        counts = {kind: n for kind, n in rows}
        cache.set(NETWORK_CACHE_KEY, counts, NETWORK_CACHE_SECONDS)
    return counts


def network_summary() -> tuple[int, list[KindCount]]:
    """(total, per-kind rows in the order of InstitutionKind, kinds with none left out)."""
    counts = network_counts()
    rows = [
        KindCount(kind=kind.value, label=kind.label, count=counts[kind.value])
        for kind in InstitutionKind
        if counts.get(kind.value)
    ]
    return sum(row.count for row in rows), rows
