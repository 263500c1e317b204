"""The history names the system's writers by what they did: every automatic writer's principal
id has its words (a consumer renamed without them would show as a bare 系统)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

from xuncha_clues.handlers import CONSUMER_ACTOR, RECORDS_ACTOR
from xuncha_intake.handlers.petitions import RESULT_NOTICE_ACTOR
from xuncha_shared.audit.history import (
    SYSTEM_ACTORS_ZH,
    Story,
    StoryEvent,
    actor_name_zh,
    event_actor_zh,
    stream_units,
)
from xuncha_shared.envelope import SYSTEM_ACTOR


def test_every_automatic_writer_is_named() -> None:
    for actor in (CONSUMER_ACTOR, RECORDS_ACTOR, RESULT_NOTICE_ACTOR, SYSTEM_ACTOR):
        assert actor.principal_id in SYSTEM_ACTORS_ZH, actor
        assert actor_name_zh(actor.principal_id, actor.role).startswith("系统（")
    assert actor_name_zh("lc-office", "county_admin") == "县区委巡察办（lc-office）"
    # in a county's event: the county's office, as the clue history names it
    assert actor_name_zh("lc-office", "county_admin", "361002") == "临川区委巡察办（lc-office）"
    assert actor_name_zh("city-1", "city_admin", "361000") == "市委巡察办（city-1）"
    assert actor_name_zh("service:other", "system") == "系统"
    # a receiving department by the department its event names; without one, by its role
    signed = {"department": "discipline_commission", "clue_id": "c"}
    assert actor_name_zh("dc-1", "department", "361000", signed) == "纪委监委（dc-1）"
    assert actor_name_zh("dc-1", "department", "361000", {}) == "接收部门（dc-1）"


def test_an_inspected_unit_is_named_by_the_unit_its_stream_is_about() -> None:
    assert actor_name_zh("u-7", "inspected_unit") == "被巡察单位（u-7）"
    assert actor_name_zh("u-7", "inspected_unit", "361000", {}, "市交通局") == "市交通局（u-7）"
    # the unit's sign-in acts on its own issue only: the stream's feedback names the unit
    actor = SimpleNamespace(principal_id="u-7", role="inspected_unit")
    office = SimpleNamespace(principal_id="city-1", role="city_admin")
    fed_back = SimpleNamespace(
        stream_id="i-1", jurisdiction="361000", actor=office, payload={"unit": "市交通局"}
    )
    reported = SimpleNamespace(
        stream_id="i-1", jurisdiction="361000", actor=actor, payload={"kind": "formal"}
    )
    elsewhere = SimpleNamespace(
        stream_id="c-9", jurisdiction="361000", actor=actor, payload={"note": "x"}
    )
    events = [cast(Any, e) for e in (fed_back, reported, elsewhere)]
    story = Story("i-1", [StoryEvent("rectification", e, True) for e in events])
    units = stream_units(story)
    assert units == {"i-1": "市交通局"}
    assert event_actor_zh(events[1], units) == "市交通局（u-7）"
    assert event_actor_zh(events[0], units) == "市委巡察办（city-1）"
    assert event_actor_zh(events[2], units) == "被巡察单位（u-7）"  # a stream naming no unit
