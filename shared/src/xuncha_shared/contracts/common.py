"""Value types shared by the contracts."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints


def no_nul(value: str) -> str:
    """Refuse the NUL character: PostgreSQL stores it in neither text nor jsonb."""
    if "\x00" in value:
        raise ValueError("must not contain the NUL character (\\u0000)")
    return value


#: the validator every free-text type carries (a 422 at the HTTP door, never a database error)
NoNul = AfterValidator(no_nul)

JurisdictionCode = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
ShortText = Annotated[
    str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True), NoNul
]
#: a topic's length at most as newly given to a clue or a problem (四风, 民主集中制: a short name,
#: the details in the summary); the events keep ``ShortText``, so topics recorded before the
#: limit stay valid, and a clue keeps its own when reclassified (``decide_classify``)
TOPIC_MAX_CHARS = 30
#: a problem's topic as recorded (a problem is recorded once with its topics)
TopicText = Annotated[
    str, StringConstraints(min_length=1, max_length=TOPIC_MAX_CHARS, strip_whitespace=True), NoNul
]
LongText = Annotated[
    str, StringConstraints(min_length=1, max_length=5000, strip_whitespace=True), NoNul
]


def worded(value: str) -> str:
    """Refuse a name without a word in it: only digits, punctuation or symbols (123, !!!@@@)."""
    if not any(c.isalpha() for c in value):
        raise ValueError(
            "应包含文字，不能只有数字或符号 / a name must contain a word (Chinese characters or "
            "letters), not only digits or symbols"
        )
    return value


#: a name as typed into a request: of a unit, a person or a post (a request's check only: the
#: events keep ``ShortText``, so what was stored before reads as it was)
NameText = Annotated[ShortText, AfterValidator(worded)]


class Channel(StrEnum):
    """了解渠道 accepted by the petition endpoint."""

    LETTER = "letter"  # 来信
    CALL = "call"  # 来电
    VISIT = "visit"  # 来访
    ONLINE = "online"  # 网络举报
    REFERRAL = "referral"  # 移交


class Department(StrEnum):
    """Receiving departments of transfers and results sharing (R2, 004:L13)."""

    DISCIPLINE = "discipline_commission"  # 纪委监委
    ORGANISATION = "organisation"  # 组织部
    PETITIONS = "petitions"  # 信访局
    AUDIT = "audit"  # 审计局
    FINANCE = "finance"  # 财政局


DEPARTMENT_LABELS_ZH: dict[Department, str] = {
    Department.DISCIPLINE: "纪委监委",
    Department.ORGANISATION: "组织部",
    Department.PETITIONS: "信访局",
    Department.AUDIT: "审计局",
    Department.FINANCE: "财政局",
}


class SealedPersonalData(BaseModel):
    """Personal data of one person, encrypted with that person's own data key (AES-256-GCM).

    Only ciphertext enters events; the key lives in the intake database's key table, wrapped by
    the key-encryption key. Erasing the key (crypto-shredding) makes the data unreadable while
    every hash over this ciphertext stays valid.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    person_id: UUID
    alg: Literal["AES-256-GCM"] = "AES-256-GCM"
    nonce: str = Field(description="base64, 12 bytes")
    ciphertext: str = Field(description="base64 of the encrypted JSON document, tag appended")


class WarningColour(StrEnum):
    """R10's colours of a deadline warning (clues and rectification alike)."""

    YELLOW = "yellow"  # 黄色预警: the due date is near
    RED = "red"  # 红色预警: the due date is today
