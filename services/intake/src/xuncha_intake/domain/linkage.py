"""Step 1 of the lifecycle: the ``linkage_plan`` aggregate (联动工作方案). The city's follows a
provincial round, a county's is issued under its city's; under it a county provides the
inspection report of a unit matching one the city inspects in linkage (以下看上). Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from xuncha_shared.contracts.intake import CounterpartReportProvided, LinkagePlanIssued
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.aggregates import AggregateKind
from xuncha_shared.domain.errors import InvalidCommand, NotFoundError, RuleViolation
from xuncha_shared.envelope import EventPayload

from xuncha_intake.domain.planning import AlreadyExists, UnitFact, validate_jurisdiction


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
