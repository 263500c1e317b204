"""What the clue list (``GET /api/v1/clues``) shows of a clue to each reader: the summary and
R3's clock (``result_due_date``, ``result_state``) only where the clue itself may be read."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from xuncha_clues.adapters.read_model import ClueRow
from xuncha_clues.entrypoints.clue_responses import list_item
from xuncha_shared.contracts.common import Department
from xuncha_shared.domain.principals import Principal, Role

from tests.support.principals import CITY, LINCHUAN, department

pytestmark = pytest.mark.unit

GROUP = uuid.uuid4()


def transferred(*, owner: str = LINCHUAN, group: uuid.UUID | None = GROUP) -> ClueRow:
    return ClueRow(
        clue_id=uuid.uuid4(),
        jurisdiction=LINCHUAN,
        owner=owner,
        unit="临川区住建局",
        status="transferred",
        category="inquiry",
        city_managed=False,
        needs_escalation=False,
        escalated_to=CITY if owner == CITY else None,
        department=Department.DISCIPLINE.value,
        registered_at=datetime(2026, 11, 1, tzinfo=UTC),
        updated_at=datetime(2026, 11, 2, tzinfo=UTC),
        version=4,
        summary="反映该局违规发放津补贴",
        group_id=group,
        result_due_date=date(2026, 12, 20),
        result_state="overdue",
    )


def clock(row: ClueRow, reader: Principal) -> tuple[object, object]:
    item = list_item(row, reader)
    return item.result_due_date, item.result_state


def test_the_office_the_department_and_its_own_group_read_r3() -> None:
    row = transferred()
    own_group = Principal(id="g", role=Role.GROUP_MEMBER, jurisdiction=LINCHUAN, group_id=GROUP)
    county = Principal(id="c", role=Role.COUNTY_ADMIN, jurisdiction=LINCHUAN)
    for reader in (county, own_group, department("jw", Department.DISCIPLINE)):
        assert clock(row, reader) == (date(2026, 12, 20), "overdue"), reader.role


def test_another_group_a_county_that_escalated_and_another_department_do_not() -> None:
    other_group = Principal(
        id="g2", role=Role.GROUP_MEMBER, jurisdiction=LINCHUAN, group_id=uuid.uuid4()
    )
    assert clock(transferred(), other_group) == (None, None)  # its page is a 404 to them
    county = Principal(id="c", role=Role.COUNTY_ADMIN, jurisdiction=LINCHUAN)
    escalated = transferred(owner=CITY)  # the city handles it now: the county reads a stub
    assert list_item(escalated, county).view == "stub"
    assert clock(escalated, county) == (None, None)
    assert clock(transferred(), department("org", Department.ORGANISATION)) == (None, None)
