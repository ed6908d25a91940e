"""On PostgreSQL (and Redis for the shared cache): counters under concurrency, favorites raced,
the same identifier created twice at once, and the PostgreSQL search backend finding a
published resource.

Run with DATABASE_URL=postgres://… REDIS_URL=redis://…; they fail, never skip, without
the servers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from culturecloud.core.errors import ServiceError
from culturecloud.resources import services
from culturecloud.resources.models import Favorite, Resource
from culturecloud.search.query import search_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(*calls: Callable[[], Any]) -> list[Any]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_runs_on_postgresql():
    assert connection.vendor == "postgresql"


def test_concurrent_views_are_all_counted(published):
    resource = published()
    results = run_together(
        *[
            (lambda n=n: services.record_view(resource_id=resource.pk, visitor=f"v{n}"))
            for n in range(12)
        ]
    )
    assert results == [True] * 12
    resource.refresh_from_db()
    assert resource.view_count == 12


def test_the_same_visitor_at_once_counts_once(published):
    resource = published()
    results = run_together(
        *[(lambda: services.record_play(resource_id=resource.pk, visitor="same")) for _ in range(6)]
    )
    assert sorted(results) == [False] * 5 + [True]
    resource.refresh_from_db()
    assert resource.play_count == 1


def test_favorite_raced_counts_once(published, make_user):
    resource = published()
    reader = make_user()
    results = run_together(
        *[(lambda: services.add_favorite(user=reader, resource=resource)) for _ in range(5)]
    )
    assert sorted(results) == [False] * 4 + [True]
    assert Favorite.objects.filter(resource=resource).count() == 1
    resource.refresh_from_db()
    assert resource.favorite_count == 1


def test_same_identifier_at_once_one_wins(tree, editor):
    def create() -> Any:
        return services.create_resource(
            actor=editor,
            institution=tree.county,
            title="同名",
            kind="video",
            category="music",
            identifier="oai:example:42",
        )

    results = run_together(create, create, create)
    made = [r for r in results if isinstance(r, Resource)]
    refused = [r for r in results if isinstance(r, ServiceError)]
    assert len(made) == 1 and len(refused) == 2
    assert {e.code for e in refused} == {"duplicate_identifier"}
    assert Resource.objects.filter(identifier="oai:example:42").count() == 1


def test_postgres_search_finds_published_resources(published):
    resource = published("昆曲《牡丹亭》", ich_category="traditional_drama", category="drama")
    published("京剧《霸王别姬》", category="drama")
    results = search_for(
        q="牡丹亭", types=["resources.resource"], facets=["ich_category:traditional_drama"]
    )
    assert [h.object_id for h in results.items] == [str(resource.pk)]
    assert search_for(q="霸王", types=["resources.resource"], category="drama").total == 1
