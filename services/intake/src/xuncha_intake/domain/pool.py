"""Step 2 of the lifecycle: the talent pool (巡察人才库), the ``pool_member`` aggregate:
enrolled, recusals declared (回避), retired. Pure: no I/O.

Which member a group may take is decided in ``groups.py`` (:func:`groups.recusal_of`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from xuncha_shared.contracts.intake import (
    RecusalDeclared,
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
