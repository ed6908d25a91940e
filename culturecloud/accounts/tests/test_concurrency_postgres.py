"""Row locks under real concurrency: PostgreSQL only (CI's PostgreSQL pass)."""

import threading

import pytest
from django.db import close_old_connections, connection

from culturecloud.accounts import services
from culturecloud.accounts.models import OneTimeCode, PointsEntry, User

from .conftest import PHONE

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(count: int, work) -> list[object]:
    assert connection.vendor == "postgresql", "run with DATABASE_URL=postgres://..."
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def runner(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = work(index)
        except Exception as exc:  # collected and asserted by the test
            results[index] = exc
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_concurrent_awards_keep_balance_and_chain_consistent():
    user = services.create_user_with_phone(phone=PHONE)
    deltas = [i + 1 for i in range(12)]
    results = run_together(
        len(deltas),
        lambda i: services.award_points(
            user=User.objects.get(pk=user.pk), delta=deltas[i], reason="attendance"
        ),
    )
    assert all(isinstance(r, PointsEntry) for r in results), results
    user.refresh_from_db()
    assert user.points_balance == sum(deltas)
    balance = 0
    entries = list(PointsEntry.objects.filter(user=user).order_by("id"))
    assert len(entries) == len(deltas)
    for entry in entries:
        balance += entry.delta
        assert entry.balance_after == balance
    assert sorted(e.balance_after for e in entries) == sorted({e.balance_after for e in entries})


def test_concurrent_spending_never_overdraws():
    user = services.create_user_with_phone(phone=PHONE)
    services.award_points(user=user, delta=50, reason="attendance")
    results = run_together(
        8,
        lambda i: services.award_points(
            user=User.objects.get(pk=user.pk), delta=-10, reason="redemption"
        ),
    )
    spent = [r for r in results if isinstance(r, PointsEntry)]
    refused = [r for r in results if getattr(r, "code", "") == "insufficient_points"]
    assert len(spent) == 5
    assert len(refused) == 3
    user.refresh_from_db()
    assert user.points_balance == 0


def test_concurrent_correct_codes_let_only_one_request_win(
    django_capture_on_commit_callbacks, outbox
):
    services.create_user_with_phone(phone=PHONE)
    services.request_code(phone=PHONE)  # transaction=True: on_commit runs the task at once
    code = outbox[-1].code
    results = run_together(6, lambda i: services.verify_code(phone=PHONE, code=code))
    winners = [r for r in results if isinstance(r, tuple)]
    losers = [
        r for r in results if getattr(r, "code", "") in {"code_used", "no_code", "code_exhausted"}
    ]
    assert len(winners) == 1, results
    assert len(losers) == 5, results
    row = OneTimeCode.objects.get()
    assert row.used_at is not None


def test_concurrent_wrong_guesses_never_exceed_the_attempt_limit(settings, outbox):
    services.create_user_with_phone(phone=PHONE)
    services.request_code(phone=PHONE)
    code = outbox[-1].code
    guesses = [f"{(int(code) + i + 1) % 1_000_000:06d}" for i in range(15)]
    results = run_together(
        len(guesses), lambda i: services.verify_code(phone=PHONE, code=guesses[i])
    )
    assert all(getattr(r, "code", "") for r in results), results
    row = OneTimeCode.objects.get()
    assert row.attempts == settings.OTP_MAX_ATTEMPTS  # never more compared than allowed
