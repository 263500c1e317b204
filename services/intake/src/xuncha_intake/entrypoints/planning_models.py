"""The request and response bodies of step 1's API (``planning_api.py``): inspected units,
term plans and their amendments, linkage plans, rounds."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from xuncha_shared.contracts.common import JurisdictionCode, LongText, NameText, ShortText
from xuncha_shared.contracts.intake import (
    InspectionMode,
    Ordinal,
    RoundKind,
    UnitKind,
)

from xuncha_intake.adapters.planning import RoundRow, UnitRow
from xuncha_intake.domain import planning
from xuncha_intake.domain.linkage import LinkagePlan
from xuncha_intake.domain.rounds import Round


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class UnitIn(_In):
    jurisdiction: JurisdictionCode
    name: NameText = Field(description="被巡察单位名称，在本行政区划内唯一")
    kind: UnitKind


class UnitOut(BaseModel):
    id: UUID
    jurisdiction: str
    name: str
    kind: str

    @classmethod
    def of_row(cls, row: UnitRow) -> UnitOut:
        return cls(id=row.unit_id, jurisdiction=row.jurisdiction, name=row.name, kind=row.kind)


class TermPlanIn(_In):
    jurisdiction: JurisdictionCode
    term_no: Ordinal
    starts_on: date
    ends_on: date
    unit_ids: list[UUID] = Field(max_length=5000)


class TermPlanAmendmentIn(_In):
    """巡察规划调整: units brought into the plan, units taken out, and why."""

    add_unit_ids: list[UUID] = Field(default_factory=list, max_length=5000)
    remove_unit_ids: list[UUID] = Field(default_factory=list, max_length=5000)
    reason: LongText = Field(description="调整原因，如：机构改革新组建单位纳入巡察规划")


class TermPlanAmendmentOut(BaseModel):
    amendment_no: int
    amended_on: date
    added_unit_ids: list[UUID]
    removed_unit_ids: list[UUID]
    reason: str


class TermPlanOut(BaseModel):
    id: UUID
    jurisdiction: str
    term_no: int
    starts_on: date
    ends_on: date
    unit_ids: list[UUID]
    #: 巡察规划调整, oldest first
    amendments: list[TermPlanAmendmentOut]

    @classmethod
    def of(cls, plan: planning.TermPlan) -> TermPlanOut:
        assert plan.term_plan_id
        assert plan.starts_on
        assert plan.ends_on
        return cls(
            id=plan.term_plan_id,
            jurisdiction=plan.jurisdiction,
            term_no=plan.term_no,
            starts_on=plan.starts_on,
            ends_on=plan.ends_on,
            unit_ids=plan.unit_ids,
            amendments=[
                TermPlanAmendmentOut(
                    amendment_no=a.amendment_no,
                    amended_on=a.amended_on,
                    added_unit_ids=a.added_unit_ids,
                    removed_unit_ids=a.removed_unit_ids,
                    reason=a.reason,
                )
                for a in plan.amendments
            ],
        )


class LinkagePlanIn(_In):
    jurisdiction: JurisdictionCode
    title: ShortText
    issued_on: date
    trigger: ShortText = Field(description="依据, e.g. 省委第五轮巡视")
    parent_plan_id: UUID | None = None


class LinkedUnitOut(BaseModel):
    unit_id: UUID
    name: str


class LinkagePlanOut(BaseModel):
    id: UUID
    jurisdiction: str
    title: str
    issued_on: date
    trigger: str
    parent_plan_id: UUID | None
    linked_units: list[LinkedUnitOut] = Field(
        default_factory=list,
        description="a city plan's units inspected in linkage (mode linked) by its rounds: "
        "the units a county's counterpart report answers",
    )


class CounterpartReportIn(_In):
    unit_id: UUID = Field(description="the county's own inspected unit whose report it provides")
    counterpart_unit_id: UUID = Field(description="the city's unit inspected in linkage")
    provided_on: date


class CounterpartReportOut(BaseModel):
    linkage_plan_id: UUID
    unit_id: UUID
    counterpart_unit_id: UUID
    provided_on: date


def linkage_plan_out(
    plan: LinkagePlan, linked: list[tuple[UUID, str]] | None = None
) -> LinkagePlanOut:
    assert plan.linkage_plan_id
    assert plan.issued_on
    return LinkagePlanOut(
        id=plan.linkage_plan_id,
        jurisdiction=plan.jurisdiction,
        title=plan.title,
        issued_on=plan.issued_on,
        trigger=plan.trigger,
        parent_plan_id=plan.parent_plan_id,
        linked_units=[LinkedUnitOut(unit_id=u, name=n) for u, n in linked or []],
    )


class RoundIn(_In):
    jurisdiction: JurisdictionCode
    term_no: Ordinal
    round_no: Ordinal
    kind: RoundKind
    starts_on: date
    ends_on: date
    linkage_plan_id: UUID | None = None


class RoundUnitIn(_In):
    unit_id: UUID
    mode: InspectionMode


class RoundUnitsIn(_In):
    units: list[RoundUnitIn] = Field(min_length=1, max_length=500)


class AuthorisationIn(_In):
    authorising_jurisdiction: JurisdictionCode


class RoundUnitOut(BaseModel):
    unit_id: UUID
    mode: InspectionMode


class RoundOut(BaseModel):
    id: UUID
    jurisdiction: str
    term_no: int
    round_no: int
    kind: RoundKind
    starts_on: date
    ends_on: date
    linkage_plan_id: UUID | None
    units: list[RoundUnitOut]
    authorisations: list[str]
    required_authorisations: list[str]
    fully_authorised: bool
    closed: bool

    @classmethod
    def of(cls, r: Round) -> RoundOut:
        assert r.round_id
        assert r.kind
        assert r.starts_on
        assert r.ends_on
        return cls(
            id=r.round_id,
            jurisdiction=r.jurisdiction,
            term_no=r.term_no,
            round_no=r.round_no,
            kind=r.kind,
            starts_on=r.starts_on,
            ends_on=r.ends_on,
            linkage_plan_id=r.linkage_plan_id,
            units=[RoundUnitOut(unit_id=u, mode=m) for u, m in r.units.items()],
            authorisations=list(r.authorisations),
            required_authorisations=r.required_authorisations,
            fully_authorised=r.fully_authorised,
            closed=r.closed,
        )

    @classmethod
    def of_row(cls, row: RoundRow) -> RoundOut:
        state = Round(
            round_id=row.round_id,
            jurisdiction=row.jurisdiction,
            term_no=row.term_no,
            round_no=row.round_no,
            kind=RoundKind(row.kind),
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            linkage_plan_id=row.linkage_plan_id,
            units={UUID(u["unit_id"]): InspectionMode(u["mode"]) for u in row.units},
            authorisations=row.authorisations,
            closed=row.closed,
        )
        return cls.of(state)
