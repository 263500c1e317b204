"""Step 1 of the lifecycle: inspected units, term plans, linkage plans and rounds. Pure: no I/O.

Four aggregates, each its own stream type:

* ``unit`` (被巡察单位): registered once; the stream id is derived from jurisdiction and name
  (:func:`unit_id_for`), so a name is unique in its jurisdiction even when two offices register
  it at the same moment (the second append finds the stream and fails).
* ``term_plan`` (巡察工作五年规划): the units a jurisdiction plans to cover in a term; one per
  jurisdiction and term (:func:`term_plan_id_for`).
* ``linkage_plan`` (联动工作方案): the city's follows a provincial round, a county's is issued
  under its city's.
* ``round`` (轮次): planned from the term plan; round numbers are unique in a jurisdiction's term
  (:func:`round_id_for`); units assigned with a mode, authorised, closed. A cross-regional round
  (异地交流巡察) is authorised by the city and by the host county (双授权) before any group is
  stationed (:attr:`Round.fully_authorised`).

Decisions that need facts of other aggregates (does the unit exist, where is it) get them as
arguments: the handlers read them first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from xuncha_shared.contracts.intake import (
    INTAKE_ID_NAMESPACE,
    CounterpartReportProvided,
    InspectionMode,
    LinkagePlanIssued,
    RoundAuthorised,
    RoundClosed,
    RoundKind,
    RoundPlanned,
    RoundUnit,
    RoundUnitsAssigned,
    TermPlanAdopted,
    UnitKind,
    UnitRegistered,
    normalize_unit_name,
)
from xuncha_shared.contracts.intake import (
    round_id_for as round_id_for,
)
from xuncha_shared.contracts.intake import (
    term_plan_id_for as term_plan_id_for,
)
from xuncha_shared.contracts.intake import (
    unit_id_for as unit_id_for,
)
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.aggregates import AggregateKind
from xuncha_shared.domain.errors import InvalidCommand, NotFoundError, RuleViolation
from xuncha_shared.envelope import EventPayload

#: ids derived from natural keys (units, term plans, rounds, groups) are part of the contract
#: (``xuncha_shared.contracts.intake``), so that others (the demo) can name them
ID_NAMESPACE = INTAKE_ID_NAMESPACE
normalize_name = normalize_unit_name


# --- refusals ---------------------------------------------------------------------------------


class AlreadyExists(RuleViolation):
    """The natural key is taken (409)."""


class UnknownRound(NotFoundError):
    """No round has this id (or the caller may not see it) (404)."""


class RoundClosedError(RuleViolation):
    """The round is closed: nothing may be changed any more (409)."""


def validate_jurisdiction(code: str, field_name: str = "jurisdiction") -> None:
    if not jurisdictions.is_known(code):
        raise InvalidCommand(
            f"未知的行政区划代码 {code!r} / unknown {field_name} {code!r}: not a city or county "
            "of this deployment"
        )


def validate_dates(starts_on: date, ends_on: date) -> None:
    if ends_on < starts_on:
        raise InvalidCommand(
            f"结束日期早于开始日期 / ends_on {ends_on} is before starts_on {starts_on}"
        )


@dataclass(frozen=True)
class UnitFact:
    """What a decision needs to know of a registered unit."""

    unit_id: UUID
    jurisdiction: str
    name: str


def check_units(
    unit_ids: list[UUID], known: dict[UUID, UnitFact], jurisdiction: str, what: str
) -> None:
    """Every id names a registered unit of ``jurisdiction``, once (422 otherwise). A unit of
    another jurisdiction is reported as unknown: nothing leaks about other jurisdictions."""
    if not unit_ids:
        raise InvalidCommand(f"{what}至少包含一个被巡察单位 / {what} names no unit")
    seen: set[UUID] = set()
    for unit_id in unit_ids:
        fact = known.get(unit_id)
        if fact is None or fact.jurisdiction != jurisdiction:
            raise InvalidCommand(
                f"未知的被巡察单位 {unit_id} / unknown unit {unit_id} in jurisdiction "
                f"{jurisdiction}"
            )
        if unit_id in seen:
            raise InvalidCommand(f"被巡察单位重复 / unit {unit_id} is named twice")
        seen.add(unit_id)


# --- inspected unit ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterUnit:
    jurisdiction: str
    name: str
    kind: UnitKind

    @property
    def unit_id(self) -> UUID:
        return unit_id_for(self.jurisdiction, self.name)


@dataclass
class Unit:
    unit_id: UUID | None = None
    jurisdiction: str = ""
    name: str = ""
    kind: UnitKind | None = None
    version: int = 0

    @property
    def exists(self) -> bool:
        return self.version > 0


def decide_register_unit(state: Unit, cmd: RegisterUnit) -> list[EventPayload]:
    validate_jurisdiction(cmd.jurisdiction)
    name = normalize_name(cmd.name)
    if state.exists:
        raise AlreadyExists(
            f"被巡察单位“{name}”已登记 / unit {name!r} is already registered in {cmd.jurisdiction}"
        )
    return [
        UnitRegistered(unit_id=cmd.unit_id, jurisdiction=cmd.jurisdiction, name=name, kind=cmd.kind)
    ]


def evolve_unit(state: Unit, event: EventPayload, at: datetime | None = None) -> Unit:
    if isinstance(event, UnitRegistered):
        state.unit_id = event.unit_id
        state.jurisdiction = event.jurisdiction
        state.name = event.name
        state.kind = event.kind
    state.version += 1
    return state


def _unit_jurisdiction(state: Unit, event: EventPayload) -> str:
    return event.jurisdiction if isinstance(event, UnitRegistered) else state.jurisdiction


UNIT = AggregateKind(
    stream_type="unit", initial=Unit, evolve=evolve_unit, jurisdiction_of=_unit_jurisdiction
)


# --- term plan --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdoptTermPlan:
    jurisdiction: str
    term_no: int
    starts_on: date
    ends_on: date
    unit_ids: list[UUID]

    @property
    def term_plan_id(self) -> UUID:
        return term_plan_id_for(self.jurisdiction, self.term_no)


@dataclass
class TermPlan:
    term_plan_id: UUID | None = None
    jurisdiction: str = ""
    term_no: int = 0
    starts_on: date | None = None
    ends_on: date | None = None
    unit_ids: list[UUID] = field(default_factory=list)
    version: int = 0

    @property
    def exists(self) -> bool:
        return self.version > 0


def decide_adopt_term_plan(
    state: TermPlan, cmd: AdoptTermPlan, units: dict[UUID, UnitFact]
) -> list[EventPayload]:
    validate_jurisdiction(cmd.jurisdiction)
    validate_dates(cmd.starts_on, cmd.ends_on)
    check_units(cmd.unit_ids, units, cmd.jurisdiction, "届内巡察规划 / the term plan")
    if state.exists:
        raise AlreadyExists(
            f"第{cmd.term_no}届巡察规划已制定 / the plan of term {cmd.term_no} of "
            f"{cmd.jurisdiction} is already adopted"
        )
    return [
        TermPlanAdopted(
            term_plan_id=cmd.term_plan_id,
            jurisdiction=cmd.jurisdiction,
            term_no=cmd.term_no,
            starts_on=cmd.starts_on,
            ends_on=cmd.ends_on,
            unit_ids=list(cmd.unit_ids),
        )
    ]


def evolve_term_plan(state: TermPlan, event: EventPayload, at: datetime | None = None) -> TermPlan:
    if isinstance(event, TermPlanAdopted):
        state.term_plan_id = event.term_plan_id
        state.jurisdiction = event.jurisdiction
        state.term_no = event.term_no
        state.starts_on = event.starts_on
        state.ends_on = event.ends_on
        state.unit_ids = list(event.unit_ids)
    state.version += 1
    return state


def _term_plan_jurisdiction(state: TermPlan, event: EventPayload) -> str:
    return event.jurisdiction if isinstance(event, TermPlanAdopted) else state.jurisdiction


TERM_PLAN = AggregateKind(
    stream_type="term_plan",
    initial=TermPlan,
    evolve=evolve_term_plan,
    jurisdiction_of=_term_plan_jurisdiction,
)


# --- linkage plan -----------------------------------------------------------------------------


@dataclass(frozen=True)
class IssueLinkagePlan:
    jurisdiction: str
    title: str
    issued_on: date
    trigger: str
    parent_plan_id: UUID | None = None
    #: a new plan's id, given by the handler
    linkage_plan_id: UUID | None = None


@dataclass
class LinkagePlan:
    linkage_plan_id: UUID | None = None
    jurisdiction: str = ""
    title: str = ""
    issued_on: date | None = None
    trigger: str = ""
    parent_plan_id: UUID | None = None
    #: counterpart reports provided: (own unit, the upper level's unit)
    counterpart_reports: set[tuple[UUID, UUID]] = field(default_factory=set)
    version: int = 0

    @property
    def exists(self) -> bool:
        return self.version > 0


@dataclass(frozen=True)
class ProvideCounterpartReport:
    unit_id: UUID
    counterpart_unit_id: UUID
    provided_on: date


def decide_counterpart_report(
    state: LinkagePlan,
    plan_id: UUID,
    cmd: ProvideCounterpartReport,
    units: dict[UUID, UnitFact],
) -> list[EventPayload]:
    """Under a county's linkage plan, the report of one of the county's units (``unit_id``)
    answering a unit of its city (``counterpart_unit_id``), once per pair, not before the plan."""
    if not state.exists:
        raise NotFoundError(f"未找到联动工作方案 {plan_id} / unknown linkage plan {plan_id}")
    if state.parent_plan_id is None:
        raise InvalidCommand(
            "对口提供巡察报告须依据县级联动工作方案 / counterpart reports are provided under a "
            "county's linkage plan"
        )
    own = units.get(cmd.unit_id)
    if own is None or own.jurisdiction != state.jurisdiction:
        raise InvalidCommand(f"未知的本地被巡察单位 {cmd.unit_id} / unknown unit {cmd.unit_id}")
    city = jurisdictions.city_of(state.jurisdiction)
    upper = units.get(cmd.counterpart_unit_id)
    if upper is None or upper.jurisdiction != city:
        raise InvalidCommand(
            f"未知的市级被巡察单位 {cmd.counterpart_unit_id} / counterpart_unit_id "
            f"{cmd.counterpart_unit_id} is not a unit of the city {city}"
        )
    assert state.issued_on is not None
    if cmd.provided_on < state.issued_on:
        raise InvalidCommand(
            f"提供日期早于方案印发日期 / provided_on {cmd.provided_on} is before the plan "
            f"({state.issued_on})"
        )
    if (cmd.unit_id, cmd.counterpart_unit_id) in state.counterpart_reports:
        raise RuleViolation(
            f"“{own.name}”对照“{upper.name}”的巡察报告已提供 / this counterpart report was "
            "already provided"
        )
    return [
        CounterpartReportProvided(
            linkage_plan_id=plan_id,
            jurisdiction=state.jurisdiction,
            unit_id=cmd.unit_id,
            counterpart_unit_id=cmd.counterpart_unit_id,
            provided_on=cmd.provided_on,
        )
    ]


def decide_issue_linkage_plan(
    state: LinkagePlan, cmd: IssueLinkagePlan, parent: LinkagePlan | None
) -> list[EventPayload]:
    """The city's plan has no parent here (it follows a provincial round, named by
    ``trigger``); a county's is issued under its own city's plan, on or after it."""
    validate_jurisdiction(cmd.jurisdiction)
    assert cmd.linkage_plan_id is not None, "the handler gives a new plan its id"
    if state.exists:
        raise AlreadyExists(f"联动工作方案 {cmd.linkage_plan_id} 已印发 / already issued")
    if jurisdictions.is_city(cmd.jurisdiction):
        if cmd.parent_plan_id is not None:
            raise InvalidCommand(
                "市级联动工作方案依据省委巡视轮次印发，不设上级方案 / the city's linkage plan "
                "follows a provincial round (trigger); it has no parent_plan_id"
            )
    else:
        if cmd.parent_plan_id is None:
            raise InvalidCommand(
                "县级联动工作方案须在市级方案下印发 / a county's linkage plan needs "
                "parent_plan_id, the city's plan"
            )
        city = jurisdictions.city_of(cmd.jurisdiction)
        if parent is None or not parent.exists or parent.jurisdiction != city:
            raise InvalidCommand(
                f"未知的市级联动工作方案 {cmd.parent_plan_id} / parent_plan_id "
                f"{cmd.parent_plan_id} is not a linkage plan of the city {city}"
            )
        assert parent.issued_on is not None
        if cmd.issued_on < parent.issued_on:
            raise InvalidCommand(
                f"县级方案不能早于市级方案印发 / issued_on {cmd.issued_on} is before the city's "
                f"plan ({parent.issued_on})"
            )
    return [
        LinkagePlanIssued(
            linkage_plan_id=cmd.linkage_plan_id,
            jurisdiction=cmd.jurisdiction,
            title=cmd.title,
            issued_on=cmd.issued_on,
            trigger=cmd.trigger,
            parent_plan_id=cmd.parent_plan_id,
        )
    ]


def evolve_linkage_plan(
    state: LinkagePlan, event: EventPayload, at: datetime | None = None
) -> LinkagePlan:
    if isinstance(event, LinkagePlanIssued):
        state.linkage_plan_id = event.linkage_plan_id
        state.jurisdiction = event.jurisdiction
        state.title = event.title
        state.issued_on = event.issued_on
        state.trigger = event.trigger
        state.parent_plan_id = event.parent_plan_id
    elif isinstance(event, CounterpartReportProvided):
        state.counterpart_reports.add((event.unit_id, event.counterpart_unit_id))
    state.version += 1
    return state


def _linkage_plan_jurisdiction(state: LinkagePlan, event: EventPayload) -> str:
    return event.jurisdiction if isinstance(event, LinkagePlanIssued) else state.jurisdiction


LINKAGE_PLAN = AggregateKind(
    stream_type="linkage_plan",
    initial=LinkagePlan,
    evolve=evolve_linkage_plan,
    jurisdiction_of=_linkage_plan_jurisdiction,
)


# --- round ------------------------------------------------------------------------------------


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
    check_units([u.unit_id for u in cmd.units], units, state.jurisdiction, "本次分配 / the request")
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


def decide_close(state: Round, round_id: UUID) -> list[EventPayload]:
    _open_round(state, round_id)
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
    state.version += 1
    return state


def _round_jurisdiction(state: Round, event: EventPayload) -> str:
    return event.jurisdiction if isinstance(event, RoundPlanned) else state.jurisdiction


ROUND = AggregateKind(
    stream_type="round", initial=Round, evolve=evolve_round, jurisdiction_of=_round_jurisdiction
)
