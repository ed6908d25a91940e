"""Resident identity card numbers (居民身份证号码), GB 11643-1999.

18 characters: 6-digit address code, 8-digit date of birth, 3-digit sequence (odd for
men, even for women), and a check character computed with ISO 7064 MOD 11-2.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"

# First two digits of GB/T 2260 province-level codes, plus 81/82/83: the residence
# permits of Hong Kong, Macao and Taiwan residents use the same number format.
PROVINCE_PREFIXES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46}
    | {50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
)
EARLIEST_BIRTH = dt.date(1900, 1, 1)

_SHAPE = re.compile(r"^\d{17}[\dX]$")


class InvalidIdNumber(ValueError):
    """`reason` is one of: format, region, birth_date, check_digit."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class IdNumberInfo:
    number: str
    region_code: str
    birth_date: dt.date
    gender: str  # "male" or "female"


def check_char(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def clean(raw: str) -> str:
    """Strip spaces and hyphens, upper-case the trailing x."""
    return re.sub(r"[\s\-]", "", raw or "").upper()


def parse(raw: str, *, today: dt.date | None = None) -> IdNumberInfo:
    """Validate an 18-character ID number; raise InvalidIdNumber with the reason."""
    number = clean(raw)
    if not _SHAPE.match(number):
        raise InvalidIdNumber("format")
    if int(number[:2]) not in PROVINCE_PREFIXES:
        raise InvalidIdNumber("region")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise InvalidIdNumber("birth_date") from exc
    if birth < EARLIEST_BIRTH or birth > (today or dt.date.today()):
        raise InvalidIdNumber("birth_date")
    if check_char(number[:17]) != number[17]:
        raise InvalidIdNumber("check_digit")
    gender = "male" if int(number[16]) % 2 == 1 else "female"
    return IdNumberInfo(number=number, region_code=number[:6], birth_date=birth, gender=gender)
