"""The personal data a petition seals (R11): a real-name reporter's identity, or the phone and ID
numbers taken out of an anonymous petition's summary. Plain models: they exist in clear only
between the request and ``xuncha_shared.crypto``'s vault, which seals and opens them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_PHONE_RE = re.compile(r"^\+?[0-9()\- ]{3,32}$")


def prc_id_check_char(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits of a PRC resident ID number."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def validate_prc_id(value: str) -> str:
    """Validate an 18-character PRC resident ID number (format, birth date, check character);
    returns it with an upper-case ``X``."""
    number = value.strip().upper()
    if not _ID_RE.match(number):
        raise ValueError("an ID number has 17 digits and a check digit or X")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValueError("the ID number holds no valid birth date") from None
    if born.year < 1900 or born > datetime.now(UTC).date():
        raise ValueError("the ID number holds no plausible birth date")
    if prc_id_check_char(number[:17]) != number[17]:
        raise ValueError("the ID number's check character does not match")
    return number


class InformantIdentity(BaseModel):
    """Personal data of a reporter (举报人): only ever stored encrypted."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100)
    phone: str | None = Field(default=None, max_length=32)
    id_number: str | None = None
    address: str | None = Field(default=None, min_length=1, max_length=500)
    employer: str | None = Field(default=None, min_length=1, max_length=200)
    #: phone and ID numbers taken out of the petition's summary (R11), in the order of the
    #: summary's ［已密封的…n］ marks (xuncha_shared.domain.personal_numbers.redact)
    summary_numbers: tuple[str, ...] | None = Field(default=None, min_length=1, max_length=50)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not _PHONE_RE.match(value) or sum(c.isdigit() for c in value) < 3:
            raise ValueError("a phone number has digits, spaces, +, -, ( and ) only")
        return value

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, value: str | None) -> str | None:
        return None if value is None else validate_prc_id(value)

    def __repr__(self) -> str:  # never print personal data by accident
        return "InformantIdentity(<redacted>)"

    __str__ = __repr__


class SummaryNumbers(BaseModel):
    """The phone and ID numbers taken out of an anonymous petition's summary (R11): sealed
    under a data key of their own, there being no reporter identity to seal them with."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    #: in the order of the summary's ［已密封的…n］ marks (personal_numbers.redact)
    summary_numbers: tuple[str, ...] = Field(min_length=1, max_length=50)

    def __repr__(self) -> str:  # never print personal data by accident
        return "SummaryNumbers(<redacted>)"

    __str__ = __repr__


#: what a petition seals: a reporter's identity, or an anonymous summary's numbers
Sealable = InformantIdentity | SummaryNumbers
SealableT = TypeVar("SealableT", InformantIdentity, SummaryNumbers)
