"""Phone numbers and ID numbers in free text that leaves intake (R11). Pure: no I/O.

A petition's summary travels in ``intake.PetitionReceived`` to Kafka, the clues service and the
reporting views; the reporter's identity travels only sealed (``informant``). A phone number or
a resident ID number typed into the summary would leave intake in clear text, so the summary is
scanned before anything is recorded and such a petition is refused (422), naming what was found
and where it belongs, never echoing the number itself.

Found: mainland mobile numbers (11 digits from 13–19, optionally +86 and separated in groups of
3-4-4), landline numbers with an area code (``0794-8221234``, ``(0794)8221234``), and 18-digit
resident ID numbers (region, a plausible birth date, sequence, check digit or X). Full-width
digits count as digits. Longer runs of digits (account or case numbers) are not phone numbers.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class NumberKind(StrEnum):
    PHONE = "phone"
    ID_NUMBER = "id_number"


NUMBER_KIND_ZH: dict[NumberKind, str] = {
    NumberKind.PHONE: "电话号码",
    NumberKind.ID_NUMBER: "身份证号码",
}
NUMBER_KIND_EN: dict[NumberKind, str] = {
    NumberKind.PHONE: "phone number",
    NumberKind.ID_NUMBER: "ID number",
}

_NOT_DIGIT_BEFORE = r"(?<![0-9])"
_NOT_DIGIT_AFTER = r"(?![0-9])"
_PATTERNS: tuple[tuple[NumberKind, re.Pattern[str]], ...] = (
    (
        NumberKind.ID_NUMBER,
        re.compile(
            _NOT_DIGIT_BEFORE
            + r"[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
            r"[0-9]{3}[0-9Xx](?![0-9A-Za-z])"
        ),
    ),
    (
        NumberKind.PHONE,
        re.compile(
            _NOT_DIGIT_BEFORE
            + r"(?:(?:\+|00)?86[- ]?)?1[3-9][0-9](?:[- ]?[0-9]{4}){2}"
            + _NOT_DIGIT_AFTER
        ),
    ),
    (
        NumberKind.PHONE,
        re.compile(
            _NOT_DIGIT_BEFORE
            + r"(?:0[1-9][0-9]{1,2}[- ]|\(0[1-9][0-9]{1,2}\) ?)[1-9][0-9]{6,7}"
            + _NOT_DIGIT_AFTER
        ),
    ),
)


@dataclass(frozen=True)
class Found:
    """What was found: how many of each kind (never the numbers)."""

    counts: dict[NumberKind, int]

    def __bool__(self) -> bool:
        return any(self.counts.values())

    def describe_zh(self) -> str:
        return "、".join(f"{NUMBER_KIND_ZH[k]}（{n} 处）" for k, n in self.counts.items() if n)

    def describe_en(self) -> str:
        return ", ".join(f"{n} {NUMBER_KIND_EN[k]}(s)" for k, n in self.counts.items() if n)


def find_personal_numbers(text: str) -> Found:
    """How many phone and ID numbers ``text`` holds; an ID number is not counted again as a
    phone number."""
    remaining = unicodedata.normalize("NFKC", text)
    counts = dict.fromkeys(NumberKind, 0)
    for kind, pattern in _PATTERNS:
        matches = pattern.findall(remaining)
        counts[kind] += len(matches)
        remaining = pattern.sub(" ", remaining)
    return Found(counts)


def summary_problem(summary: str) -> str | None:
    """Why a petition's summary may not be recorded (R11), or ``None``: the message names the
    kinds found and where they belong, in Chinese and English, without the numbers."""
    found = find_personal_numbers(summary)
    if not found:
        return None
    return (
        f"摘要中含有{found.describe_zh()}，摘要会随事件发出，不得含个人号码：请删去，"
        "举报人的电话和身份证号请填在举报人信息中（加密保存）(R11) / the summary contains "
        f"{found.describe_en()}; the summary leaves intake in clear text: remove them and put "
        "the reporter's phone and ID number in the informant fields, which are sealed (R11)"
    )
