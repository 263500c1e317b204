"""What the clue routes answer (a clue in full, a stub, a page of the list) and who may see a
clue: the mapping from the domain's ``Clue`` and the read model's rows, the access rules every
clue route shares, and the roles that read, classify and act as an office."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field
from xuncha_shared.contracts.clues import (
    AcknowledgementPath,
    CadreLevel,
    ClueCategory,
    CluePerson,
    Disposition,
)
from xuncha_shared.contracts.common import DEPARTMENT_LABELS_ZH, Department
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.personal_numbers import blind_marks
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.http import problems

from xuncha_clues.adapters.read_model import ClueRow
from xuncha_clues.domain.clue import (
    DISPOSITION_ZH,
    STATUS_ZH,
    Clue,
    ClueStatus,
    Office,
    UnknownClue,
    unknown_clue_detail,
)
from xuncha_clues.domain.routing import (
    ROUTE_TABLE_VERSION,
    is_leading_cadre,
    suggested_departments,
)
from xuncha_clues.domain.scope import RegisteringGroup, group_sees_clue
from xuncha_clues.handlers import ClueHandlers

READERS = (Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.GROUP_MEMBER, Role.AUDITOR, Role.DEPARTMENT)
CLASSIFIERS = (Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.GROUP_MEMBER)
OFFICES = (Role.CITY_ADMIN, Role.COUNTY_ADMIN)
CONCURRENT_CHANGE = (
    "线索已被并发修改，请刷新后重试 / the clue was changed concurrently; reload and retry"
)


# ---- response models -----------------------------------------------------------------------


class ClueOut(BaseModel):
    view: Literal["full"] = "full"
    id: UUID
    jurisdiction: str
    jurisdiction_name: str
    owner: str = Field(description="the office responsible now (the city once escalated)")
    unit: str
    summary: str
    status: ClueStatus
    status_zh: str
    category: ClueCategory | None
    cadre_level: CadreLevel | None
    city_managed: bool
    counties: list[str]
    topics: list[str]
    needs_escalation: bool = Field(description="R12: 市管干部 or several counties")
    escalated_to: str | None
    escalation_reason: str | None
    department: Department | None
    department_zh: str | None
    transfer_reason: str | None
    suggested_departments: list[Department] = Field(description="R2 route table")
    route_table: str = ROUTE_TABLE_VERSION
    source_petition_id: UUID | None
    round_id: str | None
    group_id: UUID | None = None
    unit_id: UUID | None = None
    source_channel: str | None = None
    persons: list[CluePerson] = []
    verifications: int = 0
    acknowledged_via: AcknowledgementPath | None = None
    disposition: Disposition | None = None
    disposition_zh: str | None = None
    concluded_on: date | None = None
    result_summary: str | None = None
    disposed_on: date | None = None
    transferred_at: datetime | None = None
    registered_at: datetime | None
    registered_on: date | None = Field(
        default=None, description="补录 (R26): the day written on the registration; null: none"
    )
    transferred_on: date | None = Field(
        default=None, description="补录 (R26): the day of the transfer letter; null: none"
    )
    result_due_date: date | None = Field(
        default=None,
        description="R3: the last day of the department's result, as the clue's clock has it "
        "(GET /api/v1/clues/{id} of a transferred clue; null: no clock, or not asked)",
    )
    result_late: bool | None = Field(
        default=None,
        description="R3: the department's result came after its last day (true), by it "
        "(false); null while it is awaited, or without a clock",
    )
    urges: int = Field(default=0, description="催办 (R27): how often the result was urged")
    last_urged_on: date | None = Field(default=None, description="the day of the last urge")
    updated_at: datetime | None
    version: int


class ClueStub(BaseModel):
    """What a county office sees of a clue escalated to the city office."""

    view: Literal["stub"] = "stub"
    id: UUID
    jurisdiction: str
    status: ClueStatus
    status_zh: str
    escalated_to: str | None
    registered_at: datetime | None
    updated_at: datetime | None = Field(
        description="when the clue took the status shown (the city office's other steps are "
        "not the county's to follow: 不扩大知情范围)"
    )


class ClueListItem(BaseModel):
    view: Literal["full", "stub"]
    id: UUID
    jurisdiction: str
    status: ClueStatus
    status_zh: str
    escalated_to: str | None
    registered_at: datetime | None
    registered_on: date | None = Field(
        default=None,
        description="补录 (R26): the day written on the registration, the clue's registration "
        "day where it differs from registered_at's; null: none",
    )
    updated_at: datetime | None
    owner: str | None = None
    unit: str | None = None
    category: ClueCategory | None = None
    city_managed: bool | None = None
    needs_escalation: bool | None = None
    department: Department | None = None
    summary: str | None = Field(
        default=None,
        description="线索摘要, as the clue shows it to the reader (full view only; null for "
        "clues listed before summaries were)",
    )
    result_due_date: date | None = Field(
        default=None,
        description="a transferred clue's last day for the department's result (R3, as its "
        "clock has it; full view only; null when no clock ran)",
    )
    result_state: str | None = Field(
        default=None,
        description="R3's clock: running, warning_yellow, warning_red, overdue, met, met_late "
        "(full view only)",
    )


class ClueList(BaseModel):
    items: list[ClueListItem]
    limit: int
    offset: int
    total: int = Field(description="how many clues the filters match (every page)")
    sort: str = Field(description="the order of the items, e.g. -registered_at")


# ---- mapping -------------------------------------------------------------------------------


def office_of(principal: Principal) -> Office:
    return Office(jurisdiction=principal.jurisdiction, city_wide=principal.is_city_wide)


def clue_out(clue: Clue) -> ClueOut:
    assert clue.clue_id is not None
    return ClueOut(
        id=clue.clue_id,
        jurisdiction=clue.jurisdiction,
        jurisdiction_name=jurisdictions.name_of(clue.jurisdiction),
        owner=clue.owner,
        unit=clue.unit,
        summary=clue.summary,
        status=clue.status,
        status_zh=STATUS_ZH[clue.status],
        category=clue.category,
        cadre_level=clue.cadre_level,
        city_managed=clue.city_managed,
        counties=clue.counties,
        topics=clue.topics,
        needs_escalation=clue.needs_escalation,
        escalated_to=clue.escalated_to,
        escalation_reason=clue.escalation_reason,
        department=clue.department,
        department_zh=DEPARTMENT_LABELS_ZH[clue.department] if clue.department else None,
        transfer_reason=clue.transfer_reason,
        suggested_departments=suggested_departments(
            clue.topics, is_leading_cadre(clue.cadre_level, clue.city_managed)
        ),
        source_petition_id=clue.source_petition_id,
        round_id=clue.round_id,
        group_id=clue.group_id,
        unit_id=clue.unit_id,
        source_channel=clue.source_channel,
        persons=clue.persons,
        verifications=clue.verifications,
        acknowledged_via=clue.acknowledged_via,
        disposition=clue.disposition,
        disposition_zh=DISPOSITION_ZH[clue.disposition] if clue.disposition else None,
        concluded_on=clue.concluded_on,
        result_summary=clue.result_summary,
        disposed_on=clue.disposed_on,
        transferred_at=clue.transferred_at,
        registered_at=clue.registered_at,
        registered_on=clue.registered_on,
        transferred_on=clue.transferred_on,
        urges=clue.urges,
        last_urged_on=clue.last_urged_on,
        updated_at=clue.updated_at,
        version=clue.version,
    )


def for_department(out: ClueOut) -> ClueOut:
    """A receiving department's view of a clue transferred to it: the matter, never its source
    (docs/domain.md, "Redact"): the petition it came from and that petition's channel, the round
    and the group that found it are left out; it is told the clue came from an inspection."""
    hidden = ("source_petition_id", "source_channel", "round_id", "group_id")
    # a seal mark says only that something was left out, not that a number was given
    return out.model_copy(update={**dict.fromkeys(hidden), "summary": blind_marks(out.summary)})


#: the automatic registrations, each named by what it registered from (a petition, a group's
#: record): a receiving department is told only that the system registered the clue
AUTOMATIC_REGISTRATION = "service:clues.register"


def source_blind(principal_id: str, reader: Principal) -> str:
    """Who recorded an event, as ``reader`` may know it: a department gets the matter, never
    its source (``for_department``), so an automatic registration is not named
    by what it came from."""
    if reader.role is Role.DEPARTMENT and principal_id.startswith(AUTOMATIC_REGISTRATION):
        return AUTOMATIC_REGISTRATION
    return principal_id


def clue_stub(clue: Clue) -> ClueStub:
    assert clue.clue_id is not None
    return ClueStub(
        id=clue.clue_id,
        jurisdiction=clue.jurisdiction,
        status=clue.status,
        status_zh=STATUS_ZH[clue.status],
        escalated_to=clue.escalated_to,
        registered_at=clue.registered_at,
        updated_at=clue.status_since,
    )


def list_item(row: ClueRow, principal: Principal) -> ClueListItem:
    status = ClueStatus(row.status)
    full = (
        jurisdictions.city_of(row.owner) == principal.jurisdiction
        if principal.is_city_wide
        else row.owner == principal.jurisdiction
    )
    if principal.role is Role.DEPARTMENT:
        full = (
            full
            and principal.department is not None
            and (row.department == principal.department.value)
        )
    item = ClueListItem(
        view="full" if full else "stub",
        id=row.clue_id,
        jurisdiction=row.jurisdiction,
        status=status,
        status_zh=STATUS_ZH[status],
        escalated_to=row.escalated_to,
        registered_at=row.registered_at,
        registered_on=row.registered_on,
        updated_at=row.updated_at if full else row.status_since,  # as ``clue_stub``
    )
    if full:
        item.owner = row.owner
        item.unit = row.unit
        item.category = ClueCategory(row.category) if row.category else None
        item.city_managed = row.city_managed
        item.needs_escalation = row.needs_escalation
        item.department = Department(row.department) if row.department else None
        # the text and R3's clock only where the clue itself may be read (another group's: its
        # page is a 404)
        if row.group_id is None or principal.sees_group(row.group_id):
            item.summary = row.summary
            if principal.role is Role.DEPARTMENT and row.summary:  # as on its page
                item.summary = blind_marks(row.summary)
            if row.department is not None:  # transferred: R3's last day, as on its page
                item.result_due_date = row.result_due_date
                item.result_state = row.result_state
    return item


# ---- access --------------------------------------------------------------------------------


def can_see(principal: Principal, clue: Clue, group: RegisteringGroup | None = None) -> bool:
    """A department: only the clues transferred to it, in its area. A group member bound to a
    group (``group``: that group as clues knows it): its group's clues and the others of its
    round and units (``group_sees_clue``). Others: clues registered in, or escalated to, their
    area."""
    if principal.role is Role.DEPARTMENT:
        return (
            clue.department is not None
            and clue.department is principal.department
            and (principal.can_access(clue.owner))
        )
    if principal.group_id is not None and not group_sees_clue(
        principal.group_id, group, clue.group_id, clue.round_id, clue.unit_id
    ):
        return False
    return principal.can_access(clue.jurisdiction) or principal.can_access(clue.owner)


async def visible(handlers: ClueHandlers, clue_id: UUID, principal: Principal) -> Clue:
    """The clue, when ``principal`` may see it (:func:`can_see`); else the 404 of an unknown
    clue, word for word (no existence oracle)."""
    with domain_errors():
        clue = await handlers.get(clue_id)
    if not can_see(principal, clue, await group_of(handlers, principal)):
        raise problems.problem_of(UnknownClue(unknown_clue_detail(clue_id)))
    return clue


async def group_of(handlers: ClueHandlers, principal: Principal) -> RegisteringGroup | None:
    """A group-bound member's group as clues knows it (None: not bound, or not known yet)."""
    return await handlers.group_of(principal.group_id) if principal.group_id else None


def department_of(principal: Principal) -> Department:
    assert principal.department is not None  # a department principal always has one
    return principal.department


def domain_errors() -> AbstractContextManager[None]:
    """Map the model's refusals and lost races to problem responses."""
    return problems.domain_errors(CONCURRENT_CHANGE)
