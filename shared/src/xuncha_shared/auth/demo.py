"""Demo principals (one per role) and their tokens, for ``xuncha tokens demo`` and demo data."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from xuncha_shared.auth.tokens import DbTarget, create_token_in
from xuncha_shared.contracts.common import Department
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.jurisdictions import is_city
from xuncha_shared.domain.principals import Principal, Role

#: the demo's inspected unit (a synthetic id: 市委巡察办 under the provincial review, loaded by
#: ``xuncha demo load``); its token is ``inspected_unit`` in demo-tokens.json
DEMO_UNIT_ID = uuid.uuid5(uuid.NAMESPACE_URL, "https://xuncha.example/demo/unit/361000/review")


def demo_principals(
    city: str = "361000", county: str = "361002", group_id: uuid.UUID | None = None
) -> dict[Role, Principal]:
    """One principal per role: city admin, auditor, discipline commission and informant
    custodian of ``city``; county admin and group member of ``county``, the group member bound
    to ``group_id`` when given (``xuncha tokens demo`` binds it to the county's demo group:
    a member's token unbound to a group sees none of a group's work)."""
    return {
        Role.CITY_ADMIN: Principal(id="demo-city-admin", role=Role.CITY_ADMIN, jurisdiction=city),
        Role.COUNTY_ADMIN: Principal(
            id="demo-county-admin", role=Role.COUNTY_ADMIN, jurisdiction=county
        ),
        Role.GROUP_MEMBER: Principal(
            id="demo-group-member", role=Role.GROUP_MEMBER, jurisdiction=county, group_id=group_id
        ),
        Role.DEPARTMENT: Principal(
            id="demo-discipline-commission",
            role=Role.DEPARTMENT,
            jurisdiction=city,
            department=Department.DISCIPLINE,
        ),
        Role.AUDITOR: Principal(id="demo-auditor", role=Role.AUDITOR, jurisdiction=city),
        Role.CUSTODIAN: Principal(
            id="demo-informant-custodian", role=Role.CUSTODIAN, jurisdiction=city
        ),
        Role.INSPECTED_UNIT: Principal(
            id="demo-inspected-unit",
            role=Role.INSPECTED_UNIT,
            jurisdiction=city,
            unit_id=DEMO_UNIT_ID,
        ),
    }


async def create_demo_tokens(
    pools_or_urls: Sequence[DbTarget],
    city: str = "361000",
    county: str = "361002",
    group_id: uuid.UUID | None = None,
) -> dict[str, str]:
    """One token per role (see ``demo_principals``), each valid in every database given.
    Returns ``{"city_admin": token, "county_admin": token, ...}``."""
    if county[:4] != city[:4] or not is_city(city) or is_city(county):
        raise ValueError(f"{county} is not a county of city {city}")
    targets = list(pools_or_urls)
    tokens: dict[str, str] = {}
    for role, principal in demo_principals(city, county, group_id).items():
        tokens[role.value] = await create_token_in(targets, principal, label="demo")
    return tokens


def demo_office_principals(city: str = "361000", county: str = "361002") -> dict[str, Principal]:
    """The office (县委巡察办) of every other county of ``city`` the deployment knows, by county
    code: the demo load records each county's own work (its petitions, clues, problems,
    feedbacks and reports) as that county's office, as the offices do, rather than all of it as
    the city's. ``county``'s office is ``demo_principals``' county admin."""
    return {
        j.code: Principal(
            id=f"demo-county-admin-{j.code}", role=Role.COUNTY_ADMIN, jurisdiction=j.code
        )
        for j in jurisdictions.COUNTIES
        if j.parent == city and j.code != county
    }


async def create_office_tokens(
    pools_or_urls: Sequence[DbTarget], city: str = "361000", county: str = "361002"
) -> dict[str, str]:
    """One token per office of ``demo_office_principals``, each valid in every database given.
    Returns ``{"361003": token, ...}``."""
    targets = list(pools_or_urls)
    return {
        code: await create_token_in(targets, principal, label="demo")
        for code, principal in demo_office_principals(city, county).items()
    }


def demo_department_principals(city: str = "361000") -> dict[str, Principal]:
    """A receiving department's principal of ``city`` for each department, by department: the
    demo's 组织部 asks the offices for their opinions on cadres (R4) with its own token (the
    role's demo token is the discipline commission's)."""
    return {
        d.value: Principal(
            id=f"demo-department-{d.value}", role=Role.DEPARTMENT, jurisdiction=city, department=d
        )
        for d in Department
    }


async def create_department_tokens(
    pools_or_urls: Sequence[DbTarget], city: str = "361000"
) -> dict[str, str]:
    """One token per department of ``demo_department_principals``, each valid in every
    database given. Returns ``{"organisation": token, ...}``."""
    targets = list(pools_or_urls)
    return {
        key: await create_token_in(targets, principal, label="demo")
        for key, principal in demo_department_principals(city).items()
    }


def demo_unit_principals(units: Mapping[uuid.UUID, str]) -> dict[uuid.UUID, Principal]:
    """An inspected unit's principal for each of ``units`` (unit id -> its jurisdiction): the
    demo load records each unit's rectification reports as the unit itself, as units report."""
    return {
        unit_id: Principal(
            id=f"demo-unit-{unit_id}",
            role=Role.INSPECTED_UNIT,
            jurisdiction=jurisdiction,
            unit_id=unit_id,
        )
        for unit_id, jurisdiction in units.items()
    }


async def create_unit_tokens(
    pools_or_urls: Sequence[DbTarget], units: Mapping[uuid.UUID, str]
) -> dict[str, str]:
    """One token per unit of ``demo_unit_principals``, each valid in every database given.
    Returns ``{"<unit id>": token, ...}``."""
    targets = list(pools_or_urls)
    return {
        str(unit_id): await create_token_in(targets, principal, label="demo")
        for unit_id, principal in demo_unit_principals(units).items()
    }
