"""Revisits (回头看, R18) and recurrence (改了再犯, R19). Pure. The common-problem lists (未巡先改)
are ``domain.common_lists``'.

* A revisit is scheduled by the office for a unit of a round; its findings name the issues
  checked, the issues reopened and new problems. A reopened issue (only a verified or closed-out
  one: the others are still being rectified) goes back to in progress (``IssueReopened``).
* R19, detected, never typed in: an issue fed back to a unit that already had a closed-out issue
  with one of its topics recurs it; a reopened issue recurs itself. Each records a
  ``RecurrenceDetected`` on the issue's stream linking both.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from xuncha_shared.contracts.rectification import (
    IssueFedBack,
    IssueReopened,
    RecurrenceCause,
    RecurrenceDetected,
    RevisitFindingsRecorded,
    RevisitScheduled,
    VerificationOutcome,
)
from xuncha_shared.domain.aggregates import AggregateKind
from xuncha_shared.domain.errors import InvalidCommand, NotFoundError, RuleViolation
from xuncha_shared.domain.paper_days import TERM_YEARS, earliest_paper_day
from xuncha_shared.envelope import EventPayload

from xuncha_rectification.domain.issue import Issue, IssueStatus, illegal, local_date
from xuncha_rectification.domain.rounds import HoldingRound

REVISIT_STREAM_TYPE = "revisit"

#: states from which a revisit may reopen an issue
REOPENABLE = frozenset({IssueStatus.VERIFIED, IssueStatus.CLOSED_OUT})


class UnknownRevisit(NotFoundError):
    """No revisit has this id (or the reader may not see it): 404."""


def unknown_revisit_detail(revisit_id: UUID) -> str:
    return f"未找到回头看 {revisit_id} / unknown revisit {revisit_id}"


# --- recurrence (R19) -------------------------------------------------------------------------


@dataclass(frozen=True)
class ClosedIssue:
    """An earlier closed-out issue of a unit, with its topics."""

    issue_id: UUID
    topics: tuple[str, ...]


def detect_recurrence(fed: IssueFedBack, closed: Iterable[ClosedIssue]) -> list[RecurrenceDetected]:
    """R19: one ``RecurrenceDetected`` per earlier closed-out issue of the same unit sharing a
    topic with ``fed`` (``closed`` are that unit's closed-out issues)."""
    topics = set(fed.topics)
    found: list[RecurrenceDetected] = []
    for earlier in closed:
        shared = [t for t in earlier.topics if t in topics]
        if earlier.issue_id == fed.issue_id or not shared:
            continue
        found.append(
            RecurrenceDetected(
                issue_id=fed.issue_id,
                earlier_issue_id=earlier.issue_id,
                jurisdiction=fed.jurisdiction,
                unit_id=fed.unit_id,
                unit=fed.unit,
                topics=shared,
                cause=RecurrenceCause.FED_BACK_AGAIN,
            )
        )
    return found


def reopenable_since(state: Issue) -> date | None:
    """The day (China time) a verified or closed-out issue became so: its close-out's, else its
    last accepted verification's; None for an issue in another state."""
    if state.status is IssueStatus.CLOSED_OUT and state.closed_out_at is not None:
        return local_date(state.closed_out_at)
    accepted = [v.at for v in state.verifications if v.outcome is VerificationOutcome.ACCEPTED]
    if state.status is IssueStatus.VERIFIED and accepted and accepted[-1] is not None:
        return local_date(accepted[-1])
    return None


def decide_reopen(
    state: Issue, revisit_id: UUID, note: str, revisit_day: date | None = None
) -> list[EventPayload]:
    """回头看 reopens a verified or closed-out issue (back to in progress) and records the
    recurrence (R19); a revisit held on ``revisit_day`` judges only what was verified or closed
    out by then (it cannot overturn a close-out that came after it)."""
    if state.issue_id is None or not state.exists:
        raise RuleViolation("未找到该问题 / unknown issue")
    if state.status not in REOPENABLE:
        raise illegal(
            state, ("重新整改", "only a verified or closed-out issue is reopened by a revisit")
        )
    since = reopenable_since(state)
    if revisit_day is not None and since is not None and since > revisit_day:
        done = "销号" if state.status is IssueStatus.CLOSED_OUT else "核实"
        raise InvalidCommand(
            f"“{state.description}”于 {since} {done}，晚于回头看日期 {revisit_day}，不能由该回头看"
            f"退回重新整改 / the issue was {state.status.value} on {since}, after the revisit's "
            f"day {revisit_day}"
        )
    return [
        IssueReopened(
            issue_id=state.issue_id,
            revisit_id=revisit_id,
            note=note,
            was_closed_out=state.status is IssueStatus.CLOSED_OUT,
        ),
        RecurrenceDetected(
            issue_id=state.issue_id,
            earlier_issue_id=state.issue_id,
            jurisdiction=state.jurisdiction,
            unit_id=state.unit_id,
            unit=state.unit,
            topics=list(state.topics),
            cause=RecurrenceCause.REOPENED,
            revisit_id=revisit_id,
        ),
    ]


# --- revisits (R18) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleRevisit:
    revisit_id: UUID
    jurisdiction: str
    unit_id: UUID
    unit: str
    #: the round whose feedback it goes back to; None: the unit's earlier inspection fed back
    #: nothing on this system, so a round holding the revisit is named instead
    round_id: UUID | None
    scheduled_on: date
    #: the later round holding the revisit (mode ``revisit``); None: the office's own
    in_round_id: UUID | None = None


@dataclass(frozen=True)
class RecordFindings:
    checked_issue_ids: tuple[UUID, ...]
    reopened_issue_ids: tuple[UUID, ...]
    new_problems: tuple[str, ...]


@dataclass
class Revisit:
    revisit_id: UUID | None = None
    jurisdiction: str = ""
    unit_id: UUID | None = None
    unit: str = ""
    round_id: UUID | None = None
    scheduled_on: date | None = None
    in_round_id: UUID | None = None
    findings_recorded: bool = False
    checked_issue_ids: list[UUID] = field(default_factory=list)
    reopened_issue_ids: list[UUID] = field(default_factory=list)
    new_problems: list[str] = field(default_factory=list)
    version: int = 0

    @property
    def exists(self) -> bool:
        return self.version > 0


def unknown_holding_round_detail(round_id: UUID) -> str:
    return f"未找到开展回头看的巡察轮次 {round_id} / unknown round {round_id}"


def check_holding_round(cmd: ScheduleRevisit, holding: HoldingRound | None) -> None:
    """A revisit held by a round (巡察"回头看", R18): the round is of the revisit's jurisdiction
    (another's reads as unknown), names the unit in mode ``revisit``, is not the round whose
    feedback is revisited, and the revisit's day is not before the round starts (its findings
    may be entered after the round's stationing ends)."""
    if cmd.in_round_id is None:
        if cmd.round_id is None:
            raise InvalidCommand(
                "请选择回访的反馈轮次或开展回头看的轮次 / name the round revisited or the round "
                "holding the revisit"
            )
        return
    if holding is None or holding.round_id != cmd.in_round_id:
        raise InvalidCommand(unknown_holding_round_detail(cmd.in_round_id))
    name = holding.round.name
    if cmd.in_round_id == cmd.round_id:
        raise InvalidCommand(
            f"开展回头看的轮次不能是被回访的反馈轮次（{name}） / in_round_id is the round whose "
            "feedback is revisited"
        )
    if holding.unit_mode != "revisit":
        raise InvalidCommand(
            f"{name}未以“回头看”方式巡察{cmd.unit} / the round does not assign the unit in mode "
            "revisit"
        )
    if cmd.scheduled_on < holding.starts_on:
        raise InvalidCommand(
            f"回头看日期不能早于{name}开始日期 {holding.starts_on} / scheduled_on "
            f"{cmd.scheduled_on} is before the round starts"
        )


def decide_schedule(
    state: Revisit, cmd: ScheduleRevisit, today: date, holding: HoldingRound | None = None
) -> list[EventPayload]:
    """Schedule (or enter, when already held) a revisit; ``holding``: the round named by
    ``cmd.in_round_id`` as the revisit's jurisdiction knows it (None when not known)."""
    if state.exists:
        raise RuleViolation("该回头看已安排 / the revisit exists already")
    # a revisit already held is entered with its day, as written on paper (R26): not more than
    # a term back; one to come, with the day it is planned for
    earliest = earliest_paper_day(today)
    if cmd.scheduled_on < earliest:
        raise InvalidCommand(
            f"回头看日期不能早于 {earliest}（补录已开展的回头看不超过五年） / scheduled_on "
            f"{cmd.scheduled_on} is more than {TERM_YEARS} years back"
        )
    check_holding_round(cmd, holding)
    return [
        RevisitScheduled(
            revisit_id=cmd.revisit_id,
            jurisdiction=cmd.jurisdiction,
            unit_id=cmd.unit_id,
            unit=cmd.unit,
            round_id=cmd.round_id,
            scheduled_on=cmd.scheduled_on,
            in_round_id=cmd.in_round_id,
        )
    ]


def decide_findings(
    state: Revisit,
    cmd: RecordFindings,
    unit_issue_ids: frozenset[UUID],
    today: date | None = None,
) -> list[EventPayload]:
    """The findings, once per revisit and not before its day (``today``: China time); the
    issues named must be the unit's."""
    if not state.exists or state.revisit_id is None or state.unit_id is None:
        raise UnknownRevisit("未找到回头看 / unknown revisit")
    if today is not None and state.scheduled_on is not None and today < state.scheduled_on:
        raise RuleViolation(
            f"回头看定于 {state.scheduled_on} 开展，尚未开展，不能登记发现 / the revisit is "
            f"scheduled for {state.scheduled_on}: its findings cannot be recorded before"
        )
    if state.findings_recorded:
        raise RuleViolation(
            "该回头看已登记发现，不能重复登记 / the revisit's findings are recorded already"
        )
    named = [*cmd.checked_issue_ids, *cmd.reopened_issue_ids]
    if not named and not cmd.new_problems:
        raise InvalidCommand(
            "请至少列出一个检查的问题或新发现的问题 / name an issue checked or a new problem"
        )
    foreign = [i for i in dict.fromkeys(named) if i not in unit_issue_ids]
    if foreign:
        raise InvalidCommand(
            f"所列问题不是该单位的反馈问题 / not issues of this unit: "
            f"{', '.join(str(i) for i in foreign)}"
        )
    reopened = list(dict.fromkeys(cmd.reopened_issue_ids))
    checked = list(dict.fromkeys([*cmd.checked_issue_ids, *reopened]))
    return [
        RevisitFindingsRecorded(
            revisit_id=state.revisit_id,
            jurisdiction=state.jurisdiction,
            unit_id=state.unit_id,
            checked_issue_ids=checked,
            reopened_issue_ids=reopened,
            new_problems=[p for p in cmd.new_problems if p.strip()],
        )
    ]


def evolve_revisit(state: Revisit, event: EventPayload, at: datetime | None = None) -> Revisit:
    if isinstance(event, RevisitScheduled):
        state.revisit_id = event.revisit_id
        state.jurisdiction = event.jurisdiction
        state.unit_id = event.unit_id
        state.unit = event.unit
        state.round_id = event.round_id
        state.scheduled_on = event.scheduled_on
        state.in_round_id = event.in_round_id
    elif isinstance(event, RevisitFindingsRecorded):
        state.findings_recorded = True
        state.checked_issue_ids = list(event.checked_issue_ids)
        state.reopened_issue_ids = list(event.reopened_issue_ids)
        state.new_problems = list(event.new_problems)
    state.version += 1
    return state


def revisit_jurisdiction(state: Revisit, event: EventPayload) -> str:
    return event.jurisdiction if isinstance(event, RevisitScheduled) else state.jurisdiction


REVISIT = AggregateKind(
    stream_type=REVISIT_STREAM_TYPE,
    initial=Revisit,
    evolve=evolve_revisit,
    jurisdiction_of=revisit_jurisdiction,
)
