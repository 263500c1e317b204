"""后备干部库 as the 组织部 reads it: who is in the reserve pool now, by which round and group's
优秀, and every admission and removal in order, from the events as the projection keeps them."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from xuncha_reporting.domain.model import Doc
from xuncha_reporting.domain.projection import project
from xuncha_reporting.domain.reserve_cadres import RESERVE_KINDS, Docs, reserve_cadres
from xuncha_shared.contracts.intake import (
    GroupFormed,
    ReserveCadreAdmitted,
    ReserveCadreRemoved,
    RoundKind,
    RoundPlanned,
    TalentPoolMemberEnrolled,
    UnitRegistered,
)
from xuncha_shared.envelope import Actor, EventEnvelope, EventPayload
from xuncha_shared.eventstore.base import NewEvent, seal_events

pytestmark = pytest.mark.unit

CITY = "361000"
T0 = datetime(2026, 11, 1, 2, tzinfo=UTC)
ACTOR = Actor(principal_id="office-1", role="city_admin")


def envelope(payload: EventPayload, at: datetime) -> EventEnvelope:
    [sealed] = seal_events(
        "pool_member", str(uuid.uuid4()), 1, "0" * 64,
        [NewEvent(payload, CITY, ACTOR, occurred_at=at)], at,
    )  # fmt: skip
    return sealed


def docs_of(events: list[EventPayload]) -> Docs:
    docs: Docs = {kind: {} for kind in RESERVE_KINDS}
    for n, payload in enumerate(events):
        for change in project(envelope(payload, T0 + timedelta(hours=n)), payload):
            if isinstance(change, Doc) and change.kind in docs:
                docs[change.kind][change.key] = {**change.doc, "jurisdiction": CITY}
    return docs


def test_the_reserve_pool_now_and_its_history() -> None:
    home = uuid.uuid4()
    round_id, group_id = uuid.uuid4(), uuid.uuid4()
    a, b = uuid.uuid4(), uuid.uuid4()
    history: list[EventPayload] = [
        UnitRegistered(unit_id=home, jurisdiction=CITY, name="市纪委监委", kind="city_department"),
        RoundPlanned(round_id=round_id, jurisdiction=CITY, term_no=4, round_no=6,
                     kind=RoundKind.REGULAR, starts_on=date(2026, 9, 1),
                     ends_on=date(2026, 10, 30)),
        GroupFormed(group_id=group_id, round_id=round_id, jurisdiction=CITY, group_no=3,
                    leader_id=a, member_ids=[a, b], unit_ids=[uuid.uuid4()],
                    starts_on=date(2026, 9, 1), ends_on=date(2026, 10, 30)),
        *(
            TalentPoolMemberEnrolled(
                member_id=m, jurisdiction=CITY, name=name, home_unit_id=home,
                source="discipline_commission", specialities=["discipline"], rank="正科级",
                birth_year=1982,
            )
            for m, name in ((a, "欧阳甲"), (b, "欧阳乙"))
        ),
        ReserveCadreAdmitted(member_id=a, group_id=group_id, admitted_on=date(2026, 11, 2),
                             note="组长推荐"),
        ReserveCadreAdmitted(member_id=b, group_id=group_id, admitted_on=date(2026, 11, 3)),
        ReserveCadreRemoved(member_id=b, removed_on=date(2026, 11, 20), reason="已提拔任用"),
    ]  # fmt: skip
    view = reserve_cadres(docs_of(history))
    assert view["size"] == 1
    [member] = view["members"]
    assert (member["name"], member["home_unit"], member["since"], member["note"]) == (
        "欧阳甲", "市纪委监委", "2026-11-02", "组长推荐"
    )  # fmt: skip
    assert member["group"] == "抚州市第4届第6轮第3巡察组"
    assert [(h["name"], h["kind"], h["day"]) for h in view["history"]] == [
        ("欧阳乙", "removed", "2026-11-20"),
        ("欧阳乙", "admitted", "2026-11-03"),
        ("欧阳甲", "admitted", "2026-11-02"),
    ]
    assert view["history"][0]["reason"] == "已提拔任用"
