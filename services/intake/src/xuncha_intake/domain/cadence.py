"""R15 for a stationed group: the office dispatches (调度) its work every week and the group
reports its progress to the county office every two weeks (一周一调度、两周一报告). Pure: no I/O.

The cadence belongs to a stationing (进驻): ``GroupStationed`` starts the first week's dispatch
deadline and the first fortnight's report deadline (adapters.deadlines); each
``intake.DispatchHeld`` / ``intake.ProgressReported`` recorded here satisfies the running one
and starts the next, counted from its day; ``StationingEnded`` closes the cycle.

Both events go to the group's stream. ``GROUP_CADENCE`` reads that stream with the group's own
evolution (``groups.evolve_group``) plus the number of dispatches and reports of each
stationing, which number the events (``seq``) and so name the deadlines they satisfy.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from xuncha_shared.contracts.intake import DispatchHeld, ProgressReported
from xuncha_shared.domain.aggregates import AggregateKind
from xuncha_shared.domain.errors import InvalidCommand, RuleViolation
from xuncha_shared.domain.principals import Principal
from xuncha_shared.envelope import EventPayload

from xuncha_intake.domain import groups


class Cadence(StrEnum):
    DISPATCH = "dispatch"  # 一周一调度 (R15 weekly_dispatch)
    REPORT = "report"  # 两周一报告 (R15 biweekly_report)


@dataclass
class GroupCadence:
    """A group as ``groups.Group`` sees it, with the dispatches and reports of each
    stationing."""

    group: groups.Group = field(default_factory=groups.Group)
    counts: Counter[tuple[UUID, Cadence]] = field(default_factory=Counter)
    version: int = 0  # the group's

    @property
    def exists(self) -> bool:
        return self.group.exists


def evolve(state: GroupCadence, event: EventPayload, at: datetime | None = None) -> GroupCadence:
    groups.evolve_group(state.group, event, at)
    if isinstance(event, DispatchHeld):
        state.counts[(event.stationing_id, Cadence.DISPATCH)] += 1
    elif isinstance(event, ProgressReported):
        state.counts[(event.stationing_id, Cadence.REPORT)] += 1
    state.version = state.group.version
    return state


GROUP_CADENCE = AggregateKind(
    stream_type=groups.GROUP.stream_type,
    initial=GroupCadence,
    evolve=evolve,
    jurisdiction_of=lambda state, event: state.group.jurisdiction,
)


@dataclass(frozen=True)
class RecordCadence:
    """The office held a dispatch of the stationing's work, or the group reported its progress
    (``on`` the day it happened)."""

    stationing_id: UUID
    cadence: Cadence
    on: date
    summary: str | None = None


def decide_cadence(
    state: GroupCadence, cmd: RecordCadence, principal: Principal, today: date
) -> list[EventPayload]:
    """A dispatch or progress report of an open stationing of a group the principal sees
    (otherwise the uniform 404), not before the stationing began nor after today (422)."""
    group = state.group
    stationing = group.stationings.get(cmd.stationing_id)
    if (
        not group.exists
        or stationing is None
        or group.group_id is None
        or not principal.can_access(group.jurisdiction)
        or not principal.sees_group(group.group_id)
    ):
        raise groups.UnknownStationing(
            f"未找到进驻记录 {cmd.stationing_id} / unknown stationing {cmd.stationing_id}"
        )
    if stationing.ended_on is not None:
        raise RuleViolation(
            f"进驻已于 {stationing.ended_on} 结束 / stationing {cmd.stationing_id} has ended"
        )
    if not stationing.starts_on <= cmd.on <= today:
        raise InvalidCommand(
            f"日期须在进驻开始（{stationing.starts_on}）与今天（{today}）之间 / the day "
            f"{cmd.on} must lie between the stationing's start {stationing.starts_on} and "
            f"today {today}"
        )
    seq = state.counts[(cmd.stationing_id, cmd.cadence)] + 1
    if cmd.cadence is Cadence.DISPATCH:
        return [
            DispatchHeld(
                group_id=group.group_id,
                stationing_id=cmd.stationing_id,
                seq=seq,
                held_on=cmd.on,
                summary=cmd.summary,
            )
        ]
    return [
        ProgressReported(
            group_id=group.group_id,
            stationing_id=cmd.stationing_id,
            seq=seq,
            reported_on=cmd.on,
            summary=cmd.summary,
        )
    ]
