"""Step 1 of the lifecycle: inspected units and term plans, and what every step-1 decision
shares (refusals, checks of jurisdictions, dates and units). Pure: no I/O.

Step 1 has four aggregates, each its own stream type; two are here:

* ``unit`` (被巡察单位): registered once; the stream id is derived from jurisdiction and name
  (:func:`unit_id_for`), so a name is unique in its jurisdiction even when two offices register
  it at the same moment (the second append finds the stream and fails).
* ``term_plan`` (巡察工作五年规划): the units a jurisdiction plans to cover in a term; one per
  jurisdiction and term (:func:`term_plan_id_for`), amended while the term runs (巡察规划调整).

The linkage plan is in ``linkage.py``, the round in ``rounds.py``. Decisions that need facts of
other aggregates (does the unit exist, where is it) get them as arguments: the handlers read them
first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from xuncha_shared.contracts.intake import (
    INTAKE_ID_NAMESPACE,
    MAX_AMENDMENTS,
    TermPlanAdopted,
    TermPlanAmended,
    UnitKind,
    UnitRegistered,
    normalize_unit_name,
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


def validate_jurisdiction(code: str, field_name: str = "jurisdiction") -> None:
    if not jurisdictions.is_known(code):
        raise InvalidCommand(
            f"未知的行政区划代码 {code!r} / unknown {field_name} {code!r}: not a city or county "
            "of this deployment"
        )


def same_city(a: str, b: str) -> bool:
    """Whether two jurisdictions lie in one city (a city and its counties)."""
    return jurisdictions.city_of(a) == jurisdictions.city_of(b)


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
    kind: str | None = None


def check_units(
    unit_ids: list[UUID], known: dict[UUID, UnitFact], jurisdiction: str, what: tuple[str, str]
) -> None:
    """Every id names a registered unit of ``jurisdiction``, once, and none is an inspection
    office (R28; 422 otherwise). A unit of another jurisdiction is reported as unknown: nothing
    leaks about other jurisdictions.
    ``what`` names the list in Chinese and in English."""
    if not unit_ids:
        what_zh, what_en = what
        raise InvalidCommand(f"{what_zh}至少包含一个被巡察单位 / {what_en} names no unit")
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
        if fact.kind == UnitKind.INSPECTION_OFFICE:
            raise InvalidCommand(
                f"{fact.name}是巡察机构，不列为本级巡察对象，由上级巡视巡察机构监督检查 (R28) / "
                f"{fact.name} is an inspection office: it is overseen by the level above, not "
                "inspected at its own level (R28)"
            )
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


def decide_register_unit(
    state: Unit, cmd: RegisterUnit, alike: str | None = None
) -> list[EventPayload]:
    """A unit registered once in its jurisdiction: by its stream (the id derived from the
    name), and by ``alike``, a unit registered under the same name but for its blanks."""
    validate_jurisdiction(cmd.jurisdiction)
    name = normalize_name(cmd.name)
    if state.exists or alike is not None:
        taken = name if state.exists else alike
        raise AlreadyExists(
            f"被巡察单位“{taken}”已登记 / unit {taken!r} is already registered in "
            f"{cmd.jurisdiction}"
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


@dataclass(frozen=True)
class Amendment:
    """One amendment of a plan, as its list shows it."""

    amendment_no: int
    amended_on: date
    added_unit_ids: list[UUID]
    removed_unit_ids: list[UUID]
    reason: str


@dataclass
class TermPlan:
    term_plan_id: UUID | None = None
    jurisdiction: str = ""
    term_no: int = 0
    starts_on: date | None = None
    ends_on: date | None = None
    unit_ids: list[UUID] = field(default_factory=list)
    amendments: list[Amendment] = field(default_factory=list)
    version: int = 0

    @property
    def exists(self) -> bool:
        return self.version > 0


def decide_adopt_term_plan(
    state: TermPlan,
    cmd: AdoptTermPlan,
    units: dict[UUID, UnitFact],
    previous: TermPlan | None = None,
    following: TermPlan | None = None,
) -> list[EventPayload]:
    """A jurisdiction's plan of a term, adopted once. Its terms follow one another: the plan
    starts after the previous term's plan (``previous``: term N-1 of the jurisdiction, if
    adopted) ends and ends before the following one's (``following``) starts (R6: coverage
    is counted per term, and a day belongs to one term)."""
    validate_jurisdiction(cmd.jurisdiction)
    validate_dates(cmd.starts_on, cmd.ends_on)
    check_units(cmd.unit_ids, units, cmd.jurisdiction, ("本届巡察规划", "the term plan"))
    if state.exists:
        raise AlreadyExists(
            f"第{cmd.term_no}届巡察规划已制定 / the plan of term {cmd.term_no} of "
            f"{cmd.jurisdiction} is already adopted"
        )
    if previous is not None and previous.ends_on is not None and cmd.starts_on <= previous.ends_on:
        raise InvalidCommand(
            f"第{cmd.term_no}届须在第{previous.term_no}届届满（{previous.ends_on}）之后开始 / "
            f"term {cmd.term_no} must start after term {previous.term_no} ends "
            f"({previous.ends_on})"
        )
    if (
        following is not None
        and following.starts_on is not None
        and cmd.ends_on >= following.starts_on
    ):
        raise InvalidCommand(
            f"第{cmd.term_no}届须在第{following.term_no}届开始（{following.starts_on}）之前结束"
            f" / term {cmd.term_no} must end before term {following.term_no} starts "
            f"({following.starts_on})"
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


@dataclass(frozen=True)
class AmendTermPlan:
    """巡察规划调整: bring units into a running term's plan (``add_unit_ids``) and take units out
    of it (``remove_unit_ids``), for ``reason``."""

    jurisdiction: str
    term_no: int
    add_unit_ids: list[UUID]
    remove_unit_ids: list[UUID]
    reason: str

    @property
    def term_plan_id(self) -> UUID:
        return term_plan_id_for(self.jurisdiction, self.term_no)


class UnknownTermPlan(NotFoundError):
    """The plan to amend was never adopted (404: the same answer for another jurisdiction's)."""


def decide_amend_term_plan(
    state: TermPlan,
    cmd: AmendTermPlan,
    units: dict[UUID, UnitFact],
    in_rounds: set[UUID],
    today: date,
) -> list[EventPayload]:
    """An adopted plan amended ``today``, until its term ends (R6): the coverage it measures
    stays the coverage of the term's units. Units brought in are registered units of the
    jurisdiction (``check_units``: not an inspection office, R28) not already in the plan;
    units taken out are in the plan and not assigned to a round of the term (``in_rounds``:
    a unit being or already inspected stays counted). The plan keeps at least one unit, the
    term must not have ended (an ended term's coverage is the record of that term), and the
    reason is said."""
    if not state.exists:
        raise UnknownTermPlan(
            f"第{cmd.term_no}届巡察规划尚未制定 / no plan of term {cmd.term_no} is adopted "
            f"for {cmd.jurisdiction}"
        )
    assert state.starts_on is not None
    assert state.ends_on is not None
    if today > state.ends_on:
        raise RuleViolation(
            f"第{cmd.term_no}届已于{state.ends_on}届满，巡察规划不再调整 / term "
            f"{cmd.term_no} ended on {state.ends_on}: its plan is no longer amended"
        )
    if len(state.amendments) >= MAX_AMENDMENTS:
        raise RuleViolation(
            f"本届巡察规划已调整{MAX_AMENDMENTS}次，不能再调整 / the plan has been amended "
            f"{MAX_AMENDMENTS} times"
        )
    if not cmd.add_unit_ids and not cmd.remove_unit_ids:
        raise InvalidCommand(
            "请选择纳入或移出规划的单位 / an amendment brings in or takes out at least one unit"
        )
    if not cmd.reason.strip():
        raise InvalidCommand("请说明调整原因 / say why the plan is amended")
    planned = set(state.unit_ids)
    if cmd.add_unit_ids:
        check_units(
            cmd.add_unit_ids, units, state.jurisdiction, ("纳入规划的单位", "the units added")
        )
    for unit_id in cmd.add_unit_ids:
        if unit_id in planned:
            raise InvalidCommand(
                f"{units[unit_id].name}已在本届巡察规划内 / {units[unit_id].name} is already "
                "in the plan"
            )
    removed: set[UUID] = set()
    for unit_id in cmd.remove_unit_ids:
        if unit_id not in planned or unit_id in removed:
            raise InvalidCommand(
                f"移出的单位不在本届巡察规划内（或重复） / unit {unit_id} is not in the plan "
                "(or is named twice)"
            )
        if unit_id in in_rounds:
            name = units[unit_id].name if unit_id in units else str(unit_id)
            raise RuleViolation(
                f"{name}已列入本届巡察轮次，不能移出规划 / {name} is assigned to a round of "
                "this term: it stays in the plan"
            )
        removed.add(unit_id)
    after = [u for u in state.unit_ids if u not in removed] + list(cmd.add_unit_ids)
    if not after:
        raise InvalidCommand(
            "调整后的巡察规划至少包含一个被巡察单位 / the amended plan names no unit"
        )
    return [
        TermPlanAmended(
            term_plan_id=cmd.term_plan_id,
            jurisdiction=state.jurisdiction,
            term_no=state.term_no,
            starts_on=state.starts_on,
            ends_on=state.ends_on,
            amendment_no=len(state.amendments) + 1,
            amended_on=today,
            added_unit_ids=list(cmd.add_unit_ids),
            removed_unit_ids=list(cmd.remove_unit_ids),
            reason=cmd.reason.strip(),
            unit_ids=after,
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
    elif isinstance(event, TermPlanAmended):
        state.unit_ids = list(event.unit_ids)
        state.amendments.append(
            Amendment(
                amendment_no=event.amendment_no,
                amended_on=event.amended_on,
                added_unit_ids=list(event.added_unit_ids),
                removed_unit_ids=list(event.removed_unit_ids),
                reason=event.reason,
            )
        )
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
