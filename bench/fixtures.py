"""Values for the {placeholders} of bench/endpoints.toml, read from the seeded database.

Run by bench/run.py with the bench server's environment; prints one JSON object. A value
that does not exist (no such module or no such data yet) is left out, and the endpoints
that need it are reported as absent.

The same kind of object is chosen at every size (the first county of the synthetic tree,
its first province, ...) so that the growth table compares like with like.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_bench")

import django  # noqa: E402

django.setup()

from culturecloud.core import review  # noqa: E402
from culturecloud.core.management.scale import LEVELS, TOPICS  # noqa: E402
from culturecloud.institutions.models import Institution  # noqa: E402
from culturecloud.institutions.services import public_articles  # noqa: E402

SCALE_RESOURCE_PREFIX = "cc:res:scale-"  # identifiers of seed_scale --resources
SEARCH_TOPIC = 11  # 粤剧 (Cantonese opera): its art category is drama


def scale_institution(depth: int) -> str | None:
    """The first institution at `depth` of the synthetic tree (codes "s<tag>-<n>"), else
    the first one of the demo data."""
    return (
        Institution.objects.filter(depth=depth, code__regex=r"^s[0-9a-f]+-[0-9]+$")
        .order_by("id")
        .values_list("code", flat=True)
        .first()
    )


def values() -> dict[str, Any]:
    found: dict[str, Any] = {
        # One level label followed by a 5-digit prefix of the 6-digit number: the 10
        # municipal centres numbered 000100-000109, at every size of the tree.
        "q_narrow": f"{LEVELS[1][2]}00010",
        # Every township station (综合文化站): a share of the whole tree, so it grows.
        "q_broad": "综合文化站",
        "search_q": "文化",
    }
    for name, depth in (("province", 1), ("county", 3)):
        code = scale_institution(depth) or (
            Institution.objects.filter(depth=depth, is_active=True)
            .order_by("id")
            .values_list("code", flat=True)
            .first()
        )
        if code:
            found[name] = code
    article = public_articles().select_related("institution").order_by("id").first()
    if article is not None:
        found["article_institution"] = article.institution.code
        found["article_id"] = article.pk
    region = (
        Institution.objects.filter(region__isnull=False, depth=1)
        .order_by("id")
        .values_list("region_id", flat=True)
        .first()
    )
    if region:
        found["region"] = region
    found.update(resource_values())
    return found


def resource_values() -> dict[str, Any]:
    """The library: the first published resource of seed_scale (catalogue record, no media:
    the same kind at every size, not one of the demo's), a topic of its word list (in the
    title of one resource in 40 at every size) and that topic's art category."""
    from culturecloud.resources.models import Resource

    topic, category, _ich = TOPICS[SEARCH_TOPIC]
    found: dict[str, Any] = {"resource_q": topic, "resource_category": category}
    resource = (
        review.published(Resource.objects.filter(identifier__startswith=SCALE_RESOURCE_PREFIX))
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )
    if resource is not None:
        found["resource_id"] = resource
    return found


if __name__ == "__main__":
    print(json.dumps(values(), ensure_ascii=False))
