"""Step 2 of the lifecycle: the talent pool (巡察人才库), the ``pool_member`` aggregate:
enrolled, recusals declared (回避), retired; a member graded 优秀 after a round put into the
reserve pool of cadres (后备干部库, 004:L8) and taken out of it again. Pure: no I/O.

Which member a group may take is decided in ``groups.py`` (:func:`groups.recusal_of`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from xuncha_shared.contracts.intake import (
    Grade,
    RecusalDeclared,
    ReserveCadreAdmitted,
    ReserveCadreRemoved,
    Speciality,
    TalentPoolMemberEnrolled,
    TalentPoolMemberRetired,
    TalentSource,
)
from xuncha_shared.domain.aggregates import AggregateKind
from xuncha_shared.domain.errors import InvalidCommand, NotFoundError, RuleViolation
from xuncha_shared.envelope import EventPayload

from xuncha_intake.domain.planning import UnitFact, same_city, validate_jurisdiction


class UnknownMember(NotFoundError):
    """No pool member has this id (or the caller may not see it) (404)."""


@dataclass(frozen=True)
class EnrolMember:
    jurisdiction: str
    name: str
    home_unit_id: UUID
    source: TalentSource
    specialities: list[Speciality]
    rank: str
    birth_year: int
    #: a new member's id, given by the handler
    member_id: UUID | None = None


@dataclass(frozen=True)
class DeclareRecusal:
    unit_id: UUID
    reason: str


@dataclass(frozen=True)
class AdmitReserveCadre:
    group_id: UUID
    admitted_on: date
    note: str | None = None


@dataclass(frozen=True)
class RemoveReserveCadre:
    removed_on: date
    reason: str


@dataclass
class PoolMember:
    member_id: UUID | None = None
    jurisdiction: str = ""
    name: str = ""
    home_unit_id: UUID | None = None
    source: TalentSource | None = None
    specialities: list[Speciality] = field(default_factory=list)
    rank: str = ""
    birth_year: int = 0
    recusals: dict[UUID, str] = field(default_factory=dict)
    retired: bool = False
    #: in the reserve pool since (后备干部库), the group whose evaluation put them there
    reserve_since: date | None = None
    reserve_group: UUID | None = None
    reserve_note: str | None = None
    #: the last time they left it, and why
    reserve_removed_on: date | None = None
    reserve_removal_reason: str | None = None
    #: the groups whose evaluation put them in it, each once
    reserve_groups: list[UUID] = field(default_factory=list)
    version: int = 0

    @property
    def exists(self) -> bool:
        return self.version > 0


def decide_enrol(
    state: PoolMember, cmd: EnrolMember, home_unit: UnitFact | None
) -> list[EventPayload]:
    validate_jurisdiction(cmd.jurisdiction)
    assert cmd.member_id is not None, "the handler gives a new member its id"
    if home_unit is None or not same_city(home_unit.jurisdiction, cmd.jurisdiction):
        raise InvalidCommand(
            f"未知的工作单位 {cmd.home_unit_id} / unknown home_unit_id {cmd.home_unit_id}"
        )
    if not cmd.specialities or len(set(cmd.specialities)) != len(cmd.specialities):
        raise InvalidCommand("专业特长不能为空或重复 / specialities must be given, each once")
    if state.exists:
        raise RuleViolation(f"人才库成员 {cmd.member_id} 已入库 / already enrolled")
    return [
        TalentPoolMemberEnrolled(
            member_id=cmd.member_id,
            jurisdiction=cmd.jurisdiction,
            name=cmd.name,
            home_unit_id=cmd.home_unit_id,
            source=cmd.source,
            specialities=list(cmd.specialities),
            rank=cmd.rank,
            birth_year=cmd.birth_year,
        )
    ]


def _existing_member(state: PoolMember, member_id: UUID) -> None:
    if not state.exists:
        raise UnknownMember(f"未找到人才库成员 {member_id} / unknown pool member {member_id}")


def decide_retire(state: PoolMember, member_id: UUID) -> list[EventPayload]:
    _existing_member(state, member_id)
    if state.retired:
        raise RuleViolation(f"{state.name} 已出库 / member {member_id} has already left the pool")
    return [TalentPoolMemberRetired(member_id=member_id)]


def decide_recusal(
    state: PoolMember, member_id: UUID, cmd: DeclareRecusal, unit: UnitFact | None
) -> list[EventPayload]:
    _existing_member(state, member_id)
    if unit is None or not same_city(unit.jurisdiction, state.jurisdiction):
        raise InvalidCommand(f"未知的被巡察单位 {cmd.unit_id} / unknown unit {cmd.unit_id}")
    if cmd.unit_id in state.recusals:
        raise RuleViolation(
            f"{state.name} 已申报对“{unit.name}”回避 / member {member_id} already declared a "
            f"recusal for unit {cmd.unit_id}"
        )
    return [RecusalDeclared(member_id=member_id, unit_id=cmd.unit_id, reason=cmd.reason)]


def decide_admit_reserve(
    state: PoolMember,
    member_id: UUID,
    cmd: AdmitReserveCadre,
    grade: Grade | None,
    today: date,
    round_ends_on: date | None = None,
) -> list[EventPayload]:
    """每轮巡察结束后…把表现优秀的巡察干部纳入后备干部库 (004:L8): a member the group's
    evaluation graded 优秀, not in the reserve pool already, by an evaluation that did not put
    them there before, on a day between the end of the group's round (``round_ends_on``) and
    today."""
    _existing_member(state, member_id)
    if state.reserve_since is not None:
        raise RuleViolation(
            f"{state.name} 已于 {state.reserve_since.isoformat()} 纳入后备干部库 / already in "
            "the reserve pool"
        )
    if grade is None:
        raise InvalidCommand(
            f"该巡察组未对 {state.name} 作出评价 / the group did not evaluate member {member_id}"
        )
    if grade is not Grade.EXCELLENT:
        raise RuleViolation(
            f"{state.name} 在该巡察组的评价等次为“{grade.value}”，评价为优秀的才能纳入后备干部库 "
            "/ only a member graded 优秀 joins the reserve pool"
        )
    if cmd.group_id in state.reserve_groups:
        raise RuleViolation(
            f"{state.name} 已凭该巡察组的评价纳入过后备干部库，再次纳入须有新的优秀评价 / that "
            "evaluation put the member in the reserve pool before"
        )
    day = cmd.admitted_on.isoformat()
    if cmd.admitted_on > today:
        raise InvalidCommand(f"纳入日期 {day} 晚于今天（{today.isoformat()}） / after today")
    if round_ends_on is not None and cmd.admitted_on < round_ends_on:
        raise InvalidCommand(
            f"纳入日期 {day} 早于该轮巡察结束（{round_ends_on.isoformat()}）：每轮巡察结束后评价，"
            "再纳入后备干部库 / before the round ends"
        )
    return [
        ReserveCadreAdmitted(
            member_id=member_id,
            group_id=cmd.group_id,
            admitted_on=cmd.admitted_on,
            note=cmd.note,
        )
    ]


def decide_remove_reserve(
    state: PoolMember, member_id: UUID, cmd: RemoveReserveCadre, today: date
) -> list[EventPayload]:
    """移出后备干部库: a reserve cadre leaves it, on a day between the admission and today."""
    _existing_member(state, member_id)
    if state.reserve_since is None:
        raise RuleViolation(f"{state.name} 不在后备干部库中 / not in the reserve pool")
    day = cmd.removed_on.isoformat()
    if cmd.removed_on > today:
        raise InvalidCommand(f"移出日期 {day} 晚于今天（{today.isoformat()}） / after today")
    if cmd.removed_on < state.reserve_since:
        raise InvalidCommand(
            f"移出日期 {day} 早于纳入日期 {state.reserve_since.isoformat()} / before the admission"
        )
    return [ReserveCadreRemoved(member_id=member_id, removed_on=cmd.removed_on, reason=cmd.reason)]


def evolve_member(state: PoolMember, event: EventPayload, at: datetime | None = None) -> PoolMember:
    if isinstance(event, TalentPoolMemberEnrolled):
        state.member_id = event.member_id
        state.jurisdiction = event.jurisdiction
        state.name = event.name
        state.home_unit_id = event.home_unit_id
        state.source = event.source
        state.specialities = list(event.specialities)
        state.rank = event.rank
        state.birth_year = event.birth_year
    elif isinstance(event, RecusalDeclared):
        state.recusals[event.unit_id] = event.reason
    elif isinstance(event, TalentPoolMemberRetired):
        state.retired = True
    elif isinstance(event, ReserveCadreAdmitted):
        state.reserve_since, state.reserve_group = event.admitted_on, event.group_id
        state.reserve_note = event.note
        state.reserve_groups.append(event.group_id)
    elif isinstance(event, ReserveCadreRemoved):
        state.reserve_since = state.reserve_group = state.reserve_note = None
        state.reserve_removed_on, state.reserve_removal_reason = event.removed_on, event.reason
    state.version += 1
    return state


def _member_jurisdiction(state: PoolMember, event: EventPayload) -> str:
    return event.jurisdiction if isinstance(event, TalentPoolMemberEnrolled) else state.jurisdiction


POOL_MEMBER = AggregateKind(
    stream_type="pool_member",
    initial=PoolMember,
    evolve=evolve_member,
    jurisdiction_of=_member_jurisdiction,
)
