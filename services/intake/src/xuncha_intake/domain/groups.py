"""Steps 2 and 3 of the lifecycle: groups formed from the talent pool (``pool.py``) with
their recusal checks (回避), evaluations, and stationing (进驻, rule R14). Pure: no I/O.

The ``group`` aggregate: formed for a round (the stream id is derived from round and group
number, so a group number is taken once per round), its members evaluated, stationed at its
units and each stationing ended.

A member is refused for a group (409 naming the member and the ground, :class:`Recusal`) when
the group inspects their home unit, when they declared a recusal for one of its units, when they
sit in another group at overlapping dates, when the round is cross-regional and a unit lies in
their home county, or when they left the pool. The handler finds the overlapping groups under a
per-member lock, so two groups formed at the same moment cannot both take one member.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from xuncha_shared.contracts.intake import (
    Grade,
    GroupFormed,
    GroupStationed,
    InspectorEvaluated,
    InspectorEvaluationCorrected,
    RoundKind,
    StationingEnded,
)
from xuncha_shared.contracts.intake import (
    group_id_for as group_id_for,
)
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.aggregates import AggregateKind
from xuncha_shared.domain.errors import InvalidCommand, NotFoundError, RuleViolation
from xuncha_shared.envelope import EventPayload

from xuncha_intake.domain.planning import UnitFact, same_city, validate_dates
from xuncha_intake.domain.pool import PoolMember
from xuncha_intake.domain.rounds import Round

MAX_GROUP_SIZE = 15


# --- refusals ---------------------------------------------------------------------------------


class UnknownGroup(NotFoundError):
    """No group has this id (or the caller may not see it) (404)."""


class UnknownStationing(NotFoundError):
    """No stationing has this id (404)."""


class RecusalGround(StrEnum):
    """Why a member may not sit in a group (回避事由)."""

    HOME_UNIT = "home_unit"  # 被巡察单位是其工作单位
    DECLARED = "declared_recusal"  # 本人申报回避
    OVERLAPPING_GROUP = "overlapping_group"  # 同期在其他巡察组
    HOME_COUNTY = "home_county"  # 异地交流巡察：被巡察单位在其所在县（市、区）
    RETIRED = "retired"  # 已出库


RECUSAL_GROUNDS_ZH: dict[RecusalGround, str] = {
    RecusalGround.HOME_UNIT: "被巡察单位是其工作单位",
    RecusalGround.DECLARED: "本人已申报对该单位回避",
    RecusalGround.OVERLAPPING_GROUP: "同期已在其他巡察组",
    RecusalGround.HOME_COUNTY: "异地交流巡察，被巡察单位位于其所在县（市、区）",
    RecusalGround.RETIRED: "已退出巡察人才库",
}


class Recusal(RuleViolation):
    """A member may not sit in the group (409): names the member and the ground."""

    def __init__(
        self, member_id: UUID, member_name: str, ground: RecusalGround, about: str
    ) -> None:
        super().__init__(
            f"{member_name}不得参加本组：{RECUSAL_GROUNDS_ZH[ground]}（{about}） / "
            f"member {member_id} may not sit in this group: {ground.value} ({about})"
        )
        self.member_id = member_id
        self.member_name = member_name
        self.ground = ground


@dataclass(frozen=True)
class FormGroup:
    round_id: UUID
    group_no: int
    leader_id: UUID
    member_ids: list[UUID]
    unit_ids: list[UUID]

    @property
    def group_id(self) -> UUID:
        return group_id_for(self.round_id, self.group_no)


@dataclass(frozen=True)
class Busy:
    """A member's seat in another group whose dates overlap."""

    member_id: UUID
    group_id: UUID
    group_no: int
    starts_on: date
    ends_on: date
    round_name: str = ""  # 抚州市第5届第1轮巡察: whose group it is (another area's, may be)


@dataclass(frozen=True)
class EvaluateInspector:
    member_id: UUID
    grade: Grade
    remarks: str | None = None


@dataclass(frozen=True)
class CorrectEvaluation:
    member_id: UUID
    grade: Grade
    reason: str


@dataclass(frozen=True)
class StationGroup:
    unit_id: UUID
    starts_on: date
    ends_on: date
    stationing_id: UUID
    #: the rule that set ``ends_on`` (``None`` when the office gave the end)
    rule_id: str | None = None
    rule_version: int | None = None
    provisional: bool = False


@dataclass(frozen=True)
class EndStationing:
    stationing_id: UUID
    ended_on: date


@dataclass
class Stationing:
    stationing_id: UUID
    unit_id: UUID
    starts_on: date
    ends_on: date
    ended_on: date | None = None
    #: ``ends_on`` counted through a year the holiday calendar lacks (weekends only, R22)
    provisional: bool = False


@dataclass
class Group:
    group_id: UUID | None = None
    round_id: UUID | None = None
    jurisdiction: str = ""
    group_no: int = 0
    leader_id: UUID | None = None
    member_ids: list[UUID] = field(default_factory=list)
    unit_ids: list[UUID] = field(default_factory=list)
    starts_on: date | None = None
    ends_on: date | None = None
    evaluations: dict[UUID, Grade] = field(default_factory=dict)
    #: each evaluation's remarks, or the reason of its last correction
    evaluation_notes: dict[UUID, str] = field(default_factory=dict)
    #: how many times each member's grade was corrected
    corrections: dict[UUID, int] = field(default_factory=dict)
    stationings: dict[UUID, Stationing] = field(default_factory=dict)
    version: int = 0

    @property
    def exists(self) -> bool:
        return self.version > 0


def _home_county(member: PoolMember, units: dict[UUID, UnitFact]) -> str | None:
    """The county a member comes from: theirs, or their home unit's."""
    if jurisdictions.is_county(member.jurisdiction):
        return member.jurisdiction
    home = units.get(member.home_unit_id) if member.home_unit_id else None
    if home is not None and jurisdictions.is_county(home.jurisdiction):
        return home.jurisdiction
    return None


def recusal_of(
    member: PoolMember,
    unit_ids: list[UUID],
    rnd: Round,
    units: dict[UUID, UnitFact],
    busy: list[Busy],
) -> Recusal | None:
    """The first ground that keeps ``member`` out of a group of ``rnd`` inspecting
    ``unit_ids`` (``units`` holds those units and the member's home unit)."""
    assert member.member_id is not None
    who = (member.member_id, member.name)
    if member.retired:
        return Recusal(*who, RecusalGround.RETIRED, "人才库")
    for unit_id in unit_ids:
        unit = units[unit_id]
        if member.home_unit_id == unit_id:
            return Recusal(*who, RecusalGround.HOME_UNIT, unit.name)
        if unit_id in member.recusals:
            return Recusal(*who, RecusalGround.DECLARED, unit.name)
    for seat in busy:
        return Recusal(
            *who,
            RecusalGround.OVERLAPPING_GROUP,
            f"{seat.round_name}第{seat.group_no}巡察组 {seat.starts_on}–{seat.ends_on}",
        )
    if rnd.kind is RoundKind.CROSS_REGIONAL:
        county = _home_county(member, units)
        for unit_id in unit_ids:
            if county is not None and units[unit_id].jurisdiction == county:
                return Recusal(*who, RecusalGround.HOME_COUNTY, units[unit_id].name)
    return None


def decide_form_group(
    state: Group,
    cmd: FormGroup,
    rnd: Round,
    members: dict[UUID, PoolMember],
    units: dict[UUID, UnitFact],
    busy: list[Busy],
    taken: dict[UUID, int] | None = None,
) -> list[EventPayload]:
    """A group of the open round ``rnd``: 1–15 distinct pool members of the round's city, the
    leader among them, units assigned to the round and to no other group of it (R24); every
    member free of every recusal ground. ``busy``: the members' seats in other groups at
    overlapping dates; ``taken``: the round's units already in a group (unit → group number)."""
    if not rnd.exists:
        raise NotFoundError(f"未找到巡察轮次 {cmd.round_id} / unknown round {cmd.round_id}")
    if rnd.closed:
        raise RuleViolation(f"巡察轮次已结束 / round {cmd.round_id} is closed")
    if not cmd.member_ids:
        raise InvalidCommand("巡察组至少须有一名成员 / a group needs at least one member")
    if len(cmd.member_ids) > MAX_GROUP_SIZE:
        raise InvalidCommand(f"巡察组成员过多 / a group has at most {MAX_GROUP_SIZE} members")
    if len(set(cmd.member_ids)) != len(cmd.member_ids):
        raise InvalidCommand("组员重复 / a member is named twice")
    if cmd.leader_id not in cmd.member_ids:
        raise InvalidCommand("组长须为本组成员 / leader_id must be one of member_ids")
    if not cmd.unit_ids or len(set(cmd.unit_ids)) != len(cmd.unit_ids):
        raise InvalidCommand("被巡察单位不能为空或重复 / unit_ids must be given, each once")
    for unit_id in cmd.unit_ids:
        if unit_id not in rnd.units or unit_id not in units:
            raise InvalidCommand(
                f"单位 {unit_id} 不在本轮被巡察单位中 / unit {unit_id} is not assigned to round "
                f"{cmd.round_id}"
            )
    for member_id in cmd.member_ids:
        member = members.get(member_id)
        if (
            member is None
            or not member.exists
            or not same_city(member.jurisdiction, rnd.jurisdiction)
        ):
            raise InvalidCommand(f"未知的人才库成员 {member_id} / unknown pool member {member_id}")
    if state.exists:
        raise RuleViolation(
            f"本轮第{cmd.group_no}巡察组已组建 / group {cmd.group_no} of round {cmd.round_id} "
            "already exists"
        )
    for unit_id in cmd.unit_ids:
        other = (taken or {}).get(unit_id)
        if other is not None:
            # R24: one group inspects a unit in a round
            raise RuleViolation(
                f"“{units[unit_id].name}”已由本轮第{other}巡察组巡察（R24） / unit {unit_id} "
                f"is already inspected by group {other} of this round (R24)"
            )
    for member_id in cmd.member_ids:
        mine = [seat for seat in busy if seat.member_id == member_id]
        refusal = recusal_of(members[member_id], cmd.unit_ids, rnd, units, mine)
        if refusal is not None:
            raise refusal
    assert rnd.starts_on is not None
    assert rnd.ends_on is not None
    return [
        GroupFormed(
            group_id=cmd.group_id,
            round_id=cmd.round_id,
            jurisdiction=rnd.jurisdiction,
            group_no=cmd.group_no,
            leader_id=cmd.leader_id,
            member_ids=list(cmd.member_ids),
            unit_ids=list(cmd.unit_ids),
            starts_on=rnd.starts_on,
            ends_on=rnd.ends_on,
        )
    ]


def _existing_group(state: Group, group_id: UUID) -> None:
    if not state.exists:
        raise UnknownGroup(f"未找到巡察组 {group_id} / unknown group {group_id}")


def decide_evaluate(
    state: Group, group_id: UUID, cmd: EvaluateInspector, today: date, round_ends_on: date | None
) -> list[EventPayload]:
    """考核评价: the office rates the group's members once each, after the round (每轮巡察结束后:
    from its last day, or the day it was closed when that came first; ``round_ends_on``)."""
    _existing_group(state, group_id)
    if round_ends_on is not None and today < round_ends_on:
        raise RuleViolation(
            f"本轮巡察尚未结束（{round_ends_on.isoformat()} 结束）：每轮巡察结束后对巡察干部进行"
            "考核评价，可结束本轮后评价 / inspectors are rated after their round ends"
        )
    if cmd.member_id not in state.member_ids:
        raise InvalidCommand(
            f"{cmd.member_id} 不是本组成员 / member {cmd.member_id} is not in group {group_id}"
        )
    if cmd.member_id in state.evaluations:
        raise RuleViolation(
            f"已评价 / member {cmd.member_id} has already been evaluated in group {group_id}"
        )
    return [
        InspectorEvaluated(
            group_id=group_id, member_id=cmd.member_id, grade=cmd.grade, remarks=cmd.remarks
        )
    ]


def decide_correct_evaluation(
    state: Group, group_id: UUID, cmd: CorrectEvaluation, reserve_by_this_group: bool
) -> list[EventPayload]:
    """更正评价: a grade given is corrected to another, with the reason. A member whom this
    group's 优秀 put in the reserve pool (后备干部库) is taken out of it first: the admission
    rests on that grade (``reserve_by_this_group``)."""
    _existing_group(state, group_id)
    previous = state.evaluations.get(cmd.member_id)
    if previous is None:
        raise RuleViolation(
            f"该成员尚未评价，请先评价 / member {cmd.member_id} has not been evaluated in group "
            f"{group_id}"
        )
    if cmd.grade is previous:
        raise InvalidCommand(
            f"更正后的等次与原评价（{previous.value}）相同 / the grade is {previous.value} already"
        )
    if reserve_by_this_group and previous is Grade.EXCELLENT:
        raise RuleViolation(
            "该成员因本组评价优秀已纳入后备干部库，请先移出后备干部库再更正评价 / the member is in "
            "the reserve pool by this group's 优秀: remove them from it before correcting"
        )
    return [
        InspectorEvaluationCorrected(
            group_id=group_id,
            member_id=cmd.member_id,
            grade=cmd.grade,
            previous_grade=previous,
            reason=cmd.reason,
        )
    ]


def decide_station(
    state: Group, group_id: UUID, cmd: StationGroup, rnd: Round
) -> list[EventPayload]:
    """Station the group at one of its units: the round is open and fully authorised (双授权
    for a cross-regional round), the stationing starts within the round's dates, the unit is
    not stationed by this group already."""
    _existing_group(state, group_id)
    if rnd.closed:
        raise RuleViolation(f"巡察轮次已结束 / round {rnd.round_id} is closed")
    if not rnd.fully_authorised:
        missing = [c for c in rnd.required_authorisations if c not in rnd.authorisations]
        raise RuleViolation(
            f"尚未完成双授权（待 {'、'.join(missing)} 授权） / the round still needs the "
            f"authorisation of {', '.join(missing)} before any group is stationed"
        )
    if cmd.unit_id not in state.unit_ids:
        raise InvalidCommand(
            f"单位 {cmd.unit_id} 不由本组巡察 / unit {cmd.unit_id} is not one of the group's units"
        )
    validate_dates(cmd.starts_on, cmd.ends_on)
    rnd.require_within(cmd.starts_on, "进驻日期", "starts_on")
    if any(s.unit_id == cmd.unit_id for s in state.stationings.values()):
        raise RuleViolation(
            f"本组已进驻该单位 / the group is already stationed at unit {cmd.unit_id}"
        )
    return [
        GroupStationed(
            group_id=group_id,
            stationing_id=cmd.stationing_id,
            unit_id=cmd.unit_id,
            starts_on=cmd.starts_on,
            ends_on=cmd.ends_on,
            rule_id=cmd.rule_id,
            rule_version=cmd.rule_version,
            provisional=cmd.provisional,
        )
    ]


def decide_end_stationing(
    state: Group, group_id: UUID, cmd: EndStationing, today: date
) -> list[EventPayload]:
    """结束进驻 on the day the group left (a day between its first day and today); a stationing
    arranged for a day to come, not begun, ends on its first day (it will not take place)."""
    stationing = state.stationings.get(cmd.stationing_id)
    if not state.exists or stationing is None:
        raise UnknownStationing(
            f"未找到进驻记录 {cmd.stationing_id} / unknown stationing {cmd.stationing_id}"
        )
    if stationing.ended_on is not None:
        raise RuleViolation(
            f"进驻已于 {stationing.ended_on} 结束 / stationing {cmd.stationing_id} has ended"
        )
    if cmd.ended_on < stationing.starts_on:
        raise InvalidCommand(
            f"结束日期早于进驻日期 / ended_on {cmd.ended_on} is before starts_on "
            f"{stationing.starts_on}"
        )
    if cmd.ended_on > today and cmd.ended_on != stationing.starts_on:
        raise InvalidCommand(
            f"结束日期 {cmd.ended_on} 晚于今天（{today}）：进驻结束后再记录；尚未开始的进驻"
            f"以进驻日期 {stationing.starts_on} 结束 / ended_on is after today"
        )
    return [
        StationingEnded(group_id=group_id, stationing_id=cmd.stationing_id, ended_on=cmd.ended_on)
    ]


def evolve_group(state: Group, event: EventPayload, at: datetime | None = None) -> Group:
    if isinstance(event, GroupFormed):
        state.group_id = event.group_id
        state.round_id = event.round_id
        state.jurisdiction = event.jurisdiction
        state.group_no = event.group_no
        state.leader_id = event.leader_id
        state.member_ids = list(event.member_ids)
        state.unit_ids = list(event.unit_ids)
        state.starts_on = event.starts_on
        state.ends_on = event.ends_on
    elif isinstance(event, InspectorEvaluated):
        state.evaluations[event.member_id] = event.grade
        if event.remarks:
            state.evaluation_notes[event.member_id] = event.remarks
    elif isinstance(event, InspectorEvaluationCorrected):
        state.evaluations[event.member_id] = event.grade
        state.evaluation_notes[event.member_id] = event.reason
        state.corrections[event.member_id] = state.corrections.get(event.member_id, 0) + 1
    elif isinstance(event, GroupStationed):
        state.stationings[event.stationing_id] = Stationing(
            event.stationing_id, event.unit_id, event.starts_on, event.ends_on,
            provisional=event.provisional,
        )  # fmt: skip
    elif isinstance(event, StationingEnded):
        state.stationings[event.stationing_id].ended_on = event.ended_on
    state.version += 1
    return state


def _group_jurisdiction(state: Group, event: EventPayload) -> str:
    return event.jurisdiction if isinstance(event, GroupFormed) else state.jurisdiction


GROUP = AggregateKind(
    stream_type="group", initial=Group, evolve=evolve_group, jurisdiction_of=_group_jurisdiction
)


@dataclass(frozen=True)
class StationingTerm:
    """The end of a stationing by rule R14, as the calendar counts it."""

    ends_on: date
    rule_id: str
    rule_version: int
    provisional: bool
