"""Phone numbers and ID numbers in free text that leaves intake (R11). Pure: no I/O.

A petition's summary travels in ``intake.PetitionReceived`` to Kafka, the clues service and the
reporting views; the reporter's identity travels only sealed (``informant``). A phone number or
a resident ID number typed into the summary would leave intake in clear text, so the summary is
scanned before anything is recorded. Each number is taken out (:func:`redact`): the event's
summary holds a mark such as ``［已密封的电话号码1］`` in its place, and the number itself is
sealed — in a real-name petition with the reporter's identity, in an anonymous one under a data
key of its own (``PetitionReceived.summary_numbers``) — read by the informant custodian, erased
with the rest. A number that cannot be located in the typed text is refused (422), naming what
was found and where it belongs, never echoing the number itself.

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


#: the longest summary an event holds (``LongText``): the marks must fit too
SUMMARY_LIMIT = 5000


def summary_problem(summary: str) -> str | None:
    """Why a petition's summary may not be recorded (R11), or ``None``. Its numbers are sealed
    (:func:`redact`) — a real-name petition's with the reporter's identity, an anonymous one's
    under a key of their own — unless they are written in a form that cannot be located in the
    typed text, or the marks would push the summary past its limit. The message names the kinds
    found, in Chinese and English, never the numbers."""
    found = find_personal_numbers(summary)
    if not found:
        return None
    redaction = redact(summary)
    if redaction is None:
        return (
            f"摘要中含有{found.describe_zh()}，其写法无法自动密封：请删去，举报人的电话和身份证号"
            "请填在举报人信息中（加密保存）(R11) / the summary contains "
            f"{found.describe_en()} written in a form that cannot be sealed automatically: "
            "remove them and put the reporter's phone and ID number in the informant fields (R11)"
        )
    if len(redaction.text.strip()) > SUMMARY_LIMIT:
        return (
            f"摘要中的号码替换为密封标记后超过 {SUMMARY_LIMIT} 字：请精简摘要 (R11) / with its "
            f"numbers replaced by seal marks the summary exceeds {SUMMARY_LIMIT} characters"
        )
    return None


# full-width forms of ASCII (digits, +, -, parentheses, letters) and the ideographic space, one
# character for one: positions found in the translated text are positions in the original
_HALF_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def mark(kind: NumberKind, n: int) -> str:
    """What stands in the summary where its ``n``-th sealed number was (1-based)."""
    return f"［已密封的{NUMBER_KIND_ZH[kind]}{n}］"


#: a seal mark of :func:`mark`, whatever its kind and number
_MARK = re.compile(r"［已密封的[^］]{1,20}］")
#: what a receiving department reads in a mark's place
BLIND_MARK = "［已隐去］"


def blind_marks(text: str) -> str:
    """``text`` as a receiving department reads it: each seal mark says only that something
    was left out, not that the report gave a phone or ID number (a department gets the matter,
    never the source, domain.md "Redact")."""
    return _MARK.sub(BLIND_MARK, text)


@dataclass(frozen=True)
class Redaction:
    """A summary with its numbers taken out: ``text`` has :func:`mark` where the numbers were,
    ``numbers`` the numbers as typed, in the order of their marks."""

    text: str
    numbers: tuple[str, ...]
    kinds: tuple[NumberKind, ...]

    def __bool__(self) -> bool:
        return bool(self.numbers)


def redact(text: str) -> Redaction | None:
    """Take every phone and ID number out of ``text`` (see the module's docstring), or ``None``
    when a number is found that cannot be located in the text as typed (an exotic digit form):
    the caller then refuses the text rather than let a number through."""
    plain = text.translate(_HALF_WIDTH)
    spans: list[tuple[int, int, NumberKind]] = []
    scan = plain
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(scan):
            spans.append((m.start(), m.end(), kind))
        # blank what was found (same length) so an ID number is not found again as a phone
        scan = pattern.sub(lambda m: " " * len(m.group()), scan)
    spans.sort()
    out: list[str] = []
    numbers: list[str] = []
    kinds: list[NumberKind] = []
    at = 0
    for start, end, kind in spans:
        out.append(text[at:start])
        numbers.append(text[start:end])
        kinds.append(kind)
        out.append(mark(kind, len(numbers)))
        at = end
    out.append(text[at:])
    redaction = Redaction("".join(out), tuple(numbers), tuple(kinds))
    if find_personal_numbers(redaction.text):
        return None
    return redaction
