import datetime as dt
import logging
import re

import pytest
from django.test import override_settings
from django.utils import timezone

from culturecloud.accounts import services, sms, tasks
from culturecloud.accounts.models import Consent, OneTimeCode, User
from culturecloud.core.errors import RateLimited, ServiceError
from culturecloud.core.models import AuditEntry

from .conftest import OTHER_PHONE, PHONE, error_of, wrong


def test_request_code_sends_sms_after_commit_and_keeps_only_a_hash(db, send_code, outbox):
    code = send_code()
    assert len(outbox) == 1
    assert outbox[0].phone == PHONE
    assert outbox[0].ttl_minutes == 5
    row = OneTimeCode.objects.get()
    assert row.sent_at is not None
    assert row.payload_encrypted == ""  # emptied once sent
    assert code not in row.code_hash
    assert row.phone_digest == services.phone_digest(PHONE)
    assert row.expires_at - row.created_at == dt.timedelta(seconds=300)
    assert row.ip == "10.0.0.1"


def test_nothing_is_sent_when_the_transaction_rolls_back(
    db, django_capture_on_commit_callbacks, outbox
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.request_code(phone=PHONE)
    assert len(callbacks) == 1
    assert outbox == []  # the task only starts on commit


def test_verify_unknown_number_needs_consent_then_signs_up(db, send_code):
    code = send_code()
    err = error_of(services.verify_code, phone=PHONE, code=code)
    assert err.code == "consent_required"
    assert "accept_terms" in err.fields
    assert not User.objects.exists()
    user, created = services.verify_code(phone=PHONE, code=code, accept_terms=True, ip="10.0.0.9")
    assert created is True
    assert user.kind == "citizen"
    assert user.phone_masked == "138****5678"
    consent = Consent.objects.get(user=user)
    assert consent.purpose == "terms"
    assert consent.policy_version == services.POLICY_VERSION
    assert consent.ip == "10.0.0.9"
    actions = set(AuditEntry.objects.filter(actor=user).values_list("action", flat=True))
    assert {
        "accounts.account.created",
        "accounts.consent.granted",
        "accounts.login.succeeded",
    } <= actions


def test_verify_known_number_logs_in_without_new_consent(db, citizen, send_code):
    code = send_code()
    user, created = services.verify_code(phone="+86 " + PHONE, code=code)
    assert (user, created) == (citizen, False)
    assert not Consent.objects.exists()


def test_code_is_single_use(db, citizen, send_code):
    code = send_code()
    services.verify_code(phone=PHONE, code=code)
    err = error_of(services.verify_code, phone=PHONE, code=code)
    assert err.code == "no_code"


def test_consumption_is_conditional_so_only_one_verify_wins(db, citizen, send_code):
    code = send_code()
    row = OneTimeCode.objects.get()
    # Another request consumed the code between our read and our UPDATE: ours must lose.
    original = OneTimeCode.objects.filter

    calls = {"n": 0}

    def racing_filter(*args, **kwargs):
        qs = original(*args, **kwargs)
        if (
            kwargs.get("used_at__isnull")
            and kwargs.get("pk") == row.pk
            and "attempts__lt" not in kwargs
        ):
            calls["n"] += 1
            original(pk=row.pk).update(used_at=timezone.now())
        return qs

    OneTimeCode.objects.filter = racing_filter  # type: ignore[method-assign]
    try:
        err = error_of(services.verify_code, phone=PHONE, code=code)
    finally:
        OneTimeCode.objects.filter = original  # type: ignore[method-assign]
    assert calls["n"] == 1
    assert err.code == "code_used"


def test_expired_code_is_refused(db, citizen, send_code):
    code = send_code()
    OneTimeCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    err = error_of(services.verify_code, phone=PHONE, code=code)
    assert err.code == "code_expired"
    assert "code" in err.fields


def test_wrong_codes_count_down_then_lock_the_number(db, citizen, send_code, settings):
    code = send_code()
    for left in (4, 3, 2, 1):
        err = error_of(services.verify_code, phone=PHONE, code=wrong(code))
        assert err.code == "invalid_code"
        assert str(left) in err.message
    err = error_of(services.verify_code, phone=PHONE, code=wrong(code))
    assert isinstance(err, RateLimited)
    assert err.code == "otp_locked"
    assert err.status == 429
    assert 0 < err.retry_after <= settings.OTP_LOCKOUT_SECONDS
    row = OneTimeCode.objects.get()
    assert row.attempts == settings.OTP_MAX_ATTEMPTS
    assert row.locked_until is not None
    # Locked: even the right code fails, and no new code is sent.
    assert error_of(services.verify_code, phone=PHONE, code=code).code == "otp_locked"
    assert error_of(services.request_code, phone=PHONE).code == "otp_locked"
    # Another number is not affected.
    services.request_code(phone=OTHER_PHONE)


def test_lock_ends_after_the_lockout_period(db, citizen, send_code, settings):
    settings.OTP_RATE_PER_PHONE = (100, 60)
    code = send_code()
    for _ in range(settings.OTP_MAX_ATTEMPTS):
        with pytest.raises(ServiceError):
            services.verify_code(phone=PHONE, code=wrong(code))
    assert error_of(services.request_code, phone=PHONE).code == "otp_locked"
    OneTimeCode.objects.update(locked_until=timezone.now() - dt.timedelta(seconds=1))
    code = send_code()
    assert services.verify_code(phone=PHONE, code=code)[0] == citizen


def test_attempts_are_taken_before_comparing(db, citizen, send_code, settings):
    """Parallel guesses cannot exceed the limit: a code with no attempt left refuses even
    the right code, because the attempt is taken (conditional UPDATE) before comparing."""
    code = send_code()
    OneTimeCode.objects.update(attempts=settings.OTP_MAX_ATTEMPTS)
    err = error_of(services.verify_code, phone=PHONE, code=code)
    assert err.code == "code_exhausted"


def test_malformed_code_is_refused_without_taking_an_attempt(db, citizen, send_code):
    send_code()
    for bad in ("", "12345", "1234567", "abcdef", "12 34 56", None):
        assert error_of(services.verify_code, phone=PHONE, code=bad).code == "invalid_code"
    assert OneTimeCode.objects.get().attempts == 0


def test_new_code_supersedes_the_previous_one(db, citizen, send_code):
    first = send_code()
    OneTimeCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))
    from culturecloud.core import ratelimit

    ratelimit.reset(f"otp:phone:{services.phone_digest(PHONE)}")
    second = send_code()
    if first != second:
        assert error_of(services.verify_code, phone=PHONE, code=first).code == "invalid_code"
    user, _created = services.verify_code(phone=PHONE, code=second)
    assert user == citizen
    assert OneTimeCode.objects.filter(used_at__isnull=True).count() == 0


def test_rate_limit_per_number(db, send_code):
    send_code()
    err = error_of(services.request_code, phone=PHONE)
    assert isinstance(err, RateLimited)
    assert err.retry_after == 60
    assert OneTimeCode.objects.count() == 1
    send_code(phone=OTHER_PHONE)  # another number is not limited


def test_rate_limit_per_number_per_day(db, settings):
    settings.OTP_RATE_PER_PHONE = (100, 60)
    settings.OTP_RATE_PER_PHONE_DAY = (3, 86400)
    for _ in range(3):
        services.request_code(phone=PHONE)
    err = error_of(services.request_code, phone=PHONE)
    assert isinstance(err, RateLimited)
    assert "today" in err.message


def test_rate_limit_per_ip_holds_across_numbers(db, settings):
    settings.OTP_RATE_PER_IP = (2, 3600)
    services.request_code(phone="13800000001", ip="192.0.2.7")
    services.request_code(phone="13800000002", ip="192.0.2.7")
    err = error_of(services.request_code, phone="13800000003", ip="192.0.2.7")
    assert isinstance(err, RateLimited)
    services.request_code(phone="13800000003", ip="192.0.2.8")


def test_rate_limits_live_in_the_shared_cache(db):
    """The counter is in django's cache (Redis in production), not in the process."""
    from django.core.cache import cache

    services.request_code(phone=PHONE, ip="192.0.2.9")
    assert cache.get(f"rl:otp:phone:{services.phone_digest(PHONE)}") == 1
    assert cache.get("rl:otp:ip:192.0.2.9") == 1


def test_verify_is_rate_limited_per_ip(db, citizen, send_code, settings):
    settings.LOGIN_RATE_PER_IP = (2, 300)
    code = send_code()
    for _ in range(2):
        with pytest.raises(ServiceError):
            services.verify_code(phone=PHONE, code=wrong(code), ip="192.0.2.1")
    err = error_of(services.verify_code, phone=PHONE, code=code, ip="192.0.2.1")
    assert isinstance(err, RateLimited)


def test_disabled_account_cannot_log_in(db, citizen, send_code):
    User.objects.filter(pk=citizen.pk).update(is_active=False)
    code = send_code()
    assert error_of(services.verify_code, phone=PHONE, code=code).code == "account_disabled"


def test_bad_phone_is_refused_before_anything_is_written(db):
    assert error_of(services.request_code, phone="12345").code == "invalid_phone"
    assert not OneTimeCode.objects.exists()


# --- the Celery task -------------------------------------------------------------------------


class FlakySmsBackend(sms.BaseSmsBackend):
    failures = 0

    def send_code(self, *, phone, code, purpose, ttl_minutes):
        if FlakySmsBackend.failures > 0:
            FlakySmsBackend.failures -= 1
            raise sms.SmsError("provider timeout")
        sms.outbox.append(sms.SentCode(phone, code, purpose, ttl_minutes))


@pytest.fixture
def eager_results():
    """Eager tasks return their failures instead of raising, so retries run in-process."""
    from culturecloud.celery import app

    app.conf.task_eager_propagates = False
    yield


def test_task_retries_when_the_backend_fails(
    db, outbox, django_capture_on_commit_callbacks, eager_results
):
    FlakySmsBackend.failures = 2
    with (
        override_settings(SMS_BACKEND=f"{__name__}.FlakySmsBackend"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.request_code(phone=PHONE)
    assert FlakySmsBackend.failures == 0
    assert len(outbox) == 1
    assert OneTimeCode.objects.get().sent_at is not None


def test_task_gives_up_without_breaking_the_request(
    db, outbox, django_capture_on_commit_callbacks, eager_results
):
    FlakySmsBackend.failures = 100
    try:
        with (
            override_settings(SMS_BACKEND=f"{__name__}.FlakySmsBackend"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            row = services.request_code(phone=PHONE)
    finally:
        FlakySmsBackend.failures = 0
    assert outbox == []
    row.refresh_from_db()
    assert row.sent_at is None  # not marked sent: the person asks for a new code


def test_task_is_idempotent_by_code_id(db, send_code, outbox):
    send_code()
    row = OneTimeCode.objects.get()
    assert tasks.send_one_time_code.delay(row.pk).get() is False
    assert tasks.send_one_time_code.delay(999999).get() is False
    assert len(outbox) == 1


def test_task_does_not_send_a_superseded_or_expired_code(
    db, outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        row = services.request_code(phone=PHONE)
    OneTimeCode.objects.filter(pk=row.pk).update(expires_at=timezone.now())
    assert services.deliver_one_time_code(code_id=row.pk) is False
    assert outbox == []


def test_log_backend_writes_the_code_with_the_number_masked(
    db, settings, caplog, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "culturecloud.accounts.sms.LogSmsBackend"
    with (
        caplog.at_level(logging.INFO, logger="culturecloud.accounts.sms"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.request_code(phone=PHONE)
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "138****5678" in text
    assert PHONE not in text
    assert re.search(r"138\*{4}5678: \d{6} ", text)


def test_purge_expired_codes_keeps_live_and_locking_codes(db):
    now = timezone.now()
    old = dict(phone_digest="x", code_hash="h", expires_at=now - dt.timedelta(days=1))
    OneTimeCode.objects.create(**old)
    OneTimeCode.objects.create(**{**old, "locked_until": now + dt.timedelta(minutes=5)})
    live = OneTimeCode.objects.create(
        phone_digest="y", code_hash="h", expires_at=now + dt.timedelta(minutes=5)
    )
    assert tasks.purge_expired_codes.delay().get() == 1
    assert OneTimeCode.objects.count() == 2
    assert OneTimeCode.objects.filter(pk=live.pk).exists()
