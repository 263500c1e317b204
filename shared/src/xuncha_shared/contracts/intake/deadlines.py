"""Deadlines of intake recomputed once a year's holiday schedule is known."""

from __future__ import annotations

from datetime import date
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from xuncha_shared.contracts.common import ShortText
from xuncha_shared.envelope import EventPayload, JsonDict


class DeadlineRecomputedV1(EventPayload):
    """期限重算: a provisional due date (counted on weekends only, the year's holiday schedule
    unknown) replaced by the final one once the schedule is known."""

    event_type: ClassVar[str] = "intake.DeadlineRecomputed"
    schema_version: ClassVar[int] = 1

    deadline_id: UUID
    deadline_kind: ShortText
    rule_id: ShortText
    rule_version: int = Field(ge=1, le=1_000_000)
    previous_due_date: date
    due_date: date
    calendar_version: ShortText


class DeadlineRecomputed(EventPayload):
    """期限重算: a provisional due date (counted on weekends only, the year's holiday schedule
    unknown) replaced by the final one once the schedule is known (schema 2: with the
    deadline's key, which differs from the stream id for a group's stationing, R14)."""

    event_type: ClassVar[str] = "intake.DeadlineRecomputed"
    schema_version: ClassVar[int] = 2

    deadline_id: UUID
    deadline_kind: ShortText
    deadline_key: ShortText | None = Field(
        default=None, description="the deadline's key; None: the stream id (schema 1)"
    )
    rule_id: ShortText
    rule_version: int = Field(ge=1, le=1_000_000)
    previous_due_date: date
    due_date: date
    calendar_version: ShortText


def upcast_deadline_recomputed_v1(payload: JsonDict) -> JsonDict:
    """v1 -> v2: a v1 deadline was keyed by its stream id (``deadline_key`` None)."""
    payload.setdefault("deadline_key", None)
    return payload
