"""One task of an approved plan, ticked off on its own (挂图作战、对账销号, 000:L30): the unit
reports it done, and the office closes it out (销号) or returns it with a new due date. On the
issue's stream (type ``issue``), so an issue's history holds its tasks'.

``attempt`` counts a task's turns: 1 from the plan's approval, one more after each return; each
turn has its own deadline (``rectification.task_due``, R1), keyed by the task and the turn."""

from __future__ import annotations

from datetime import date
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from xuncha_shared.contracts.common import LongText, ShortText
from xuncha_shared.contracts.rectification.issues import EvidenceRef
from xuncha_shared.envelope import EventPayload

#: a task's turns at most (its first and the returns after it)
MAX_ATTEMPTS = 100


class RectificationTaskCompleted(EventPayload):
    """整改任务完成: the unit (or the office for it) reports one task of the plan done, on
    ``completed_on``, with what was done and the evidence it cites."""

    event_type: ClassVar[str] = "rectification.RectificationTaskCompleted"
    schema_version: ClassVar[int] = 1

    issue_id: UUID
    task_id: UUID
    attempt: int = Field(ge=1, le=MAX_ATTEMPTS)
    completed_on: date
    note: LongText
    evidence: list[EvidenceRef] = Field(default_factory=list, max_length=50)


class RectificationTaskClosedOut(EventPayload):
    """整改任务销号: the office checked a task reported done against the ledger and ticks it off
    (对账销号 of one task; the issue's own close-out still follows its verification)."""

    event_type: ClassVar[str] = "rectification.RectificationTaskClosedOut"
    schema_version: ClassVar[int] = 1

    issue_id: UUID
    task_id: UUID
    attempt: int = Field(ge=1, le=MAX_ATTEMPTS)
    note: LongText


class RectificationTaskReturned(EventPayload):
    """整改任务退回: the office does not accept a task reported done; it goes back to the unit
    with the reason and the day it is now due (the next ``attempt``)."""

    event_type: ClassVar[str] = "rectification.RectificationTaskReturned"
    schema_version: ClassVar[int] = 1

    issue_id: UUID
    task_id: UUID
    attempt: int = Field(ge=2, le=MAX_ATTEMPTS, description="the task's turn that starts now")
    reason: LongText
    due_on: date
    owner: ShortText = Field(description="the task's owner (责任人), whom its new deadline names")
