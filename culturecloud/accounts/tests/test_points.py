import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from culturecloud.accounts import services
from culturecloud.accounts.models import PointsEntry, User
from culturecloud.core.errors import Conflict
from culturecloud.core.models import AuditEntry

from .conftest import error_of


def chain_is_consistent(user: User) -> bool:
    balance = 0
    for entry in PointsEntry.objects.filter(user=user).order_by("id"):
        balance += entry.delta
        if entry.balance_after != balance:
            return False
    user.refresh_from_db()
    return user.points_balance == balance


def test_award_appends_entries_and_moves_the_balance(citizen):
    first = services.award_points(
        user=citizen, delta=10, reason="attendance", reference="events.ticket:1"
    )
    second = services.award_points(user=citizen, delta=5, reason="welcome")
    third = services.award_points(user=citizen, delta=-12, reason="redemption", reference="order:9")
    assert [first.balance_after, second.balance_after, third.balance_after] == [10, 15, 3]
    assert citizen.points_balance == 3
    assert chain_is_consistent(citizen)


def test_same_reference_is_applied_once(citizen):
    one = services.award_points(
        user=citizen, delta=10, reason="attendance", reference="events.ticket:7"
    )
    again = services.award_points(
        user=citizen, delta=10, reason="attendance", reference="events.ticket:7"
    )
    assert one.pk == again.pk
    citizen.refresh_from_db()
    assert citizen.points_balance == 10
    assert PointsEntry.objects.count() == 1


def test_spending_cannot_go_below_zero(citizen):
    services.award_points(user=citizen, delta=5, reason="attendance")
    err = error_of(services.award_points, user=citizen, delta=-6, reason="redemption")
    assert isinstance(err, Conflict)
    assert err.code == "insufficient_points"
    citizen.refresh_from_db()
    assert citizen.points_balance == 5
    assert PointsEntry.objects.count() == 1


def test_no_show_penalty_may_go_below_zero(citizen):
    entry = services.award_points(
        user=citizen, delta=-20, reason="no_show", reference="events.ticket:3"
    )
    assert entry.balance_after == -20
    services.award_points(user=citizen, delta=30, reason="attendance")
    assert chain_is_consistent(citizen)
    citizen.refresh_from_db()
    assert citizen.points_balance == 10


@pytest.mark.parametrize(
    ("delta", "reason", "reference", "field"),
    [
        (0, "attendance", "", "delta"),
        (True, "attendance", "", "delta"),
        (1.5, "attendance", "", "delta"),
        (10_000_001, "attendance", "", "delta"),
        (5, "lottery", "", "reason"),
        (5, "attendance", "x" * 101, "reference"),
    ],
)
def test_invalid_awards_are_refused(citizen, delta, reason, reference, field):
    err = error_of(
        services.award_points, user=citizen, delta=delta, reason=reason, reference=reference
    )
    assert field in err.fields
    assert not PointsEntry.objects.exists()


def test_manual_adjustment_is_audited(citizen, make_user):
    admin = make_user(is_superuser=True, is_staff=True)
    services.award_points(
        user=citizen, delta=50, reason="adjustment", reference="ticket-9", actor=admin
    )
    entry = AuditEntry.objects.get(action="accounts.points.adjusted")
    assert entry.actor == admin
    assert entry.after == {"delta": 50, "reason": "adjustment", "reference": "ticket-9"}


def test_ledger_is_read_only_in_the_admin(citizen, make_user):
    admin_user = make_user(is_superuser=True, is_staff=True)
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    model_admin = site._registry[PointsEntry]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert model_admin.has_view_permission(request)
