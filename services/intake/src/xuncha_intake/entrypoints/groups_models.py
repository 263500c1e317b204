"""The request and response bodies of the talent pool's, the groups' and the stationings' API
(``groups_api.py``), and how a group and its stationings are answered."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from xuncha_shared.contracts.common import JurisdictionCode, LongText, NameText, ShortText
from xuncha_shared.contracts.intake import Grade, Ordinal, RecordKind, Speciality, TalentSource
from xuncha_shared.domain.round_names import round_name
from xuncha_shared.http.problems import ProblemError, problem_type

from xuncha_intake.adapters.groups import MemberRow, OpenSeat, Reserve
from xuncha_intake.domain import groups
from xuncha_intake.domain.pool import PoolMember


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MemberIn(_In):
    name: NameText
    jurisdiction: JurisdictionCode
    home_unit_id: UUID
    source: TalentSource
    specialities: list[Speciality] = Field(min_length=1, max_length=10)
    rank: ShortText
    birth_year: int = Field(ge=1940, le=2010)


class ReserveOut(BaseModel):
    """后备干部库: in it since (by the evaluation of group_id), or not; the last removal."""

    in_reserve: bool
    since: date | None
    group_id: UUID | None
    note: str | None
    removed_on: date | None
    removal_reason: str | None
    groups: list[UUID] = Field(description="the groups whose evaluation put them in it")

    @classmethod
    def of(cls, r: Reserve) -> ReserveOut:
        return cls(in_reserve=r.since is not None, **(vars(r) | {"groups": list(r.groups)}))


class SeatOut(BaseModel):
    """A member's seat in a group of a round not yet closed."""

    group_id: UUID
    group_no: int
    round_id: UUID
    round_name: str = Field(description="临川区第4届第1轮巡察")
    starts_on: date
    ends_on: date

    @classmethod
    def of(cls, seat: OpenSeat) -> SeatOut:
        name = round_name(seat.round_jurisdiction, seat.term_no, seat.round_no, seat.round_kind)
        return cls(
            group_id=seat.group_id,
            group_no=seat.group_no,
            round_id=seat.round_id,
            round_name=name,
            starts_on=seat.starts_on,
            ends_on=seat.ends_on,
        )


class MemberOut(BaseModel):
    id: UUID
    jurisdiction: str
    name: str
    home_unit_id: UUID
    source: str
    specialities: list[str]
    rank: str
    birth_year: int
    retired: bool
    recusal_unit_ids: list[UUID] = Field(default_factory=list)
    reserve: ReserveOut
    open_seats: list[SeatOut] | None = Field(
        default=None,
        description="the groups the member sits in whose round is not closed yet, any area's "
        "(a group past its dates holds its members until its round is closed): listed by "
        "GET /talent-pool/members, null in the other answers",
    )

    @classmethod
    def of(cls, m: PoolMember) -> MemberOut:
        assert m.member_id is not None
        assert m.home_unit_id is not None
        assert m.source is not None
        return cls(
            id=m.member_id,
            jurisdiction=m.jurisdiction,
            name=m.name,
            home_unit_id=m.home_unit_id,
            source=m.source.value,
            specialities=[s.value for s in m.specialities],
            rank=m.rank,
            birth_year=m.birth_year,
            retired=m.retired,
            recusal_unit_ids=list(m.recusals),
            reserve=ReserveOut.of(Reserve.of(m)),
        )

    @classmethod
    def of_row(cls, r: MemberRow, seats: list[OpenSeat] | None = None) -> MemberOut:
        return cls(
            id=r.member_id,
            jurisdiction=r.jurisdiction,
            name=r.name,
            home_unit_id=r.home_unit_id,
            source=r.source,
            specialities=r.specialities,
            rank=r.rank,
            birth_year=r.birth_year,
            retired=r.retired,
            recusal_unit_ids=r.recusals,
            reserve=ReserveOut.of(r.reserve),
            open_seats=None if seats is None else [SeatOut.of(s) for s in seats],
        )


class RecusalIn(_In):
    unit_id: UUID
    reason: LongText


class GroupIn(_In):
    group_no: Ordinal
    leader_id: UUID
    member_ids: list[UUID] = Field(max_length=50)
    unit_ids: list[UUID] = Field(max_length=100)


class EvaluationIn(_In):
    member_id: UUID
    grade: Grade
    remarks: LongText | None = None


class StationingIn(_In):
    unit_id: UUID
    starts_on: date
    ends_on: date | None = Field(default=None, description="omitted: 15 working days (R14)")


class ClueIn(_In):
    summary: LongText


class RecordIn(BaseModel):
    """The fields every channel shares; the kind's own fields (``talks``, ``survey``,
    ``copies_issued``, ``copies_returned``, ``meetings``, ``participants``, ``checks``, ``sites``,
    ``persons_heard``, ``items``, ``cadres_checked``, ``discrepancies``, ``source``) are checked
    against the kind's event contract."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    kind: RecordKind
    round_id: UUID
    group_id: UUID
    unit_id: UUID
    occurred_on: date
    summary: LongText | None = None
    clues: list[ClueIn] = Field(default_factory=list, max_length=100)


class RecordOut(BaseModel):
    id: UUID
    kind: RecordKind
    event_type: str
    clue_ids: list[UUID] = Field(description="the clues the clues service registers for it")


class RecordRowOut(BaseModel):
    record_id: UUID
    kind: str
    jurisdiction: str
    round_id: UUID
    group_id: UUID
    unit_id: UUID
    occurred_on: date
    figures: dict[str, Any]
    clues: int
    clue_ids: list[UUID] = Field(description="the clues registered for it, as POST answered")


class EndIn(_In):
    ended_on: date | None = None


class StationingOut(BaseModel):
    id: UUID
    group_id: UUID
    unit_id: UUID
    starts_on: date
    ends_on: date
    ended_on: date | None
    provisional: bool = Field(
        default=False,
        description="ends_on counted through a year whose holidays are not published yet "
        "(weekends only, R22): check it once they are",
    )


class GroupOut(BaseModel):
    id: UUID
    round_id: UUID
    jurisdiction: str
    group_no: int
    leader_id: UUID
    member_ids: list[UUID]
    unit_ids: list[UUID]
    starts_on: date
    ends_on: date
    evaluations: dict[UUID, Grade]
    evaluation_notes: dict[UUID, str] = Field(
        default={}, description="each evaluation's remarks, or its last correction's reason"
    )
    corrections: dict[UUID, int] = Field(default={}, description="grades corrected (更正评价)")
    stationings: list[StationingOut]
    round_name: str | None = Field(
        default=None,
        description="the round's name (临川区第4届第1轮巡察) as GET /groups/{id} and a round's "
        "groups answer it: a group member's token reads its group, not the rounds",
    )

    @classmethod
    def of(cls, g: groups.Group, round_name: str | None = None) -> GroupOut:
        assert g.group_id is not None
        assert g.round_id is not None
        assert g.leader_id is not None
        assert g.starts_on is not None
        assert g.ends_on is not None
        return cls(
            id=g.group_id,
            round_id=g.round_id,
            jurisdiction=g.jurisdiction,
            group_no=g.group_no,
            leader_id=g.leader_id,
            member_ids=g.member_ids,
            unit_ids=g.unit_ids,
            starts_on=g.starts_on,
            ends_on=g.ends_on,
            evaluations=dict(g.evaluations),
            evaluation_notes=dict(g.evaluation_notes),
            corrections=dict(g.corrections),
            stationings=[stationing_out(g, s) for s in g.stationings.values()],
            round_name=round_name,
        )


def stationing_out(g: groups.Group, s: groups.Stationing) -> StationingOut:
    assert g.group_id is not None
    return StationingOut(
        id=s.stationing_id,
        group_id=g.group_id,
        unit_id=s.unit_id,
        starts_on=s.starts_on,
        ends_on=s.ends_on,
        ended_on=s.ended_on,
        provisional=s.provisional,
    )


def recusal_problem(exc: groups.Recusal) -> ProblemError:
    return ProblemError(
        409,
        "Recusal",
        exc.detail,
        problem_type("recusal"),
        extra={
            "member_id": str(exc.member_id),
            "member_name": exc.member_name,
            "ground": exc.ground.value,
        },
    )
