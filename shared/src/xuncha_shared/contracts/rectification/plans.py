"""A unit's rectification plan (整改方案) with its three lists, returned or approved, and the
tasks it gives each issue (stream type ``rectification_plan``)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from xuncha_shared.contracts.common import JurisdictionCode, LongText, ShortText
from xuncha_shared.envelope import EventPayload


class TaskType(StrEnum):
    """The plan's task types (立行立改/限期整改/长期坚持; the seeds' 马上改/抓紧改/深入改)."""

    IMMEDIATE = "immediate"
    TIME_BOUND = "time_bound"
    LONG_TERM = "long_term"


class PlanTask(BaseModel):
    """One line of the task list (任务清单) and responsibility list (责任清单)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task_id: UUID
    issue_id: UUID
    measure: LongText
    owner: ShortText
    type: TaskType
    due_on: date


class PlanSubmitted(EventPayload):
    """整改方案报送: a unit's plan with its three lists (问题清单/任务清单/责任清单), first or
    again after a return (``revision`` counts from 1). Stream type ``rectification_plan``."""

    event_type: ClassVar[str] = "rectification.PlanSubmitted"
    schema_version: ClassVar[int] = 1

    plan_id: UUID
    round_id: UUID
    unit_id: UUID
    jurisdiction: JurisdictionCode
    unit: ShortText
    responsible_leader: ShortText
    revision: int = Field(ge=1, le=1000)
    issue_ids: list[UUID] = Field(min_length=1)
    tasks: list[PlanTask] = Field(min_length=1)


class PlanReturned(EventPayload):
    """整改方案退回: the office sends the plan back with its reason."""

    event_type: ClassVar[str] = "rectification.PlanReturned"
    schema_version: ClassVar[int] = 1

    plan_id: UUID
    revision: int = Field(ge=1, le=1000)
    reason: LongText


class PlanApproved(EventPayload):
    """整改方案审核通过: the office approves the plan; its tasks start."""

    event_type: ClassVar[str] = "rectification.PlanApproved"
    schema_version: ClassVar[int] = 1

    plan_id: UUID
    revision: int = Field(ge=1, le=1000)


class IssuePlanned(EventPayload):
    """The issue's tasks of an approved plan (状态: 已制定方案)."""

    event_type: ClassVar[str] = "rectification.IssuePlanned"
    schema_version: ClassVar[int] = 1

    issue_id: UUID
    plan_id: UUID
    tasks: list[PlanTask] = Field(min_length=1)
