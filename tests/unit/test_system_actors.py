"""The history names the system's writers by what they did: every automatic writer's principal
id has its words (a consumer renamed without them would show as a bare 系统)."""

from __future__ import annotations

from xuncha_clues.handlers import CONSUMER_ACTOR, RECORDS_ACTOR
from xuncha_intake.handlers.petitions import RESULT_NOTICE_ACTOR
from xuncha_shared.audit.history import SYSTEM_ACTORS_ZH, actor_name_zh
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
