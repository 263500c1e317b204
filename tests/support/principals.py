"""The principals and jurisdictions the API tests share (抚州市 and two of its counties)."""

from __future__ import annotations

from xuncha_shared.contracts.common import Department
from xuncha_shared.domain.principals import Principal, Role

CITY = "361000"  # 抚州市
LINCHUAN = "361002"  # 临川区
NANCHENG = "361021"  # 南城县
PROBLEM = "application/problem+json"


def department(principal_id: str, dept: Department) -> Principal:
    """A receiving department of the city."""
    return Principal(id=principal_id, role=Role.DEPARTMENT, jurisdiction=CITY, department=dept)


#: the offices, a group member and the auditor: every test of a service API needs them
OFFICES: dict[str, Principal] = {
    "city": Principal(id="city-office", role=Role.CITY_ADMIN, jurisdiction=CITY),
    "county": Principal(id="lc-office", role=Role.COUNTY_ADMIN, jurisdiction=LINCHUAN),
    "other": Principal(id="nc-office", role=Role.COUNTY_ADMIN, jurisdiction=NANCHENG),
    "group": Principal(id="lc-group-3", role=Role.GROUP_MEMBER, jurisdiction=LINCHUAN),
    "auditor": Principal(id="auditor", role=Role.AUDITOR, jurisdiction=CITY),
}
