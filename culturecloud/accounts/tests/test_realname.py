import datetime as dt

import pytest
from django.db import connection

from culturecloud.accounts import services
from culturecloud.accounts.models import Consent, RealNameVerification
from culturecloud.core.crypto import decrypt
from culturecloud.core.errors import Conflict, RateLimited
from culturecloud.core.models import AuditEntry

from .conftest import OTHER_ID, OTHER_PHONE, VALID_ID, error_of


def test_verified_name_and_number_are_encrypted_masked_and_hashed(citizen):
    verification = services.verify_real_name(
        user=citizen, name=" 张三 ", id_number="11010519491231002x", consent=True, ip="10.0.0.3"
    )
    verification.refresh_from_db()
    assert verification.id_masked == "1101**********002X"
    assert verification.name_masked == "张*"
    assert VALID_ID not in verification.id_encrypted
    assert "张三" not in verification.name_encrypted
    assert VALID_ID not in verification.id_digest
    ad = f"accounts.realname:{citizen.pk}".encode()
    assert decrypt(verification.id_encrypted, associated_data=ad) == VALID_ID
    assert decrypt(verification.name_encrypted, associated_data=ad) == "张三"
    details = services.real_name_details(citizen)
    assert details is not None
    assert details["birth_date"] == dt.date(1949, 12, 31)
    assert details["gender"] == "female"


def test_number_appears_nowhere_in_clear_in_the_database(citizen):
    services.verify_real_name(user=citizen, name="张三", id_number=VALID_ID, consent=True)
    with connection.cursor() as cursor:
        for table in ("accounts_realnameverification", "core_auditentry", "accounts_consent"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
            dump = repr(cursor.fetchall())
            assert VALID_ID not in dump
            assert "张三" not in dump


def test_consent_is_required_and_recorded(citizen):
    err = error_of(
        services.verify_real_name, user=citizen, name="张三", id_number=VALID_ID, consent=False
    )
    assert err.code == "invalid_real_name"
    assert "consent" in err.fields
    assert not RealNameVerification.objects.exists()
    services.verify_real_name(
        user=citizen, name="张三", id_number=VALID_ID, consent=True, ip="10.0.0.3"
    )
    consent = Consent.objects.get(user=citizen)
    assert consent.purpose == "realname"
    assert consent.ip == "10.0.0.3"
    assert consent.withdrawn_at is None
    assert AuditEntry.objects.filter(action="accounts.realname.verified", actor=citizen).exists()


def test_one_id_number_verifies_one_account_only(citizen):
    other = services.create_user_with_phone(phone=OTHER_PHONE)
    services.verify_real_name(user=citizen, name="张三", id_number=VALID_ID, consent=True)
    err = error_of(
        services.verify_real_name, user=other, name="张三", id_number=VALID_ID, consent=True
    )
    assert isinstance(err, Conflict)
    assert err.status == 409
    assert err.code == "id_number_taken"
    assert "id_number" in err.fields
    assert not RealNameVerification.objects.filter(user=other).exists()
    assert not Consent.objects.filter(user=other).exists()  # nothing half-written


def test_an_account_is_verified_once(citizen):
    services.verify_real_name(user=citizen, name="张三", id_number=VALID_ID, consent=True)
    err = error_of(
        services.verify_real_name, user=citizen, name="李四", id_number=OTHER_ID, consent=True
    )
    assert err.code == "already_verified"
    assert err.status == 409


@pytest.mark.parametrize(
    ("name", "number", "field"),
    [
        ("张三", "110105194912310021", "id_number"),  # check digit
        ("张三", "110105194902300021", "id_number"),  # 30 February
        ("张三", "99010519491231002X", "id_number"),  # region
        ("张三", "1101051949", "id_number"),
        ("张三", "", "id_number"),
        ("张", VALID_ID, "name"),
        ("Robert'); DROP TABLE", VALID_ID, "name"),
        ("张" * 31, VALID_ID, "name"),
        ("", VALID_ID, "name"),
    ],
)
def test_invalid_names_and_numbers_are_field_errors(citizen, name, number, field):
    err = error_of(
        services.verify_real_name, user=citizen, name=name, id_number=number, consent=True
    )
    assert err.code == "invalid_real_name"
    assert field in err.fields
    assert err.status == 400
    assert not RealNameVerification.objects.exists()


def test_minority_and_foreign_names_are_accepted(citizen):
    services.verify_real_name(
        user=citizen, name="阿依古丽·买买提", id_number=VALID_ID, consent=True
    )
    assert RealNameVerification.objects.get().name_masked == "阿*******"


def test_attempts_are_rate_limited_per_account(citizen):
    other = services.create_user_with_phone(phone=OTHER_PHONE)
    services.verify_real_name(user=other, name="张三", id_number=VALID_ID, consent=True)
    for _ in range(services.REALNAME_RATE_PER_USER[0]):
        error_of(
            services.verify_real_name, user=citizen, name="张三", id_number=VALID_ID, consent=True
        )
    err = error_of(
        services.verify_real_name, user=citizen, name="李四", id_number=OTHER_ID, consent=True
    )
    assert isinstance(err, RateLimited)


def test_withdrawing_realname_consent_deletes_the_record(citizen):
    services.verify_real_name(user=citizen, name="张三", id_number=VALID_ID, consent=True)
    assert services.withdraw_consent(user=citizen, purpose="realname") == 1
    assert not RealNameVerification.objects.filter(user=citizen).exists()
    assert Consent.objects.get(user=citizen).withdrawn_at is not None
    assert AuditEntry.objects.filter(action="accounts.consent.withdrawn", actor=citizen).exists()
    assert (
        error_of(services.withdraw_consent, user=citizen, purpose="realname").code == "no_consent"
    )
    assert error_of(services.withdraw_consent, user=citizen, purpose="terms").code == (
        "use_account_deletion"
    )
    # The number is free again, and the person may verify again with a new consent.
    services.verify_real_name(user=citizen, name="张三", id_number=VALID_ID, consent=True)
