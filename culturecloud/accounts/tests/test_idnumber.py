import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from culturecloud.accounts import idnumber
from culturecloud.accounts.idnumber import InvalidIdNumber, check_char, parse

from .conftest import OTHER_ID, VALID_ID


def test_standard_example_number_is_valid():
    info = parse(VALID_ID)
    assert info.number == VALID_ID
    assert info.region_code == "110105"
    assert info.birth_date == dt.date(1949, 12, 31)
    assert info.gender == "female"  # 002: even sequence


def test_lower_case_x_spaces_and_hyphens_are_accepted():
    assert parse(" 110105-19491231-002x ").number == VALID_ID


def test_male_when_sequence_is_odd():
    assert parse(OTHER_ID).gender == "male"


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("11010519491231002", "format"),  # 17 characters
        ("11010519491231002XX", "format"),
        ("1101051949123100AX", "format"),
        ("", "format"),
        ("99010519491231002X", "region"),
        ("00010519491231002X", "region"),
        ("110105194902300021", "birth_date"),  # 30 February
        ("110105189912310021", "birth_date"),  # before 1900
        ("110105209912310021", "birth_date"),  # in the future
        ("110105194912310021", "check_digit"),
    ],
)
def test_invalid_numbers_are_refused_with_reason(number, reason):
    with pytest.raises(InvalidIdNumber) as info:
        parse(number, today=dt.date(2026, 1, 1))
    assert info.value.reason == reason


prefixes = st.sampled_from(sorted(idnumber.PROVINCE_PREFIXES))
birth_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2025, 12, 31))


@st.composite
def first17(draw):
    prefix = draw(prefixes)
    rest = draw(st.text("0123456789", min_size=4, max_size=4))
    born = draw(birth_dates)
    seq = draw(st.text("0123456789", min_size=3, max_size=3))
    return f"{prefix:02d}{rest}{born:%Y%m%d}{seq}"


@given(first17())
def test_number_with_its_check_char_is_valid(body):
    info = parse(body + check_char(body), today=dt.date(2026, 1, 1))
    assert info.number[:17] == body


@given(first17(), st.sampled_from("0123456789X"))
def test_any_other_check_char_is_refused(body, last):
    if last == check_char(body):
        return
    with pytest.raises(InvalidIdNumber) as info:
        parse(body + last, today=dt.date(2026, 1, 1))
    assert info.value.reason == "check_digit"


@given(first17(), st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_changing_one_digit_is_detected(body, position, shift):
    number = body + check_char(body)
    changed_digit = str((int(body[position]) + shift) % 10)
    tampered = number[:position] + changed_digit + number[position + 1 :]
    # MOD 11-2 detects every single-digit error: the check char no longer matches.
    assert check_char(tampered[:17]) != tampered[17]


def test_check_char_matches_the_standard_weights():
    body = VALID_ID[:17]
    total = sum(int(d) * w for d, w in zip(body, idnumber.WEIGHTS, strict=True))
    assert idnumber.WEIGHTS == (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    assert check_char(body) == "10X98765432"[total % 11] == "X"
