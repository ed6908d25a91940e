"""Two reviewers decide the same item at the same moment, on PostgreSQL (row locks).

Both load the item while it is pending; the transition re-reads it under a row lock, so
exactly one decision wins and the other is refused with "invalid_transition".
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import close_old_connections, connection, connections, transaction

from culturecloud.core import review
from culturecloud.core.errors import Conflict
from culturecloud.core.models import AuditEntry, ReviewStatus
from culturecloud.institutions.models import Article, Role
from culturecloud.workbench.testing import submitted_article

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_runs_on_postgresql():
    assert connection.vendor == "postgresql", "this test needs DATABASE_URL=postgres://..."


def test_concurrent_approve_and_reject_one_wins(tree, make_user):
    assert connection.vendor == "postgresql"
    editor = make_user(role=Role.EDITOR, institution=tree.township)
    first = make_user(role=Role.REVIEWER, institution=tree.county)
    second = make_user(role=Role.REVIEWER, institution=tree.city)
    article = submitted_article(tree.township, author=editor)
    stale_a = Article.objects.get(pk=article.pk)
    stale_b = Article.objects.get(pk=article.pk)
    assert stale_a.status == stale_b.status == ReviewStatus.PENDING

    results: list[Any] = [None, None]
    barrier = threading.Barrier(3)

    def worker(i: int, job) -> None:
        try:
            barrier.wait()
            results[i] = job()
        except Exception as exc:  # the assertions look at it
            results[i] = exc
        finally:
            connections.close_all()

    jobs = [
        lambda: review.approve(stale_a, actor=first),
        lambda: review.reject(stale_b, actor=second, reason="重复"),
    ]
    threads = [threading.Thread(target=worker, args=(i, j)) for i, j in enumerate(jobs)]
    for t in threads:
        t.start()
    with transaction.atomic():  # hold the row until both decisions wait for it
        Article.objects.select_for_update().get(pk=article.pk)
        barrier.wait()
        time.sleep(0.5)
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive()
    close_old_connections()

    won = [r for r in results if isinstance(r, Article)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(won) == 1 and len(refused) == 1, results
    assert refused[0].code == "invalid_transition"
    article.refresh_from_db()
    assert article.status == won[0].status
    assert article.status in {ReviewStatus.PUBLISHED, ReviewStatus.REJECTED}
    decisions = AuditEntry.objects.filter(
        action__in=["institutions.article.approved", "institutions.article.rejected"]
    )
    assert decisions.count() == 1
