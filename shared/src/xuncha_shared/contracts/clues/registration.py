"""clues.* events: a clue's registration, classification, escalation to the city office (R12)
and transfer (R2), and the ids derived for the clues of petitions and intake records."""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from xuncha_shared.contracts.common import (
    Department,
    JurisdictionCode,
    LongText,
    ShortText,
)
from xuncha_shared.envelope import EventPayload, JsonDict

#: The uuid5 namespace of the clue derived from a petition (a cross-service contract: intake's
#: petition id names the clue the clues service registers for it, and anyone holding the petition
#: id, the demo loader for one, can find that clue without asking).
CLUE_NAMESPACE = uuid.UUID("5b0f3c2e-7d1a-5e1f-9c2b-0c1e5a7d3f10")


def clue_id_for_petition(petition_id: UUID) -> UUID:
    """The clue registered for a petition: the same id however often the petition arrives."""
    return uuid.uuid5(CLUE_NAMESPACE, f"petition:{petition_id}")


def clue_id_for_record(record_id: UUID, index: int) -> UUID:
    """The clue registered for the ``index``-th clue (from 0) of an intake record (a talk, a
    survey, a referral …): the same id however often the record arrives."""
    return uuid.uuid5(CLUE_NAMESPACE, f"record:{record_id}:{index}")


class ClueCategory(StrEnum):
    FURTHER_INQUIRY = "further_inquiry"  # 进一步了解关注类
    INQUIRY = "inquiry"  # 了解关注类
    REFERENCE = "reference"  # 参考类


class CadreLevel(StrEnum):
    DIVISION = "division"  # 处级干部
    SECTION = "section"  # 科级干部
    STAFF = "staff"  # 科员及以下


class ClueRegisteredV1(EventPayload):
    """Legacy form (schema 1): no source record or channel."""

    event_type: ClassVar[str] = "clues.ClueRegistered"
    schema_version: ClassVar[int] = 1

    clue_id: UUID
    jurisdiction: JurisdictionCode
    unit: ShortText
    summary: LongText
    source_event_id: UUID | None = None
    source_petition_id: UUID | None = None
    round_id: str | None = None


class ClueRegisteredV2(EventPayload):
    """Earlier form (schema 2, no persons): a clue from a petition (``source_petition_id``) or
    from a clue an intake record brought (``source_record_id``)."""

    event_type: ClassVar[str] = "clues.ClueRegistered"
    schema_version: ClassVar[int] = 2

    clue_id: UUID
    jurisdiction: JurisdictionCode
    unit: ShortText
    summary: LongText
    source_event_id: UUID | None = None
    source_petition_id: UUID | None = None
    round_id: str | None = None
    source_record_id: UUID | None = None
    source_channel: ShortText | None = None
    group_id: UUID | None = None
    unit_id: UUID | None = None


class CluePerson(BaseModel):
    """A person a clue concerns, without any name: only what R12 and the funnel need."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cadre_level: CadreLevel | None = None
    city_managed: bool = False


class ClueRegisteredV3(EventPayload):
    """Schema 3: no day written on the registration (``registered_on``); the clue was
    registered the day it was recorded."""

    event_type: ClassVar[str] = "clues.ClueRegistered"
    schema_version: ClassVar[int] = 3

    clue_id: UUID
    jurisdiction: JurisdictionCode
    unit: ShortText
    summary: LongText
    source_event_id: UUID | None = None
    source_petition_id: UUID | None = None
    round_id: str | None = None
    source_record_id: UUID | None = None
    source_channel: ShortText | None = None
    group_id: UUID | None = None
    unit_id: UUID | None = None
    persons: list[CluePerson] = Field(default_factory=list, max_length=50)


class ClueRegistered(EventPayload):
    """A problem clue registered (schema 4): from a petition (``source_petition_id``), from a
    clue an intake record brought (``source_record_id``), or directly by an inspection group
    (``POST /api/v1/clues``: ``group_id``/``unit_id`` and the ``persons`` it concerns);
    ``source_channel`` is the petition's channel, the record's kind or the group's channel.
    ``registered_on`` is the day written on a registration made on paper and recorded later
    (补录, R26); ``None``: the day it was recorded (China time)."""

    event_type: ClassVar[str] = "clues.ClueRegistered"
    schema_version: ClassVar[int] = 4

    clue_id: UUID
    jurisdiction: JurisdictionCode
    unit: ShortText
    summary: LongText
    source_event_id: UUID | None = None
    source_petition_id: UUID | None = None
    round_id: str | None = None
    source_record_id: UUID | None = None
    source_channel: ShortText | None = None
    group_id: UUID | None = None
    unit_id: UUID | None = None
    persons: list[CluePerson] = Field(default_factory=list, max_length=50)
    registered_on: date | None = Field(
        default=None,
        description="the day (China Standard Time) written on the registration (补录, R26); "
        "null: the day it was recorded",
    )


def upcast_clue_registered_v1(payload: JsonDict) -> JsonDict:
    """v1 -> v2: the source channel of old clues is not recorded (petitions only)."""
    for name in ("source_record_id", "source_channel", "group_id", "unit_id"):
        payload.setdefault(name, None)
    return payload


def upcast_clue_registered_v2(payload: JsonDict) -> JsonDict:
    """v2 -> v3: clues registered before direct registration name no persons."""
    payload.setdefault("persons", [])
    return payload


def upcast_clue_registered_v3(payload: JsonDict) -> JsonDict:
    """v3 -> v4: clues registered before 补录 were registered the day they were recorded."""
    payload.setdefault("registered_on", None)
    return payload


class ClueClassified(EventPayload):
    event_type: ClassVar[str] = "clues.ClueClassified"
    schema_version: ClassVar[int] = 1

    clue_id: UUID
    category: ClueCategory
    cadre_level: CadreLevel | None = None
    city_managed: bool = False
    counties: list[JurisdictionCode] = Field(default_factory=list)
    topics: list[ShortText] = Field(default_factory=list)


class ClueEscalated(EventPayload):
    """报市委巡察办: a clue on a city-managed cadre or spanning counties (R12)."""

    event_type: ClassVar[str] = "clues.ClueEscalated"
    schema_version: ClassVar[int] = 1

    clue_id: UUID
    from_jurisdiction: JurisdictionCode
    to_jurisdiction: JurisdictionCode
    reason: LongText


class ClueTransferredV1(EventPayload):
    """Schema 1: no day written on the transfer letter (``transferred_on``); the clue was
    transferred the day it was recorded."""

    event_type: ClassVar[str] = "clues.ClueTransferred"
    schema_version: ClassVar[int] = 1

    clue_id: UUID
    department: Department
    reason: LongText
    jurisdiction: JurisdictionCode
    unit: ShortText
    summary: LongText


class ClueTransferred(EventPayload):
    """移交: to a department by the Art. 28 route (R2) (schema 2). ``transferred_on`` is the
    day of a transfer letter (移交函) made on paper and recorded later (补录, R26): R3's
    3 months count from it; ``None``: the day it was recorded (China time)."""

    event_type: ClassVar[str] = "clues.ClueTransferred"
    schema_version: ClassVar[int] = 2

    clue_id: UUID
    department: Department
    reason: LongText
    jurisdiction: JurisdictionCode
    unit: ShortText
    summary: LongText
    transferred_on: date | None = Field(
        default=None,
        description="the day (China Standard Time) of the transfer letter (补录, R26); "
        "null: the day it was recorded",
    )


def upcast_clue_transferred_v1(payload: JsonDict) -> JsonDict:
    """v1 -> v2: transfers before 补录 were made the day they were recorded."""
    payload.setdefault("transferred_on", None)
    return payload
