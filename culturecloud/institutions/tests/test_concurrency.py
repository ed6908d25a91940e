"""Tree writes under real concurrency, on PostgreSQL (row locks do not exist on SQLite).

Two staff move A under B and B under A at the same moment: each alone is fine, together
they would make a cycle. Exactly one may succeed and the tree must stay consistent.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import close_old_connections, connection, connections, transaction

from culturecloud.core.errors import ServiceError
from culturecloud.institutions import services
from culturecloud.institutions.models import Institution, InstitutionKind

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def assert_tree_consistent() -> None:
    rows = {i.pk: i for i in Institution.objects.all()}
    for inst in rows.values():
        seen = set()
        node = inst
        while node.parent_id is not None:  # walking up must end at the root
            assert node.pk not in seen, "cycle"
            seen.add(node.pk)
            node = rows[node.parent_id]
        if inst.parent_id is None:
            assert inst.path == f"/{inst.pk}/" and inst.depth == 0
        else:
            parent = rows[inst.parent_id]
            assert inst.path == f"{parent.path}{inst.pk}/"
            assert inst.depth == parent.depth + 1


def run_together(*jobs: Callable[[], Any], gate_on: Institution | None = None) -> list[Any]:
    """Run `jobs` in threads started at once; with `gate_on`, hold a row lock on it until
    every thread has started, so that all of them read before any of them may write."""
    results: list[Any] = [None] * len(jobs)
    barrier = threading.Barrier(len(jobs) + 1)

    def worker(i: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = job()
        except Exception as exc:  # the assertion looks at it
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, j)) for i, j in enumerate(jobs)]
    for t in threads:
        t.start()
    if gate_on is not None:
        with transaction.atomic():
            Institution.objects.select_for_update().get(pk=gate_on.pk)
            barrier.wait()
            time.sleep(0.5)  # both moves have read their paths and now wait for the lock
    else:
        barrier.wait()
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive()
    close_old_connections()
    return results


def test_runs_on_postgresql():
    assert connection.vendor == "postgresql", "this test needs DATABASE_URL=postgres://..."


@pytest.mark.parametrize("gated", [True, False])
def test_opposite_moves_cannot_create_a_cycle(tree, make_user, gated):
    assert connection.vendor == "postgresql"
    root = make_user(is_superuser=True)
    rounds = 1 if gated else 5
    for n in range(rounds):
        a = services.create_institution(
            code=f"lib-a-{n}", name="A", kind=InstitutionKind.LIBRARY, parent=tree.county
        )
        b = services.create_institution(
            code=f"lib-b-{n}", name="B", kind=InstitutionKind.LIBRARY, parent=tree.county
        )
        services.create_institution(
            code=f"lib-a-{n}-x", name="A1", kind=InstitutionKind.LIBRARY, parent=a
        )
        results = run_together(
            functools.partial(services.move_institution, actor=root, institution=a, new_parent=b),
            functools.partial(services.move_institution, actor=root, institution=b, new_parent=a),
            gate_on=tree.county if gated else None,
        )
        ok = [r for r in results if isinstance(r, Institution)]
        refused = [r for r in results if isinstance(r, ServiceError)]
        assert len(ok) == 1 and len(refused) == 1, results
        assert refused[0].code == "tree_cycle"
        assert_tree_consistent()
        a.refresh_from_db()
        b.refresh_from_db()
        assert (a.parent_id == b.pk) != (b.parent_id == a.pk)


def test_create_child_beside_a_move_gets_the_new_path(tree, make_user):
    assert connection.vendor == "postgresql"
    root = make_user(is_superuser=True)
    results = run_together(
        lambda: services.move_institution(
            actor=root, institution=tree.township, new_parent=tree.sibling_county
        ),
        lambda: services.create_institution(
            code="new-village", name="新村", kind=InstitutionKind.VILLAGE, parent=tree.township
        ),
        gate_on=tree.county,
    )
    assert all(isinstance(r, Institution) for r in results), results
    assert_tree_consistent()
    village = Institution.objects.get(code="new-village")
    assert village.path.startswith(Institution.objects.get(pk=tree.sibling_county.pk).path)


def test_merge_beside_a_move_stays_consistent(tree, make_user):
    assert connection.vendor == "postgresql"
    root = make_user(is_superuser=True)
    results = run_together(
        lambda: services.merge_institutions(
            actor=root, source=tree.county, target=tree.sibling_county
        ),
        lambda: services.move_institution(
            actor=root, institution=tree.township, new_parent=tree.city
        ),
        gate_on=tree.city,
    )
    # whichever runs first, both succeed and the township ends up under the city
    assert all(isinstance(r, Institution) for r in results), results
    assert_tree_consistent()
    township = Institution.objects.get(pk=tree.township.pk)
    assert township.parent_id == tree.city.pk
    assert Institution.objects.get(pk=tree.village.pk).path.startswith(township.path)
    assert not Institution.objects.get(pk=tree.county.pk).is_active


def test_without_the_row_locks_a_concurrent_move_leaves_a_stale_path(tree, make_user, monkeypatch):
    """Prove the race the locks close: a child is created under the township while the
    township moves. With `_lock_tree_rows` reduced to a plain read (check, then write, no
    lock between), the move commits between the creation's read and its insert, and the new
    row keeps the township's old path. `test_create_child_beside_a_move_gets_the_new_path`
    runs the same race with the locks and the path is right."""
    assert connection.vendor == "postgresql"
    root = make_user(is_superuser=True)
    real_lock = services._lock_tree_rows
    mover: list[threading.Thread] = []

    def move_in_between() -> None:
        try:
            services.move_institution(
                actor=root, institution=tree.township, new_parent=tree.sibling_county
            )
        finally:
            connections.close_all()

    def read_without_locking(*, nodes, subtrees=()):
        if mover and threading.current_thread() is mover[0]:
            return real_lock(nodes=nodes, subtrees=subtrees)
        nodes = list(nodes)
        rows = {i.pk: i for i in Institution.objects.filter(pk__in=[n.pk for n in nodes])}
        mover.append(threading.Thread(target=move_in_between))
        mover[0].start()  # the move runs and commits after this read ...
        mover[0].join(timeout=30)
        return rows  # ... and the creation goes on with what it read

    monkeypatch.setattr(services, "_lock_tree_rows", read_without_locking)
    services.create_institution(
        code="stale-village", name="村", kind=InstitutionKind.VILLAGE, parent=tree.township
    )
    township = Institution.objects.get(pk=tree.township.pk)
    assert township.parent_id == tree.sibling_county.pk
    village = Institution.objects.get(code="stale-village")
    assert not village.path.startswith(township.path)  # the stale path
    with pytest.raises(AssertionError):
        assert_tree_consistent()
