import pytest

from culturecloud.accounts import services
from culturecloud.core.crypto import decrypt
from culturecloud.core.errors import Conflict, ServiceError

from .conftest import PHONE


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        " 138 1234 5678 ",
        "138-1234-5678",
        "+86 138 1234 5678",
        "008613812345678",
        "+8613812345678",
    ],
)
def test_normalize_phone_accepts_common_spellings(raw):
    assert services.normalize_phone(raw) == PHONE


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "12012345678",  # no such mobile prefix
        "02012345678",  # Guangzhou landline
        "+1 415 555 0100",  # not mainland China
        "+852 5123 4567",  # Hong Kong
        "abcdefghijk",
        "1" * 40,
        None,
        13812345678,
    ],
)
def test_normalize_phone_refuses_bad_numbers_with_field_error(raw):
    with pytest.raises(ServiceError) as info:
        services.normalize_phone(raw)
    assert info.value.code == "invalid_phone"
    assert info.value.status == 400
    assert list(info.value.fields) == ["phone"]


def test_create_user_with_phone_stores_number_encrypted_hashed_and_masked(db):
    user = services.create_user_with_phone(phone="+86 138 1234 5678", nickname="小明")
    user.refresh_from_db()
    assert user.phone_masked == "138****5678"
    assert PHONE not in user.phone_encrypted
    assert user.phone_digest and PHONE not in user.phone_digest
    assert decrypt(user.phone_encrypted, associated_data=b"accounts.user.phone") == PHONE
    assert services.user_phone(user) == PHONE
    assert not user.has_usable_password()
    assert services.find_user_by_phone("138 1234 5678") == user
    assert services.find_user_by_phone("13912345678") is None


def test_the_same_number_encrypts_differently_each_time(db):
    one = services.create_user_with_phone(phone=PHONE)
    two = services.create_user_with_phone(phone="13912345678")
    assert one.phone_encrypted[:3] == "v1:"
    assert len({one.phone_encrypted, two.phone_encrypted}) == 2
    from culturecloud.core.crypto import encrypt

    assert encrypt(PHONE) != encrypt(PHONE)  # random nonce


def test_create_user_with_phone_refuses_a_registered_number(db):
    services.create_user_with_phone(phone=PHONE)
    with pytest.raises(Conflict) as info:
        services.create_user_with_phone(phone="+86" + PHONE)
    assert info.value.code == "phone_taken"
    assert info.value.status == 409


def test_create_user_with_phone_checks_password_strength_and_kind(db):
    with pytest.raises(ServiceError) as info:
        services.create_user_with_phone(phone=PHONE, password="123")
    assert info.value.code == "weak_password"
    with pytest.raises(ServiceError) as info:
        services.create_user_with_phone(phone=PHONE, kind="emperor")
    assert info.value.code == "invalid_kind"
    user = services.create_user_with_phone(
        phone=PHONE, password="Lantern-Festival-2026", kind="supplier"
    )
    assert user.check_password("Lantern-Festival-2026")
    assert user.kind == "supplier"
