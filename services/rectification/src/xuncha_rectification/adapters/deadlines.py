"""Rectification's deadlines: R1, the formal rectification report (整改报告) due 2 calendar
months after the feedback (rule ``xunshi_2015_art27``), with R10's yellow and red warnings.

``IssueFedBack`` starts it (its own ``due_date`` must be the deadline's), a formal or final
``RectificationReported`` satisfies it (met, or met_late after the due date); the deadline
worker fires ``rectification.DeadlineWarningRaised`` (yellow, red) and
``rectification.RectificationOverdue`` on the issue's stream.

Besides R1: each task of an approved plan (R1, ``TaskOverdue``), the progress-report cadence
(R15, ``ProgressReportOverdue``) and each supervised issue of a supervision order (R4,
``SupervisionOverdue``); all on the issue's stream.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from xuncha_shared.clocks import Clocks, Deadline, DeadlineKind
from xuncha_shared.clocks.clock import start_of_day
from xuncha_shared.clocks.reactions import DeadlineReactions, Ends, Starts
from xuncha_shared.clocks.rules import (
    R1_RECTIFICATION_REPORT,
    R1_TASK_DUE,
    R4_CADRE_OPINION_REPLY,
    R4_SUPERVISION_DUE,
    R10_WARNINGS,
    R15_REPORT,
)
from xuncha_shared.contracts import rectification as c
from xuncha_shared.contracts.rectification import ReportKind
from xuncha_shared.envelope import EventEnvelope, EventPayload

from xuncha_rectification.domain.cadre_opinion import office_of

Recorded = tuple[EventEnvelope, EventPayload]


def _stamp(d: Deadline) -> dict[str, Any]:
    """What every firing of a deadline says of it: which one, by which rule, due when."""
    return {
        "deadline_id": d.deadline_id,
        "rule_id": d.rule_id,
        "rule_version": d.rule_version,
        "due_date": d.due_date,
    }


def _common(d: Deadline) -> dict[str, Any]:
    return {**_stamp(d), "issue_id": UUID(d.aggregate_id), "unit": d.owner}


FORMAL_REPORT = DeadlineKind(
    name="rectification.formal_report",
    rule_id=R1_RECTIFICATION_REPORT,
    stream_type="issue",
    waits_for="rectification.RectificationReported(kind=formal)",
    warning=lambda d, colour: c.DeadlineWarningRaised(**_common(d), colour=colour.value),
    overdue=lambda d: c.RectificationOverdue(**_common(d)),
    recomputed=lambda d, old: c.DeadlineRecomputed(
        deadline_id=d.deadline_id,
        deadline_kind=d.kind,
        rule_id=d.rule_id,
        rule_version=d.rule_version,
        previous_due_date=old,
        due_date=d.due_date,
        calendar_version=d.calendar_version,
    ),
)


def task_key(task_id: object, attempt: int = 1) -> str:
    """A task's deadline of one turn: the task id for its first, ``<task>:<attempt>`` after a
    return (``RectificationTaskReturned``)."""
    return str(task_id) if attempt == 1 else f"{task_id}:{attempt}"


def _task_turn(key: str) -> tuple[UUID, int]:
    task_id, _, attempt = key.partition(":")
    return UUID(task_id), int(attempt) if attempt else 1


def _task_overdue(d: Deadline) -> c.TaskOverdue:
    task_id, attempt = _task_turn(d.key)
    return c.TaskOverdue(
        **_stamp(d),
        issue_id=UUID(d.aggregate_id),
        task_id=task_id,
        owner=d.owner,
        attempt=attempt,
    )


TASK_DUE = DeadlineKind(
    name="rectification.task_due",
    rule_id=R1_TASK_DUE,
    stream_type="issue",
    waits_for="rectification.RectificationTaskCompleted or RectificationReported(completed=true)",
    overdue=_task_overdue,
    recomputed=FORMAL_REPORT.recomputed,
)

PROGRESS_REPORT = DeadlineKind(
    name="rectification.progress_report",
    rule_id=R15_REPORT,
    stream_type="issue",
    waits_for="rectification.RectificationReported",
    overdue=lambda d: c.ProgressReportOverdue(**_common(d)),
    recomputed=FORMAL_REPORT.recomputed,
)


def supervision_key(issue_id: object, supervision_id: object) -> str:
    """One deadline per supervised issue of a supervision order (R4)."""
    return f"{issue_id}:supervision:{supervision_id}"


SUPERVISION_DUE = DeadlineKind(
    name="rectification.supervision_due",
    rule_id=R4_SUPERVISION_DUE,
    stream_type="issue",
    waits_for="rectification.RectificationReported(completed=true)",
    overdue=lambda d: c.SupervisionOverdue(
        **_stamp(d),
        issue_id=UUID(d.aggregate_id),
        supervision_id=UUID(d.key.rsplit(":", 1)[1]),
        unit=d.owner,
    ),
    recomputed=FORMAL_REPORT.recomputed,
)

CADRE_OPINION_REPLY = DeadlineKind(
    name="rectification.cadre_opinion_reply",
    rule_id=R4_CADRE_OPINION_REPLY,
    stream_type="cadre_opinion",
    waits_for="rectification.CadreOpinionGiven",
    overdue=lambda d: c.CadreOpinionOverdue(
        **_stamp(d),
        request_id=UUID(d.aggregate_id),
        office=d.owner,
    ),
    recomputed=FORMAL_REPORT.recomputed,
)

#: what the service's deadline worker fires
KINDS = (FORMAL_REPORT, TASK_DUE, PROGRESS_REPORT, SUPERVISION_DUE, CADRE_OPINION_REPLY)
#: what ``GET /api/v1/rules`` lists
RULE_IDS = (
    R1_RECTIFICATION_REPORT,
    R1_TASK_DUE,
    R4_SUPERVISION_DUE,
    R4_CADRE_OPINION_REPLY,
    R10_WARNINGS,
    R15_REPORT,
)


def progress_key(issue_id: str, index: int) -> str:
    """The n-th progress-report period of an issue (R15): one deadline per period."""
    return f"{issue_id}:progress:{index}"


#: an issue in one of these states has been reported done: a supervision has nothing to wait for
_DONE_STATES = ("reported_done", "verified", "closed_out")


class SupervisionDeadlines:
    """R4: a supervision order (督办) gives the office's due date to each supervised issue; the
    unit's report that the issue is done satisfies it (a later rejected verification does not
    reopen it: the office supervises again), the close-out cancels what is still open, and an
    issue still not reported done after the due date fires ``rectification.SupervisionOverdue``
    on its stream. An issue already reported done when supervised is satisfied at once.

    The supervised issues' rows are locked (``FOR UPDATE``) while their deadlines start, so a
    report committing at the same moment either is seen here or sees the new deadlines."""

    def __init__(self, clocks: Clocks) -> None:
        self.clocks = clocks

    async def __call__(self, conn: Any, state: Any, recorded: Sequence[Recorded]) -> None:
        for envelope, event in recorded:
            if not isinstance(event, c.SupervisionOrdered):
                continue
            rows = await conn.fetch(
                "SELECT issue_id, status FROM issue_view WHERE issue_id = ANY($1::uuid[]) "
                "ORDER BY issue_id FOR UPDATE",
                event.issue_ids,
            )
            done = {r["issue_id"] for r in rows if r["status"] in _DONE_STATES}
            for issue_id in event.issue_ids:
                key = supervision_key(issue_id, event.supervision_id)
                await self.clocks.start(
                    conn,
                    SUPERVISION_DUE,
                    key=key,
                    jurisdiction=event.jurisdiction,
                    stream_id=str(issue_id),
                    aggregate_id=str(issue_id),
                    owner=event.unit,
                    started_at=envelope.occurred_at,
                    started_by=envelope.event_id,
                    due_on=event.due_on,
                )
                if issue_id in done:
                    await self.clocks.satisfy(
                        conn, SUPERVISION_DUE.name, key, at=envelope.occurred_at,
                        by=envelope.event_id,
                    )  # fmt: skip


class TaskDeadlines:
    """Each task of an approved plan is due on the date the plan set (R1): started by
    ``IssuePlanned``, satisfied by the task's own ``RectificationTaskCompleted`` or by the report
    declaring the issue done, cancelled by the close-out; a task not done by then fires
    ``rectification.TaskOverdue``. A returned task (``RectificationTaskReturned``) starts its
    next turn's deadline, due on the day the office set (``task_key``).

    R15, the progress-report cadence: from the plan's approval, a report is due every two weeks
    until the unit reports the rectification done (again after a rejected verification); each
    report satisfies its period and opens the next; a missed one fires
    ``rectification.ProgressReportOverdue``."""

    def __init__(self, clocks: Clocks) -> None:
        self.clocks = clocks

    async def _cadence(self, conn: Any, envelope: EventEnvelope, state: Any) -> None:
        await self.clocks.start(
            conn,
            PROGRESS_REPORT,
            key=progress_key(envelope.stream_id, len(state.reports)),
            jurisdiction=envelope.jurisdiction,
            stream_id=envelope.stream_id,
            aggregate_id=envelope.stream_id,
            owner=state.unit,
            started_at=envelope.occurred_at,
            started_by=envelope.event_id,
        )

    async def _task_turn(
        self, conn: Any, envelope: EventEnvelope, event: c.RectificationTaskReturned
    ) -> None:
        await self.clocks.start(
            conn,
            TASK_DUE,
            key=task_key(event.task_id, event.attempt),
            jurisdiction=envelope.jurisdiction,
            stream_id=envelope.stream_id,
            aggregate_id=envelope.stream_id,
            owner=event.owner,
            started_at=envelope.occurred_at,
            started_by=envelope.event_id,
            due_on=event.due_on,
        )

    async def __call__(self, conn: Any, state: Any, recorded: Sequence[Recorded]) -> None:
        for envelope, event in recorded:
            if isinstance(event, c.RectificationReported):
                await self.clocks.satisfy(
                    conn, PROGRESS_REPORT.name,
                    progress_key(envelope.stream_id, len(state.reports) - 1),
                    at=envelope.occurred_at, by=envelope.event_id,
                )  # fmt: skip
                if not event.completed and state.plan_id is not None:
                    await self._cadence(conn, envelope, state)
            elif (
                isinstance(event, c.RectificationVerified)
                and event.outcome is c.VerificationOutcome.REJECTED
                and state.plan_id is not None
            ):
                await self._cadence(conn, envelope, state)
            if isinstance(event, c.IssuePlanned):
                await self._cadence(conn, envelope, state)
                for task in event.tasks:
                    await self.clocks.start(
                        conn,
                        TASK_DUE,
                        key=str(task.task_id),
                        jurisdiction=envelope.jurisdiction,
                        stream_id=envelope.stream_id,
                        aggregate_id=envelope.stream_id,
                        owner=task.owner,
                        started_at=envelope.occurred_at,
                        started_by=envelope.event_id,
                        due_on=task.due_on,
                    )
            elif isinstance(event, c.RectificationTaskCompleted):
                # as of the day the task was done (00:00 Beijing time), as the report states
                # it: met when done on or before its due date, whenever it was reported
                await self.clocks.satisfy(
                    conn, TASK_DUE.name, task_key(event.task_id, event.attempt),
                    at=start_of_day(event.completed_on), by=envelope.event_id,
                )  # fmt: skip
            elif isinstance(event, c.RectificationTaskReturned):
                await self._task_turn(conn, envelope, event)
            elif isinstance(event, c.RectificationReported) and event.completed:
                await self.clocks.satisfy_all(
                    conn, TASK_DUE.name, envelope.stream_id, at=envelope.occurred_at,
                    by=envelope.event_id,
                )  # fmt: skip
                await self.clocks.satisfy_all(
                    conn, SUPERVISION_DUE.name, envelope.stream_id, at=envelope.occurred_at,
                    by=envelope.event_id,
                )  # fmt: skip
            elif isinstance(event, c.IssueClosedOut):
                await self.clocks.cancel(
                    conn, PROGRESS_REPORT.name,
                    progress_key(envelope.stream_id, len(state.reports)),
                    at=envelope.occurred_at, by=envelope.event_id,
                )  # fmt: skip
                await self.clocks.cancel_all(
                    conn, TASK_DUE.name, envelope.stream_id, at=envelope.occurred_at,
                    by=envelope.event_id,
                )  # fmt: skip
                await self.clocks.cancel_all(
                    conn, SUPERVISION_DUE.name, envelope.stream_id, at=envelope.occurred_at,
                    by=envelope.event_id,
                )  # fmt: skip


class CadreOpinionDeadlines:
    """R4: a request for an opinion on a cadre that names the day it wants an answer by
    (``reply_by``) gives the answering office that day: started by ``CadreOpinionRequested``,
    satisfied by ``CadreOpinionGiven`` as of the day given, cancelled by the withdrawal; a
    request not answered by then fires ``rectification.CadreOpinionOverdue`` on its stream."""

    def __init__(self, clocks: Clocks) -> None:
        self.clocks = clocks

    async def __call__(self, conn: Any, state: Any, recorded: Sequence[Recorded]) -> None:
        name = CADRE_OPINION_REPLY.name
        for envelope, event in recorded:
            if isinstance(event, c.CadreOpinionRequested) and event.reply_by is not None:
                await self.clocks.start(
                    conn,
                    CADRE_OPINION_REPLY,
                    key=envelope.stream_id,
                    jurisdiction=envelope.jurisdiction,
                    stream_id=envelope.stream_id,
                    aggregate_id=envelope.stream_id,
                    owner=office_of(event.jurisdiction),
                    started_at=envelope.occurred_at,
                    started_by=envelope.event_id,
                    due_on=event.reply_by,
                )
            elif isinstance(event, c.CadreOpinionGiven):
                at = start_of_day(event.given_on)
                await self.clocks.satisfy(conn, name, envelope.stream_id, at=at,
                                          by=envelope.event_id)  # fmt: skip
            elif isinstance(event, c.CadreOpinionWithdrawn):
                await self.clocks.cancel(conn, name, envelope.stream_id, at=envelope.occurred_at,
                                         by=envelope.event_id)  # fmt: skip


def _due(event: c.IssueFedBack) -> date | None:
    return date.fromisoformat(event.due_date) if event.due_date else None


def reactions(clocks: Clocks) -> DeadlineReactions:
    """R1 started by the feedback and satisfied by the formal (or final) report."""
    return DeadlineReactions(
        clocks,
        starts=[
            Starts(c.IssueFedBack, FORMAL_REPORT, owner=lambda e, _: e.unit, due_date=_due),
        ],
        ends=[
            Ends(
                c.RectificationReported,
                FORMAL_REPORT,
                when=lambda e, _: e.kind in (ReportKind.FORMAL, ReportKind.FINAL),
            ),
        ],
    )
