"""Service layer of rectification: command handlers (HTTP).

Both commands run the shared command loop (``xuncha_shared.aggregates``). A feedback appends one
``IssueFedBack`` per problem, each on its own ``issue`` stream, all in one unit of work with their
read-model rows: a feedback is recorded whole or not at all. A report loads the issue's stream,
lets the model decide and appends with the version it read.

Deadlines (R1) ride on the command loop's reactions (``adapters/deadlines.py``): the feedback
starts them and a formal report satisfies them in the same unit of work. Events take effect at
the service's clock (``now``; tests move it).

Plans (``domain/plans.py``) run their own command loop; approving one records ``PlanApproved``
and each issue's ``IssuePlanned`` in one unit of work. Supervisions and red-line warnings are
one-event streams of type ``oversight``. A publication (两公开, R5) is a one-event stream of type
``publication``, its id derived from what it makes known to whom (``PublicationHandlers``).

Five consumers: ``rectification.hearings`` keeps the hearings of
``clues.inspection-report.v1`` (R16) in ``heard_report``, in the inbox's transaction;
``rectification.clues`` keeps the clues of ``clues.clue.v1`` and their jurisdictions in
``known_clue`` (R25); ``rectification.rounds`` keeps the rounds of ``intake.round.v1`` in
``round_name``, so that the issues and plans name their round; ``rectification.round-units``
keeps the rounds' units and modes in ``round_unit`` (a 回头看 held by a round, R18);
``rectification.units`` keeps the units of ``intake.unit.v1`` in ``known_unit`` (an opinion on a
cadre finds the unit by the name intake registered, R4).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from xuncha_shared.aggregates import Aggregates
from xuncha_shared.consumer import EventHandler
from xuncha_shared.contracts.clues import ClueEscalated, ClueRegistered, InspectionReportHeard
from xuncha_shared.contracts.intake import (
    RoundClosed,
    RoundPlanned,
    RoundUnitsAssigned,
    UnitRegistered,
)
from xuncha_shared.domain.commands import Meta
from xuncha_shared.envelope import EventEnvelope, EventPayload

from xuncha_rectification.adapters.read_model import IssueReadModel
from xuncha_rectification.adapters.rounds import (
    record_round,
    record_round_closed,
    record_round_units,
    record_unit,
)
from xuncha_rectification.adapters.tables import RectificationTables, record_clue, record_hearing
from xuncha_rectification.domain import common_lists, model
from xuncha_rectification.domain import plans as plan_model
from xuncha_rectification.domain import revisits as revisit_model
from xuncha_rectification.domain import tasks as task_model
from xuncha_rectification.domain.commands import (
    CloseOut,
    FeedBack,
    ReportRectification,
    VerifyRectification,
)
from xuncha_rectification.domain.common_lists import CommonList
from xuncha_rectification.domain.issue import (
    Issue,
    IssueStatus,
    UnknownIssue,
    local_date,
    unknown_issue_detail,
)
from xuncha_rectification.domain.model import ISSUE
from xuncha_rectification.domain.plans import Oversight, Plan
from xuncha_rectification.domain.revisits import ClosedIssue, Revisit
from xuncha_rectification.domain.rounds import HoldingRound

#: a unit's closed-out issues sharing a topic (jurisdiction, unit id, unit name, topics), R19
ClosedIssues = Callable[[str, UUID | None, str, Sequence[str]], Awaitable[list[ClosedIssue]]]

#: consumer group (and inbox name) keeping intake's units by name (R4's inspection record)
UNITS_CONSUMER = "rectification.units"
#: consumer group (and inbox name) keeping the hearings (R16)
HEARINGS_CONSUMER = "rectification.hearings"
#: consumer group (and inbox name) keeping the clues and their jurisdictions (R25)
CLUES_CONSUMER = "rectification.clues"
#: consumer group (and inbox name) keeping the rounds' names
ROUNDS_CONSUMER = "rectification.rounds"
#: consumer group (and inbox name) keeping the rounds' units and modes (R18: a round's 回头看);
#: a group of its own, so that it reads ``intake.round.v1`` from its beginning
ROUND_UNITS_CONSUMER = "rectification.round-units"


@dataclass(frozen=True)
class FeedbackRecorded:
    feedback_id: UUID
    issues: list[Issue]


def _existing(state: Issue, issue_id: UUID) -> Issue:
    if not state.exists:
        raise UnknownIssue(unknown_issue_detail(issue_id))
    return state


@dataclass
class RectificationHandlers:
    #: the issue aggregates (their command loop updates ``read_model``)
    issues: Aggregates[Issue]
    #: ``issue_view``, the ledger's list
    read_model: IssueReadModel
    #: the service's clock: when commands take effect (feedback date, report time)
    now: Callable[[], datetime]
    #: the plan aggregates (their loop updates ``plan_view``)
    plans: Aggregates[Plan]
    #: supervisions and red-line warnings
    oversight: Aggregates[Oversight]
    #: hearings, evidence, plans and oversight tables
    tables: RectificationTables
    #: R19: the unit's closed-out issues by topic (``adapters/recurrence.py``)
    closed_issues: ClosedIssues | None = None

    async def get(self, issue_id: UUID) -> Issue:
        return _existing(await self.issues.load(issue_id), issue_id)

    async def get_plan(self, plan_id: UUID) -> Plan:
        plan = await self.plans.load(plan_id)
        if not plan.exists:
            raise plan_model.UnknownPlan(plan_model.unknown_plan_detail(plan_id))
        return plan

    async def feed_back(self, cmd: FeedBack, meta: Meta) -> FeedbackRecorded:
        heard, round_closed = True, False
        if cmd.round_id is not None and cmd.unit_id is not None:
            heard = await self.tables.heard(cmd.round_id, cmd.unit_id)
            round_closed = cmd.during_stationing and await self.tables.round_closed(cmd.round_id)
        cited = [c for i in cmd.issues for c in i.clue_ids]
        own = await self.tables.clues_of(cmd.jurisdiction, cited) if cited else frozenset()
        events = model.decide_feedback(cmd, heard, own_clues=own, round_closed=round_closed)
        issues = [ISSUE.initial() for _ in events]
        meta = replace(meta, occurred_at=cmd.fed_back_at)
        recurrences: list[list[EventPayload]] = []
        for event in events:  # R19: the same topic fed back after a close-out recurs
            closed = []
            if self.closed_issues is not None and event.topics:
                closed = await self.closed_issues(
                    event.jurisdiction, event.unit_id, event.unit, event.topics
                )
            recurrences.append(list(revisit_model.detect_recurrence(event, closed)))
        async with self.issues.transaction() as tx:
            for issue, event, found in zip(issues, events, recurrences, strict=True):
                await self.issues.record(tx, event.issue_id, issue, [event, *found], meta)
        return FeedbackRecorded(feedback_id=cmd.feedback_id, issues=issues)

    async def _decide(
        self, issue_id: UUID, decide: Callable[[Issue], list[EventPayload]], meta: Meta
    ) -> Issue:
        """One command on an existing issue: its decision over the state the loop loads."""
        return await self.issues.execute(issue_id, lambda s: decide(_existing(s, issue_id)), meta)

    async def report(self, issue_id: UUID, cmd: ReportRectification, meta: Meta) -> Issue:
        return await self._decide(issue_id, lambda s: model.decide_report(s, cmd), meta)

    async def verify(self, issue_id: UUID, cmd: VerifyRectification, meta: Meta) -> Issue:
        return await self._decide(issue_id, lambda s: model.decide_verify(s, cmd), meta)

    async def close_out(self, issue_id: UUID, cmd: CloseOut, meta: Meta) -> Issue:
        return await self._decide(issue_id, lambda s: model.decide_close_out(s, cmd), meta)

    async def complete_task(
        self, issue_id: UUID, task_id: UUID, cmd: task_model.CompleteTask, meta: Meta
    ) -> Issue:
        today = local_date(self.now())
        return await self._decide(
            issue_id, lambda s: task_model.decide_complete(s, task_id, cmd, today), meta
        )

    async def close_out_task(
        self, issue_id: UUID, task_id: UUID, cmd: task_model.CloseOutTask, meta: Meta
    ) -> Issue:
        return await self._decide(
            issue_id, lambda s: task_model.decide_close_out_task(s, task_id, cmd), meta
        )

    async def return_task(
        self, issue_id: UUID, task_id: UUID, cmd: task_model.ReturnTask, meta: Meta
    ) -> Issue:
        today = local_date(self.now())
        return await self._decide(
            issue_id, lambda s: task_model.decide_return(s, task_id, cmd, today), meta
        )

    async def fed_back_issues(self, round_id: UUID, unit_id: UUID) -> list[Issue]:
        """The problem list of a plan: the issues fed back to the unit in the round."""
        rows = await self.read_model.list(
            "______", unit_id=unit_id, round_id=round_id, limit=500, offset=0
        )
        return [await self.get(r.issue_id) for r in rows]

    async def submit_plan(self, cmd: plan_model.SubmitPlan, meta: Meta) -> Plan:
        fed_back = [
            plan_model.FedBackIssue(
                issue_id=i.issue_id,
                due_date=i.due_date,
                closed_out=i.status is IssueStatus.CLOSED_OUT,
            )
            for i in await self.fed_back_issues(cmd.round_id, cmd.unit_id)
            if i.issue_id is not None
        ]
        return await self.plans.execute(
            cmd.plan_id, lambda s: plan_model.decide_submit(s, cmd, fed_back), meta
        )

    async def return_plan(self, plan_id: UUID, reason: str, meta: Meta) -> Plan:
        return await self.plans.execute(
            plan_id, lambda s: plan_model.decide_return(s, reason), meta
        )

    async def approve_plan(self, plan_id: UUID, meta: Meta) -> Plan:
        """The plan's approval and each issue's tasks, in one unit of work."""
        plan = await self.get_plan(plan_id)
        events = plan_model.decide_approve(plan)
        issues = {i: await self.get(i) for i in plan.issue_ids}
        decided = {
            i: model.decide_plan(state, plan_id, [t for t in plan.tasks if t.issue_id == i])
            for i, state in issues.items()
        }
        async with self.plans.transaction() as tx:
            await self.plans.record(tx, plan_id, plan, events, meta)
            for issue_id, issue_events in decided.items():
                await self.issues.record(tx, issue_id, issues[issue_id], issue_events, meta)
        return plan

    async def supervise(
        self, unit: plan_model.UnitIssues, cmd: plan_model.Supervise, meta: Meta
    ) -> Oversight:
        today = local_date(self.now())
        return await self.oversight.execute(
            cmd.supervision_id, lambda _s: plan_model.decide_supervise(unit, cmd, today), meta
        )

    async def warn_red_line(
        self, unit: plan_model.UnitIssues, cmd: plan_model.WarnRedLine, meta: Meta
    ) -> Oversight:
        return await self.oversight.execute(
            cmd.warning_id, lambda _s: plan_model.decide_red_line(unit, cmd), meta
        )


def keep_hearings() -> EventHandler:
    """``clues.InspectionReportHeard`` → a ``heard_report`` row (R16), in the consumer's
    transaction; other events of the topic are ignored."""

    async def handle(conn: Any, envelope: EventEnvelope, payload: EventPayload) -> None:
        if isinstance(payload, InspectionReportHeard):
            await record_hearing(conn, envelope.event_id, payload)

    return handle


def keep_clues() -> EventHandler:
    """``clues.ClueRegistered`` → the clue belongs to its jurisdiction; ``clues.ClueEscalated``
    → to the receiving (city) jurisdiction too (R25), in the consumer's transaction; other
    events of the topic are ignored."""

    async def handle(conn: Any, envelope: EventEnvelope, payload: EventPayload) -> None:
        if isinstance(payload, ClueRegistered):
            await record_clue(conn, envelope.event_id, payload.clue_id, payload.jurisdiction)
        elif isinstance(payload, ClueEscalated):
            await record_clue(conn, envelope.event_id, payload.clue_id, payload.to_jurisdiction)

    return handle


def keep_round_units() -> EventHandler:
    """``intake.RoundUnitsAssigned`` → its ``round_unit`` rows, in the consumer's transaction;
    the topic's other events are ignored."""

    async def handle(conn: Any, envelope: EventEnvelope, payload: EventPayload) -> None:
        if isinstance(payload, RoundUnitsAssigned):
            await record_round_units(conn, envelope.event_id, payload)

    return handle


def keep_units() -> EventHandler:
    """``intake.UnitRegistered`` → a ``known_unit`` row, in the consumer's transaction."""

    async def handle(conn: Any, envelope: EventEnvelope, payload: EventPayload) -> None:
        if isinstance(payload, UnitRegistered):
            await record_unit(conn, envelope.event_id, payload)

    return handle


def keep_rounds() -> EventHandler:
    """``intake.RoundPlanned`` → a ``round_name`` row and ``intake.RoundClosed`` → its
    ``closed`` mark, in the consumer's transaction; the topic's other events (units assigned,
    authorised) are ignored."""

    async def handle(conn: Any, envelope: EventEnvelope, payload: EventPayload) -> None:
        if isinstance(payload, RoundPlanned):
            await record_round(conn, envelope.event_id, payload)
        elif isinstance(payload, RoundClosed):
            await record_round_closed(conn, payload.round_id)

    return handle


@dataclass
class RevisitHandlers:
    """回头看 (R18) and common-problem lists (未巡先改); a revisit's findings and each reopened
    issue's ``IssueReopened`` + ``RecurrenceDetected`` (R19) are one unit of work."""

    issues: Aggregates[Issue]
    revisits: Aggregates[Revisit]
    lists: Aggregates[CommonList]
    now: Callable[[], datetime]
    #: a round of a jurisdiction as holding a 回头看 of a unit (``RectificationTables``)
    holding_round: Callable[[UUID, str | None, UUID], Awaitable[HoldingRound | None]]

    async def get_revisit(self, revisit_id: UUID) -> Revisit:
        revisit = await self.revisits.load(revisit_id)
        if not revisit.exists:
            raise revisit_model.UnknownRevisit(revisit_model.unknown_revisit_detail(revisit_id))
        return revisit

    async def get_list(self, list_id: UUID) -> CommonList:
        common = await self.lists.load(list_id)
        if not common.exists:
            raise common_lists.UnknownCommonList(common_lists.unknown_list_detail(list_id))
        return common

    async def schedule(self, cmd: revisit_model.ScheduleRevisit, meta: Meta) -> Revisit:
        today = local_date(self.now())
        holding = None
        if cmd.in_round_id is not None:
            holding = await self.holding_round(cmd.in_round_id, cmd.jurisdiction, cmd.unit_id)
        return await self.revisits.execute(
            cmd.revisit_id,
            lambda s: revisit_model.decide_schedule(s, cmd, today, holding),
            meta,
        )

    async def record_findings(
        self,
        revisit_id: UUID,
        cmd: revisit_model.RecordFindings,
        unit_issue_ids: frozenset[UUID],
        meta: Meta,
    ) -> Revisit:
        revisit = await self.get_revisit(revisit_id)
        today = local_date(self.now())
        events = revisit_model.decide_findings(revisit, cmd, unit_issue_ids, today)
        reopened = {i: await self.issues.load(i) for i in dict.fromkeys(cmd.reopened_issue_ids)}
        decided = {
            i: revisit_model.decide_reopen(
                state, revisit_id, "回头看发现问题反弹回潮", revisit.scheduled_on
            )
            for i, state in reopened.items()
        }
        async with self.revisits.transaction() as tx:
            await self.revisits.record(tx, revisit_id, revisit, events, meta)
            for issue_id, issue_events in decided.items():
                await self.issues.record(tx, issue_id, reopened[issue_id], issue_events, meta)
        return revisit

    async def issue_list(self, cmd: common_lists.IssueCommonList, meta: Meta) -> CommonList:
        return await self.lists.execute(
            cmd.list_id, lambda s: common_lists.decide_issue_list(s, cmd), meta
        )

    async def self_check(
        self, list_id: UUID, cmd: common_lists.SelfCheck, meta: Meta
    ) -> CommonList:
        await self.get_list(list_id)
        return await self.lists.execute(
            list_id, lambda s: common_lists.decide_self_check(s, cmd), meta
        )

    async def urge_self_check(
        self, list_id: UUID, cmd: common_lists.UrgeSelfCheck, meta: Meta
    ) -> CommonList:
        """催报: the list's units that have not sent their self-check in, chased today."""
        await self.get_list(list_id)
        today = local_date(self.now())
        return await self.lists.execute(
            list_id, lambda s: common_lists.decide_urge(s, cmd, today), meta
        )


# the use of results (两公开, opinions on cadres): their own module
from xuncha_rectification.handlers.results import (  # noqa: E402
    CadreOpinionHandlers as CadreOpinionHandlers,
)
from xuncha_rectification.handlers.results import (  # noqa: E402
    PublicationHandlers as PublicationHandlers,
)
