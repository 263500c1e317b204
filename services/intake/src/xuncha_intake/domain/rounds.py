"""Step 1 of the lifecycle: the ``round`` aggregate (轮次). Planned from the term plan; round
numbers are unique in a jurisdiction's term (:func:`round_id_for`); units assigned with a mode,
authorised, closed. A cross-regional round (异地交流巡察) is authorised by the city and by the
host county (双授权) before any group is stationed (:attr:`Round.fully_authorised`). Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from xuncha_shared.contracts.intake import (
    InspectionMode,
    RoundAuthorised,
    RoundClosed,
    RoundKind,
    RoundPlanned,
    RoundUnit,
    RoundUnitsAssigned,
)
from xuncha_shared.contracts.intake import (
    round_id_for as round_id_for,
)
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.aggregates import AggregateKind
from xuncha_shared.domain.errors import InvalidCommand, NotFoundError, RuleViolation
from xuncha_shared.envelope import EventPayload

from xuncha_intake.domain.linkage import LinkagePlan
from xuncha_intake.domain.planning import (
    AlreadyExists,
    TermPlan,
    UnitFact,
    check_units,
    validate_dates,
    validate_jurisdiction,
)


class UnknownRound(NotFoundError):
    """No round has this id (or the caller may not see it) (404)."""


class RoundClosedError(RuleViolation):
    """The round is closed: nothing may be changed any more (409)."""


@dataclass(frozen=True)
class PlanRound:
    jurisdiction: str
    term_no: int
    round_no: int
    kind: RoundKind
    starts_on: date
    ends_on: date
    linkage_plan_id: UUID | None = None

    @property
    def round_id(self) -> UUID:
        return round_id_for(self.jurisdiction, self.term_no, self.round_no)


@dataclass(frozen=True)
class AssignUnits:
    units: list[RoundUnit]


@dataclass(frozen=True)
class AuthoriseRound:
    authorising_jurisdiction: str


@dataclass
class Round:
    round_id: UUID | None = None
    jurisdiction: str = ""
    term_no: int = 0
    round_no: int = 0
    kind: RoundKind | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    linkage_plan_id: UUID | None = None
    units: dict[UUID, InspectionMode] = field(default_factory=dict)
    authorisations: list[str] = field(default_factory=list)
    closed: bool = False
    #: when it was closed (a round may close before its planned ``ends_on``)
    closed_at: datetime | None = None
    version: int = 0

    @property
    def exists(self) -> bool:
        return self.version > 0

    @property
    def required_authorisations(self) -> list[str]:
        """Who must authorise the round before a group is stationed: under 双授权 the city and
        the host county; otherwise nobody beyond the office that planned it."""
        if self.kind is RoundKind.CROSS_REGIONAL:
            return [jurisdictions.city_of(self.jurisdiction), self.jurisdiction]
        return []

    @property
    def fully_authorised(self) -> bool:
        return all(code in self.authorisations for code in self.required_authorisations)

    def require_within(self, day: date, what_zh: str, field_name: str) -> None:
        """``day`` (the request's ``field_name``, ``what_zh`` in Chinese) falls within the
        round's dates (422): a record, a stationing happens during the round."""
        assert self.starts_on is not None
        assert self.ends_on is not None
        if not self.starts_on <= day <= self.ends_on:
            raise InvalidCommand(
                f"{what_zh}须在本轮巡察期间（{self.starts_on} 至 {self.ends_on}） / "
                f"{field_name} {day} lies outside the round ({self.starts_on} to {self.ends_on})"
            )


def decide_plan_round(
    state: Round,
    cmd: PlanRound,
    term_plan: TermPlan,
    linkage_plan: LinkagePlan | None,
) -> list[EventPayload]:
    """A round of a term whose plan is adopted, within the term's dates; a cross-regional round
    belongs to its host county; a linkage plan, when named, is one of the same jurisdiction."""
    validate_jurisdiction(cmd.jurisdiction)
    validate_dates(cmd.starts_on, cmd.ends_on)
    if not term_plan.exists:
        raise InvalidCommand(
            f"第{cmd.term_no}届巡察规划尚未制定 / no plan of term {cmd.term_no} is adopted in "
            f"{cmd.jurisdiction}"
        )
    assert term_plan.starts_on is not None
    assert term_plan.ends_on is not None
    if cmd.starts_on < term_plan.starts_on or cmd.ends_on > term_plan.ends_on:
        raise InvalidCommand(
            f"轮次日期超出本届规划期限 / the round's dates lie outside term {cmd.term_no} "
            f"({term_plan.starts_on} to {term_plan.ends_on})"
        )
    if cmd.kind is RoundKind.CROSS_REGIONAL and jurisdictions.is_city(cmd.jurisdiction):
        raise InvalidCommand(
            "异地交流巡察的轮次属于被巡察的县（市、区） / a cross-regional round belongs to its "
            "host county: jurisdiction must be a county"
        )
    if cmd.linkage_plan_id is not None and (
        linkage_plan is None
        or not linkage_plan.exists
        or linkage_plan.jurisdiction != cmd.jurisdiction
    ):
        raise InvalidCommand(
            f"未知的联动工作方案 {cmd.linkage_plan_id} / linkage_plan_id {cmd.linkage_plan_id} "
            f"is not a linkage plan of {cmd.jurisdiction}"
        )
    if state.exists:
        raise AlreadyExists(
            f"第{cmd.term_no}届第{cmd.round_no}轮已部署 / round {cmd.round_no} of term "
            f"{cmd.term_no} already exists in {cmd.jurisdiction}"
        )
    return [
        RoundPlanned(
            round_id=cmd.round_id,
            jurisdiction=cmd.jurisdiction,
            term_no=cmd.term_no,
            round_no=cmd.round_no,
            kind=cmd.kind,
            starts_on=cmd.starts_on,
            ends_on=cmd.ends_on,
            linkage_plan_id=cmd.linkage_plan_id,
        )
    ]


def _open_round(state: Round, round_id: UUID) -> None:
    if not state.exists:
        raise UnknownRound(f"未找到巡察轮次 {round_id} / unknown round {round_id}")
    if state.closed:
        raise RoundClosedError(f"巡察轮次已结束 / round {round_id} is closed")


def decide_assign_units(
    state: Round, round_id: UUID, cmd: AssignUnits, units: dict[UUID, UnitFact]
) -> list[EventPayload]:
    """Units of the round's jurisdiction, each once in the round."""
    _open_round(state, round_id)
    check_units(
        [u.unit_id for u in cmd.units], units, state.jurisdiction, ("本次分配", "the request")
    )
    taken = [u.unit_id for u in cmd.units if u.unit_id in state.units]
    if taken:
        raise RuleViolation(
            f"单位已在本轮 / unit {taken[0]} ({units[taken[0]].name}) is already assigned to "
            f"round {round_id}"
        )
    return [RoundUnitsAssigned(round_id=round_id, units=list(cmd.units))]


def decide_authorise(state: Round, round_id: UUID, cmd: AuthoriseRound) -> list[EventPayload]:
    """The round's own jurisdiction or its city authorises, each once."""
    _open_round(state, round_id)
    code = cmd.authorising_jurisdiction
    allowed = {state.jurisdiction, jurisdictions.city_of(state.jurisdiction)}
    if code not in allowed:
        raise InvalidCommand(
            f"授权方须为本轮所属县（市、区）或市 / authorising_jurisdiction {code} is neither "
            f"the round's jurisdiction nor its city"
        )
    if code in state.authorisations:
        raise RuleViolation(f"{code} 已授权 / {code} has already authorised round {round_id}")
    return [RoundAuthorised(round_id=round_id, authorising_jurisdiction=code)]


def decide_close(state: Round, round_id: UUID, still_stationed: list[str]) -> list[EventPayload]:
    """结束本轮 once no group is stationed any more: ``still_stationed`` names the units whose
    stationing has not ended (a round closed with a group still at a unit would leave its
    stationing, its R15 cadence and 边巡边改 without a round)."""
    _open_round(state, round_id)
    if still_stationed:
        listed = "、".join(still_stationed[:5]) + ("等" if len(still_stationed) > 5 else "")
        raise RuleViolation(
            f"本轮尚有{len(still_stationed)}个单位的进驻未结束（{listed}），请先结束进驻 / "
            f"{len(still_stationed)} stationing(s) of round {round_id} have not ended"
        )
    return [RoundClosed(round_id=round_id)]


def evolve_round(state: Round, event: EventPayload, at: datetime | None = None) -> Round:
    if isinstance(event, RoundPlanned):
        state.round_id = event.round_id
        state.jurisdiction = event.jurisdiction
        state.term_no = event.term_no
        state.round_no = event.round_no
        state.kind = event.kind
        state.starts_on = event.starts_on
        state.ends_on = event.ends_on
        state.linkage_plan_id = event.linkage_plan_id
    elif isinstance(event, RoundUnitsAssigned):
        for unit in event.units:
            state.units[unit.unit_id] = unit.mode
    elif isinstance(event, RoundAuthorised):
        state.authorisations.append(event.authorising_jurisdiction)
    elif isinstance(event, RoundClosed):
        state.closed = True
        state.closed_at = at
    state.version += 1
    return state


def _round_jurisdiction(state: Round, event: EventPayload) -> str:
    return event.jurisdiction if isinstance(event, RoundPlanned) else state.jurisdiction


ROUND = AggregateKind(
    stream_type="round", initial=Round, evolve=evolve_round, jurisdiction_of=_round_jurisdiction
)
