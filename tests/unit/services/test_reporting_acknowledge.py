"""签收 decided by the pure ``decide_acknowledge``: who may sign, for which item, once."""

from __future__ import annotations

import uuid

import pytest
from xuncha_reporting.domain.acknowledge import AcknowledgeItem, SharedItem, decide_acknowledge
from xuncha_shared.contracts.common import Department
from xuncha_shared.contracts.reporting import ShareItemAcknowledged
from xuncha_shared.domain.errors import DomainError
from xuncha_shared.domain.principals import Principal, Role

pytestmark = pytest.mark.unit

CITY = "361000"
LINCHUAN = "361002"
NANCHENG = "361021"
SOURCE = uuid.UUID(int=7)


def department(jurisdiction: str = CITY, dept: Department = Department.DISCIPLINE) -> Principal:
    return Principal(id="d", role=Role.DEPARTMENT, jurisdiction=jurisdiction, department=dept)


def item(*, jurisdiction: str = LINCHUAN, acknowledged: bool = False) -> SharedItem:
    return SharedItem(
        department=Department.DISCIPLINE.value,
        jurisdiction=jurisdiction,
        source_event_id=SOURCE,
        acknowledged=acknowledged,
    )


CMD = AcknowledgeItem(item_id=f"{SOURCE}:discipline", department=Department.DISCIPLINE, note="收")


def status(shared: SharedItem | None, cmd: AcknowledgeItem, principal: Principal) -> int:
    with pytest.raises(DomainError) as refused:
        decide_acknowledge(shared, cmd, principal)
    return refused.value.status


def test_the_receiving_department_signs_for_its_item() -> None:
    event = decide_acknowledge(item(), CMD, department())
    assert isinstance(event, ShareItemAcknowledged)
    assert (event.item_id, event.department, event.source_event_id, event.note) == (
        CMD.item_id,
        Department.DISCIPLINE,
        SOURCE,
        "收",
    )


def test_only_that_department_signs() -> None:
    other = department(dept=Department.ORGANISATION)
    assert status(item(), CMD, other) == 403
    admin = Principal(id="c", role=Role.CITY_ADMIN, jurisdiction=CITY)
    assert status(item(), CMD, admin) == 403


def test_an_unknown_item_or_one_of_another_feed_is_not_found() -> None:
    assert status(None, CMD, department()) == 404
    elsewhere = SharedItem(
        department=Department.ORGANISATION.value,
        jurisdiction=LINCHUAN,
        source_event_id=SOURCE,
        acknowledged=False,
    )
    assert status(elsewhere, CMD, department()) == 404


def test_a_second_acknowledgement_is_a_conflict() -> None:
    assert status(item(acknowledged=True), CMD, department()) == 409


def test_another_jurisdiction_is_refused_before_telling_whether_it_was_signed() -> None:
    county_department = department(jurisdiction=NANCHENG)
    # answered like an unknown item: neither its existence nor its signature is told
    assert status(item(acknowledged=False), CMD, county_department) == 404
    assert status(item(acknowledged=True), CMD, county_department) == 404
    assert status(None, CMD, county_department) == 404
