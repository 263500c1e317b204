"""Roles, the authenticated principal and the pure access predicates (domain.md section 7).

| role | who | jurisdiction | sees |
|---|---|---|---|
| ``city_admin`` | 市委巡察办 | city code (``361000``) | every code of its city |
| ``county_admin`` | 县区委巡察办 | county code (``361002``) | exactly its county |
| ``group_member`` | 巡察组成员 | its group's county (city for a city group) | exactly that code |
| ``department`` | 接收部门 | city code | every code of its city; filtered by department elsewhere |
| ``auditor`` | 审计/监督 | city code | every code of its city, read-only |
| ``informant_custodian`` | 举报人信息保管员 | city or county code | reporter identities only |
| ``inspected_unit`` | 被巡察单位 | its unit's code | its own unit's issues, plans and reports |

The informant custodian is the only role that reads decrypted reporter identities, those of the
petitions of its jurisdiction (intake's ``POST /api/v1/petitions/{id}/informant``); every read
appends an ``intake.InformantIdentityRead`` event with the stated reason before the identity is
returned. It is not read-only (that read event is its one write); every endpoint that reads or
changes case data refuses it (the services admit roles by allow-list and never list it).

A ``group_member`` bound to a group (``group_id``, ``xuncha tokens create --group``) sees and
changes only that group's units and records (intake answers 404 for any other group).

An ``inspected_unit`` principal is bound to one unit (``unit_id``, intake's unit id; ``xuncha
tokens create --role inspected_unit --unit ID``): rectification lets it see its own unit's issues,
plans, reports and evidence (anything else answers 404) and it submits its own plan and reports;
every other service refuses it (allow-lists never name it).

A ``department``, ``auditor`` or ``informant_custodian`` principal bound to a county code
(rather than a city code) sees only that county. How a principal is authenticated is
``xuncha_shared.auth``'s business; how an HTTP request is refused, ``xuncha_shared.http``'s.
"""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from xuncha_shared.contracts.common import Department, JurisdictionCode
from xuncha_shared.domain.jurisdictions import city_of, is_city, is_valid_jurisdiction
from xuncha_shared.envelope import Actor

__all__ = ["CITY_WIDE_ROLES", "READ_ONLY_ROLES", "ROLE_LABELS_ZH", "Principal", "Role"]


class Role(StrEnum):
    CITY_ADMIN = "city_admin"  # 市委巡察办
    COUNTY_ADMIN = "county_admin"  # 县区委巡察办
    GROUP_MEMBER = "group_member"  # 巡察组成员
    DEPARTMENT = "department"  # 接收部门
    AUDITOR = "auditor"  # 审计/监督 (read-only)
    CUSTODIAN = "informant_custodian"  # 举报人信息保管员 (reads reporter identities, nothing else)
    INSPECTED_UNIT = "inspected_unit"  # 被巡察单位 (its own rectification, nothing else)


ROLE_LABELS_ZH: dict[Role, str] = {
    Role.CITY_ADMIN: "市委巡察办",
    Role.COUNTY_ADMIN: "县区委巡察办",
    Role.GROUP_MEMBER: "巡察组成员",
    Role.DEPARTMENT: "接收部门",
    Role.AUDITOR: "审计/监督",
    Role.CUSTODIAN: "举报人信息保管员",
    Role.INSPECTED_UNIT: "被巡察单位",
}

#: Roles that see the whole city when bound to a city code.
CITY_WIDE_ROLES: frozenset[Role] = frozenset(
    {Role.CITY_ADMIN, Role.AUDITOR, Role.DEPARTMENT, Role.CUSTODIAN}
)
#: Roles that may not change anything.
READ_ONLY_ROLES: frozenset[Role] = frozenset({Role.AUDITOR})


class Principal(BaseModel):
    """An authenticated caller."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=200)
    role: Role
    jurisdiction: JurisdictionCode
    department: Department | None = None
    #: a group member's group (``xuncha tokens create --role group_member --group ID``): it
    #: sees and changes only that group's units and records
    group_id: UUID | None = None
    #: an inspected unit's unit (intake's unit id; ``xuncha tokens create --role inspected_unit
    #: --unit ID``): it sees and changes only that unit's rectification
    unit_id: UUID | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Principal:
        if not is_valid_jurisdiction(self.jurisdiction):
            raise ValueError("jurisdiction must be a city or county GB/T 2260 code")
        if self.role is Role.DEPARTMENT and self.department is None:
            raise ValueError("a department principal needs a department")
        if self.role is not Role.DEPARTMENT and self.department is not None:
            raise ValueError("only a department principal has a department")
        if self.role is Role.CITY_ADMIN and not is_city(self.jurisdiction):
            raise ValueError("a city_admin is bound to a city code (ending in 00)")
        if self.role is Role.COUNTY_ADMIN and is_city(self.jurisdiction):
            raise ValueError("a county_admin is bound to a county code")
        if self.group_id is not None and self.role is not Role.GROUP_MEMBER:
            raise ValueError("only a group_member is bound to a group")
        if self.role is Role.INSPECTED_UNIT and self.unit_id is None:
            raise ValueError("an inspected_unit principal needs a unit")
        if self.unit_id is not None and self.role is not Role.INSPECTED_UNIT:
            raise ValueError("only an inspected_unit is bound to a unit")
        return self

    def sees_group(self, group_id: UUID) -> bool:
        """Whether a group-bound principal may see group ``group_id`` (any unbound one may,
        within its jurisdictions)."""
        return self.group_id is None or self.group_id == group_id

    def sees_unit(self, unit_id: UUID | None) -> bool:
        """Whether a unit-bound principal may see records of unit ``unit_id`` (any other
        principal may, within its jurisdictions)."""
        return self.unit_id is None or self.unit_id == unit_id

    @property
    def city(self) -> str:
        return city_of(self.jurisdiction)

    @property
    def is_city_wide(self) -> bool:
        """Whether this principal sees every code of its city."""
        return self.role in CITY_WIDE_ROLES and is_city(self.jurisdiction)

    @property
    def can_write(self) -> bool:
        return self.role not in READ_ONLY_ROLES

    @property
    def role_label_zh(self) -> str:
        return ROLE_LABELS_ZH[self.role]

    def can_access(self, jurisdiction: str) -> bool:
        """Whether this principal may see data of ``jurisdiction``."""
        if not is_valid_jurisdiction(jurisdiction):
            return False
        if self.is_city_wide:
            return city_of(jurisdiction) == self.jurisdiction
        return jurisdiction == self.jurisdiction

    def jurisdiction_like(self) -> str:
        """A SQL ``LIKE`` pattern matching exactly the codes this principal may see."""
        return self.jurisdiction[:4] + "__" if self.is_city_wide else self.jurisdiction

    def actor(self) -> Actor:
        """The event envelope's actor for actions of this principal."""
        return Actor(principal_id=self.id, role=self.role.value)
