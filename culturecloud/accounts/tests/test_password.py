import pytest

from culturecloud.accounts import services
from culturecloud.accounts.models import User
from culturecloud.core.errors import RateLimited
from culturecloud.core.models import AuditEntry

from .conftest import PHONE, error_of

PASSWORD = "Lantern-Festival-2026"


@pytest.fixture
def member(db) -> User:
    user = services.create_user_with_phone(phone=PHONE, password=PASSWORD)
    User.objects.filter(pk=user.pk).update(username="lantern")
    user.refresh_from_db()
    return user


@pytest.mark.parametrize("identifier", [PHONE, "+86 138-1234-5678", "lantern"])
def test_login_with_phone_or_username(member, identifier):
    assert services.login_with_password(identifier=identifier, password=PASSWORD) == member
    assert AuditEntry.objects.filter(action="accounts.login.succeeded", actor=member).exists()


@pytest.mark.parametrize(
    ("identifier", "password"),
    [(PHONE, "wrong-password"), ("13912345678", PASSWORD), ("nobody", PASSWORD)],
)
def test_wrong_credentials_get_one_generic_answer(member, identifier, password):
    err = error_of(services.login_with_password, identifier=identifier, password=password)
    assert err.code == "invalid_credentials"
    assert err.status == 400


def test_disabled_account_and_account_without_password_cannot_log_in(member, db):
    User.objects.filter(pk=member.pk).update(is_active=False)
    assert error_of(services.login_with_password, identifier=PHONE, password=PASSWORD).code == (
        "invalid_credentials"
    )
    services.create_user_with_phone(phone="13912345678")  # SMS-only account
    assert error_of(services.login_with_password, identifier="13912345678", password="").code == (
        "invalid_password"
    )


@pytest.mark.parametrize(
    ("identifier", "password", "field"),
    [
        ("", PASSWORD, "identifier"),
        ("x" * 65, PASSWORD, "identifier"),
        (PHONE, "", "password"),
        (PHONE, "p" * 129, "password"),
        (None, PASSWORD, "identifier"),
    ],
)
def test_malformed_input_is_a_field_error(member, identifier, password, field):
    err = error_of(services.login_with_password, identifier=identifier, password=password)
    assert field in err.fields


def test_login_is_rate_limited_per_account(member, settings):
    for _ in range(services.LOGIN_RATE_PER_ACCOUNT[0]):
        error_of(services.login_with_password, identifier=PHONE, password="wrong", ip="192.0.2.1")
    # Even the right password is refused now, also from another network.
    err = error_of(
        services.login_with_password, identifier=PHONE, password=PASSWORD, ip="192.0.2.2"
    )
    assert isinstance(err, RateLimited)
    assert err.status == 429


def test_login_is_rate_limited_per_ip(member, settings):
    settings.LOGIN_RATE_PER_IP = (3, 300)
    for name in ("a1", "a2", "a3"):
        error_of(services.login_with_password, identifier=name, password="x", ip="192.0.2.3")
    err = error_of(
        services.login_with_password, identifier=PHONE, password=PASSWORD, ip="192.0.2.3"
    )
    assert isinstance(err, RateLimited)
    assert (
        services.login_with_password(identifier=PHONE, password=PASSWORD, ip="192.0.2.4") == member
    )


def test_set_password_on_sms_account_then_change_it(db):
    user = services.create_user_with_phone(phone=PHONE)
    services.set_password(user=user, new_password=PASSWORD)
    assert user.check_password(PASSWORD)
    err = error_of(
        services.set_password, user=user, new_password="Another-Secret-77", old_password="bad"
    )
    assert err.code == "wrong_password"
    assert "old_password" in err.fields
    services.set_password(user=user, new_password="Another-Secret-77", old_password=PASSWORD)
    user.refresh_from_db()
    assert user.check_password("Another-Secret-77")
    actions = list(AuditEntry.objects.filter(actor=user).values_list("action", flat=True))
    assert "accounts.password.set" in actions
    assert "accounts.password.changed" in actions


@pytest.mark.parametrize("weak", ["12345678", "password", "short", "p" * 129])
def test_weak_passwords_are_refused(db, weak):
    user = services.create_user_with_phone(phone=PHONE)
    err = error_of(services.set_password, user=user, new_password=weak)
    assert "new_password" in err.fields
    user.refresh_from_db()
    assert not user.has_usable_password()
