"""Revisits (回头看, R18), recurrence (R19) and common problems (未巡先改)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from xuncha_shared.contracts.common import JurisdictionCode, LongText, ShortText
from xuncha_shared.envelope import EventPayload, JsonDict


class IssueReopenedV1(EventPayload):
    """Legacy form (schema 1): without whether the issue had been closed out."""

    event_type: ClassVar[str] = "rectification.IssueReopened"
    schema_version: ClassVar[int] = 1

    issue_id: UUID
    revisit_id: UUID
    note: LongText = ""


def upcast_issue_reopened_v1(payload: JsonDict) -> JsonDict:
    """v1 -> v2: a reopening recorded before v2 does not say whether the issue had been closed
    out; read as not (views that count close-outs then keep counting it, as they did)."""
    payload.setdefault("was_closed_out", False)
    return payload


class IssueReopened(EventPayload):
    """回头看 reopened a verified or closed-out issue: it goes back to in progress (schema 2:
    ``was_closed_out`` says whether it had been closed out (对账销号) or only verified, so a
    count of closed-out issues can take it back)."""

    event_type: ClassVar[str] = "rectification.IssueReopened"
    schema_version: ClassVar[int] = 2

    issue_id: UUID
    revisit_id: UUID
    note: LongText = ""
    was_closed_out: bool


class RecurrenceCause(StrEnum):
    FED_BACK_AGAIN = "fed_back_again"  # the same topic fed back again after a close-out
    REOPENED = "reopened"  # reopened by a revisit


class RecurrenceDetected(EventPayload):
    """改了再犯 (R19), detected by the service: ``issue_id`` (the new or reopened issue) recurs
    ``earlier_issue_id`` (the closed-out issue of the same unit and topic; the issue itself when
    a revisit reopened it). On the issue's stream."""

    event_type: ClassVar[str] = "rectification.RecurrenceDetected"
    schema_version: ClassVar[int] = 1

    issue_id: UUID
    earlier_issue_id: UUID
    jurisdiction: JurisdictionCode
    unit_id: UUID | None = None
    unit: ShortText
    topics: list[ShortText] = Field(default_factory=list)
    cause: RecurrenceCause
    revisit_id: UUID | None = None


class RevisitScheduledV1(EventPayload):
    """Legacy form (schema 1): without the round that held the revisit."""

    event_type: ClassVar[str] = "rectification.RevisitScheduled"
    schema_version: ClassVar[int] = 1

    revisit_id: UUID
    jurisdiction: JurisdictionCode
    unit_id: UUID
    unit: ShortText
    round_id: UUID
    scheduled_on: date


def upcast_revisit_scheduled_v1(payload: JsonDict) -> JsonDict:
    """v1 -> v2: a revisit scheduled before v2 names no round that held it (read as an office's
    own revisit, which is what every v1 revisit was recorded as)."""
    payload.setdefault("in_round_id", None)
    return payload


class RevisitScheduled(EventPayload):
    """回头看 (R18) scheduled for a unit of a round (``round_id``: the round whose feedback it
    goes back to). Stream type ``revisit``. Schema 2: ``in_round_id`` is the later round that
    holds it, one naming the unit in mode ``revisit`` (巡察"回头看"); none when the office
    revisits the unit itself, outside a round. ``round_id`` is none for a revisit held by a
    round of a unit whose earlier inspection fed back nothing on this system (one before the
    office moved onto it)."""

    event_type: ClassVar[str] = "rectification.RevisitScheduled"
    schema_version: ClassVar[int] = 2

    revisit_id: UUID
    jurisdiction: JurisdictionCode
    unit_id: UUID
    unit: ShortText
    round_id: UUID | None
    scheduled_on: date
    in_round_id: UUID | None

    @model_validator(mode="after")
    def _a_round_either_way(self) -> RevisitScheduled:
        if self.round_id is None and self.in_round_id is None:
            raise ValueError("a revisit names the round it goes back to or the round holding it")
        return self


class RevisitFindingsRecorded(EventPayload):
    """The findings of a revisit: issues checked, issues reopened (each also gets its
    ``IssueReopened`` and ``RecurrenceDetected``) and new problems."""

    event_type: ClassVar[str] = "rectification.RevisitFindingsRecorded"
    schema_version: ClassVar[int] = 1

    revisit_id: UUID
    jurisdiction: JurisdictionCode
    unit_id: UUID
    checked_issue_ids: list[UUID] = Field(default_factory=list)
    reopened_issue_ids: list[UUID] = Field(default_factory=list)
    new_problems: list[LongText] = Field(default_factory=list, max_length=200)


class CommonProblem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    aspect: ShortText = Field(description="方面, e.g. 落实中央八项规定精神")
    description: LongText
    topics: list[ShortText] = Field(default_factory=list, max_length=20)


class CommonProblemListIssued(EventPayload):
    """共性问题清单 of a term sent to the units of the term plan not yet inspected (未巡先改).
    Stream type ``common_problem_list``."""

    event_type: ClassVar[str] = "rectification.CommonProblemListIssued"
    schema_version: ClassVar[int] = 1

    list_id: UUID
    jurisdiction: JurisdictionCode
    term_no: int = Field(ge=1, le=1000)
    items: list[CommonProblem] = Field(min_length=1, max_length=200)
    unit_ids: list[UUID] = Field(min_length=1, max_length=1000)


class CommonProblemSelfChecked(EventPayload):
    """A unit's self-check (自查自纠) against a common-problem list."""

    event_type: ClassVar[str] = "rectification.CommonProblemSelfChecked"
    schema_version: ClassVar[int] = 1

    list_id: UUID
    jurisdiction: JurisdictionCode
    unit_id: UUID
    findings: LongText
    measures: LongText


class CommonProblemSelfCheckUrged(EventPayload):
    """催报: the office chased units a common-problem list went to for their self-check (自查
    情况), each of which had not sent it in; the units read it with the list, the office's
    list shows how often and when each was chased. ``reply_by``: the day the office asks for
    it by (none: as soon as possible); no clock runs on it."""

    event_type: ClassVar[str] = "rectification.CommonProblemSelfCheckUrged"
    schema_version: ClassVar[int] = 1

    list_id: UUID
    jurisdiction: JurisdictionCode
    unit_ids: list[UUID] = Field(min_length=1, max_length=1000)
    note: LongText = Field(description="催报意见: what the office asks of the units")
    urged_on: date = Field(description="the day (China Standard Time) of the urge")
    reply_by: date | None = Field(default=None, description="报送期限 asked (China time)")
