"""The small read endpoints the workbench added, against the real PostgreSQL: intake's list of
the jurisdiction's petitions and the clues service's R2 route and clue history. Each service
runs in this process with its real composition on databases of its own; real bearer tokens.

Both answer as their neighbours do: role checks, a county sees its own county only, a clue of
another jurisdiction (or escalated away from a county) is 404 like an unknown id, bad input is
a 422 problem."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from xuncha_clues.bootstrap import SPEC as CLUES
from xuncha_clues.bootstrap import handlers as handlers_from_context
from xuncha_clues.domain.clue import Office
from xuncha_clues.domain.commands import ClassifyClue, EscalateClue, RegisterClue
from xuncha_clues.domain.routing import ROUTE_TABLE_VERSION
from xuncha_intake.bootstrap import SPEC as INTAKE
from xuncha_shared.contracts.clues import CadreLevel, ClueCategory
from xuncha_shared.contracts.common import Department
from xuncha_shared.domain.commands import Meta
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.envelope import Actor

from tests.support.principals import CITY, LINCHUAN, NANCHENG, OFFICES, PROBLEM, department
from tests.support.service_api import InProcessService, in_process_service

pytestmark = pytest.mark.timeout(180)

BOUND_GROUP = uuid.uuid4()
PRINCIPALS = {
    "dept": department("jw", Department.DISCIPLINE),
    "bound": Principal(
        id="lc-g9", role=Role.GROUP_MEMBER, jurisdiction=LINCHUAN, group_id=BOUND_GROUP
    ),
    "lc-custodian": Principal(id="custodian-lc", role=Role.CUSTODIAN, jurisdiction=LINCHUAN),
    **OFFICES,
}
INFORMANT = {"name": "王秀英", "phone": "13907941234", "id_number": "11010519491231002X"}


def bearer(svc: InProcessService, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {svc.tokens[who]}"}


def assert_problem(resp: Any, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    doc: dict[str, Any] = resp.json()
    assert doc["status"] == status
    return doc


# ---- intake: GET /api/v1/petitions -----------------------------------------------------------


@pytest.fixture(scope="module")
async def intake(infra: Any) -> AsyncIterator[InProcessService]:
    async with in_process_service(infra, INTAKE, PRINCIPALS, label="wbi") as svc:
        yield svc


async def _record(svc: InProcessService, who: str, jurisdiction: str, **extra: Any) -> str:
    body = {
        "jurisdiction": jurisdiction,
        "unit": extra.pop("unit", "某局"),
        "channel": extra.pop("channel", "letter"),
        "summary": extra.pop("summary", "反映问题"),
        **extra,
    }
    resp = await svc.client.post("/api/v1/petitions", json=body, headers=bearer(svc, who))
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


async def test_petition_list_is_the_jurisdictions_own_newest_first(intake: InProcessService):
    lc_first = await _record(intake, "county", LINCHUAN, unit="临川区水利局", informant=INFORMANT)
    lc_second = await _record(intake, "county", LINCHUAN, unit="临川区财政局", channel="visit")
    nc = await _record(intake, "other", NANCHENG, unit="南城县教育局")
    city = await _record(intake, "city", CITY, unit="市直某局")

    resp = await intake.client.get("/api/v1/petitions", headers=bearer(intake, "county"))
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    ids = [i["id"] for i in doc["items"]]
    assert ids == [lc_second, lc_first]  # its own county only, newest first
    assert doc["total"] == 2
    first = doc["items"][1]
    assert first["unit"] == "临川区水利局"
    assert first["jurisdiction_name"] == "临川区"
    assert first["real_name"] is True and doc["items"][0]["real_name"] is False
    assert first["status"] == "received" and first["status_zh"] == "已收到，正在受理"
    # the reporter is never part of the list
    assert INFORMANT["name"] not in resp.text and INFORMANT["phone"] not in resp.text

    # the group member of the county sees the same; the city sees all four
    resp = await intake.client.get("/api/v1/petitions", headers=bearer(intake, "group"))
    assert [i["id"] for i in resp.json()["items"]] == [lc_second, lc_first]
    resp = await intake.client.get(
        "/api/v1/petitions", params={"order": "asc"}, headers=bearer(intake, "city")
    )
    assert [i["id"] for i in resp.json()["items"]] == [lc_first, lc_second, nc, city]

    # filters and paging
    resp = await intake.client.get(
        "/api/v1/petitions",
        params={"jurisdiction": LINCHUAN, "channel": "visit"},
        headers=bearer(intake, "city"),
    )
    assert [i["id"] for i in resp.json()["items"]] == [lc_second]
    resp = await intake.client.get(
        "/api/v1/petitions",
        params={"unit": "南城县教育局"},
        headers=bearer(intake, "auditor"),
    )
    assert [i["id"] for i in resp.json()["items"]] == [nc]
    resp = await intake.client.get(
        "/api/v1/petitions", params={"limit": 1, "offset": 1}, headers=bearer(intake, "city")
    )
    page = resp.json()
    assert page["total"] == 4 and [i["id"] for i in page["items"]] == [nc]


async def test_one_petition_as_the_list_shows_it_and_a_404_beyond_the_readers_area(
    intake: InProcessService,
):
    """``GET /api/v1/petitions/{id}``: the case link of a petition's deadlines and of the clue
    registered from it; another county's petition is the unknown one's 404, word for word."""
    own = await _record(intake, "county", LINCHUAN, unit="临川区民政局", informant=INFORMANT)
    other = await _record(intake, "other", NANCHENG, unit="南城县民政局")
    listed = await intake.client.get("/api/v1/petitions", headers=bearer(intake, "county"))
    [item] = [i for i in listed.json()["items"] if i["id"] == own]
    resp = await intake.client.get(f"/api/v1/petitions/{own}", headers=bearer(intake, "county"))
    assert resp.status_code == 200, resp.text
    assert resp.json() == item and resp.json()["real_name"] is True
    assert INFORMANT["name"] not in resp.text and INFORMANT["phone"] not in resp.text
    city = await intake.client.get(f"/api/v1/petitions/{other}", headers=bearer(intake, "city"))
    assert city.status_code == 200 and city.json()["unit"] == "南城县民政局"

    unknown = uuid.uuid4()
    beyond = assert_problem(
        await intake.client.get(f"/api/v1/petitions/{other}", headers=bearer(intake, "county")),
        404,
    )
    missing = assert_problem(
        await intake.client.get(f"/api/v1/petitions/{unknown}", headers=bearer(intake, "county")),
        404,
    )
    assert beyond["detail"].replace(other, "X") == missing["detail"].replace(str(unknown), "X")
    assert "南城县" not in str(beyond)
    assert_problem(
        await intake.client.get(f"/api/v1/petitions/{own}", headers=bearer(intake, "dept")), 403
    )
    # the custodian reads one petition of its area (what it is about, never the reporter) before
    # it reads or erases an identity; another county's is the unknown one's 404
    mine = await intake.client.get(
        f"/api/v1/petitions/{own}", headers=bearer(intake, "lc-custodian")
    )
    assert mine.status_code == 200 and mine.json() == item, mine.text
    assert INFORMANT["name"] not in mine.text and INFORMANT["phone"] not in mine.text
    assert_problem(
        await intake.client.get(
            f"/api/v1/petitions/{other}", headers=bearer(intake, "lc-custodian")
        ),
        404,
    )
    assert_problem(
        await intake.client.get("/api/v1/petitions/not-an-id", headers=bearer(intake, "county")),
        422,
    )


async def _round(svc: InProcessService, who: str = "county", area: str = LINCHUAN) -> str:
    """A round of ``area`` in a term plan of its own: a term number that neither the area
    nor a neighbour takes (no term follows another, so no dates are checked against it)."""
    taken = {
        r["term_no"]
        for r in await svc.ctx.pool.fetch(
            "SELECT term_no FROM term_plan_view WHERE jurisdiction = $1", area
        )
    }
    term_no = next(n for n in range(99, 2, -1) if not {n - 1, n, n + 1} & taken)

    async def ok(path: str, body: Any) -> dict[str, Any]:
        resp = await svc.client.post(f"/api/v1{path}", json=body, headers=bearer(svc, who))
        assert resp.status_code == 201, resp.text
        doc: dict[str, Any] = resp.json()
        return doc

    name = f"{'临川区' if area == LINCHUAN else '南城县'}测试局{uuid.uuid4().hex[:8]}"
    unit = await ok("/units", {"jurisdiction": area, "name": name, "kind": "county_department"})
    await ok("/term-plans", {"jurisdiction": area, "term_no": term_no, "starts_on": "2022-01-01",
                              "ends_on": "2027-12-31", "unit_ids": [unit["id"]]})  # fmt: skip
    rnd = await ok("/rounds", {"jurisdiction": area, "term_no": term_no, "round_no": 1,
                               "kind": "regular", "starts_on": "2026-09-01",
                               "ends_on": "2026-12-31"})  # fmt: skip
    return str(rnd["id"])


async def test_a_group_member_lists_its_rounds_petitions_only(intake: InProcessService) -> None:
    """A member bound to a group sees the petitions of its group's round (no group took them,
    no unit in particular), not another round's nor one of no round: its list and its page of
    one, as for their clues (domain.md section 7)."""
    bound_round, another_round = await _round(intake), await _round(intake)
    await intake.ctx.pool.execute(
        "INSERT INTO group_view (group_id, round_id, jurisdiction, group_no, leader_id, "
        "member_ids, unit_ids, starts_on, ends_on, version) VALUES ($1, $2, $3, 9, $4, "
        "ARRAY[$4]::uuid[], ARRAY[]::uuid[], '2026-09-01', '2026-12-31', 1)",
        BOUND_GROUP, uuid.UUID(bound_round), LINCHUAN, uuid.uuid4(),
    )  # fmt: skip
    of_round = await _record(intake, "county", LINCHUAN, round_id=bound_round)
    other_round = await _record(intake, "county", LINCHUAN, round_id=another_round)
    no_round = await _record(intake, "county", LINCHUAN)
    # a round of another area, or none at all, is no round of the petition's (422)
    for foreign in (await _round(intake, "other", NANCHENG), str(uuid.uuid4())):
        body = {"jurisdiction": LINCHUAN, "unit": "某局", "channel": "letter",
                "summary": "反映问题", "round_id": foreign}  # fmt: skip
        refused = await intake.client.post(
            "/api/v1/petitions", json=body, headers=bearer(intake, "county")
        )
        assert_problem(refused, 422)
        assert "未找到临川区的巡察轮次" in refused.json()["detail"]
    resp = await intake.client.get(
        "/api/v1/petitions", params={"limit": 500}, headers=bearer(intake, "bound")
    )
    assert resp.status_code == 200, resp.text
    listed = {i["id"] for i in resp.json()["items"]}
    assert of_round in listed and not {other_round, no_round} & listed
    assert resp.json()["total"] == len(listed)
    for petition, status in ((of_round, 200), (other_round, 404), (no_round, 404)):
        one = await intake.client.get(
            f"/api/v1/petitions/{petition}", headers=bearer(intake, "bound")
        )
        assert one.status_code == status, one.text
    everything = await intake.client.get(
        "/api/v1/petitions", params={"limit": 500}, headers=bearer(intake, "county")
    )
    assert {of_round, other_round, no_round} <= {i["id"] for i in everything.json()["items"]}


async def test_petition_list_refusals(intake: InProcessService):
    resp = await intake.client.get("/api/v1/petitions")
    assert_problem(resp, 401)
    # departments and the custodian have no business with the list
    resp = await intake.client.get("/api/v1/petitions", headers=bearer(intake, "dept"))
    assert_problem(resp, 403)
    # another county's filter: 403 like every list of the services, and nothing of it
    resp = await intake.client.get(
        "/api/v1/petitions", params={"jurisdiction": NANCHENG}, headers=bearer(intake, "county")
    )
    doc = assert_problem(resp, 403)
    assert "南城县教育局" not in resp.text and "items" not in doc
    for params in (
        {"jurisdiction": "12345"},
        {"jurisdiction": "999999"},
        {"channel": "fax"},
        {"order": "sideways"},
        {"limit": 0},
        {"limit": 501},
        {"offset": -1},
    ):
        resp = await intake.client.get(
            "/api/v1/petitions", params=params, headers=bearer(intake, "city")
        )
        doc = assert_problem(resp, 422)
        assert doc["errors"][0]["field"].startswith("query."), params


# ---- clues: GET /api/v1/clues/routes and /api/v1/clues/{id}/history --------------------------


@pytest.fixture(scope="module")
async def clues(infra: Any) -> AsyncIterator[InProcessService]:
    async with in_process_service(infra, CLUES, PRINCIPALS, label="wbc") as svc:
        yield svc


async def _clue(svc: InProcessService, jurisdiction: str, unit: str) -> uuid.UUID:
    handlers = handlers_from_context(svc.ctx)
    clue_id = uuid.uuid4()
    meta = Meta(actor=Actor(principal_id="clues-consumer", role="system"))
    await handlers.register(
        RegisterClue(clue_id=clue_id, jurisdiction=jurisdiction, unit=unit, summary="反映"),
        meta,
    )
    return clue_id


async def test_route_for_topics(clues: InProcessService):
    async def route(*topics: str, who: str = "county") -> dict[str, Any]:
        resp = await clues.client.get(
            "/api/v1/clues/routes",
            params=[("topic", t) for t in topics],
            headers=bearer(clues, who),
        )
        assert resp.status_code == 200, resp.text
        doc: dict[str, Any] = resp.json()
        return doc

    doc = await route("四风", "民主集中制")
    assert doc["suggested_departments"] == ["discipline_commission", "organisation"]
    assert doc["allowed_departments"] == ["discipline_commission", "organisation"]
    assert doc["route_table"] == ROUTE_TABLE_VERSION
    doc = await route("惠民资金", who="group")
    assert doc["suggested_departments"] == ["finance"]
    assert doc["allowed_departments"] is None  # not fixed by Art. 28: any department
    # a leading cadre's (处级, 市管) misuse of funds goes to 纪委监委 as well, first
    for leading in ({"cadre_level": "division"}, {"city_managed": "true"}):
        resp = await clues.client.get(
            "/api/v1/clues/routes",
            params=[("topic", "惠民资金"), *leading.items()],
            headers=bearer(clues, "county"),
        )
        assert resp.json()["suggested_departments"] == ["discipline_commission", "finance"]
        assert resp.json()["allowed_departments"] is None
    resp = await clues.client.get(
        "/api/v1/clues/routes",
        params={"topic": "惠民资金", "cadre_level": "section"},
        headers=bearer(clues, "county"),
    )
    assert resp.json()["suggested_departments"] == ["finance"]
    bad = await clues.client.get(
        "/api/v1/clues/routes", params={"cadre_level": "boss"}, headers=bearer(clues, "county")
    )
    assert_problem(bad, 422)
    doc = await route(who="auditor")
    assert doc == {**doc, "topics": [], "suggested_departments": [], "allowed_departments": None}

    resp = await clues.client.get("/api/v1/clues/routes", headers=bearer(clues, "dept"))
    assert_problem(resp, 403)
    resp = await clues.client.get(
        "/api/v1/clues/routes", params={"topic": "x" * 201}, headers=bearer(clues, "city")
    )
    assert_problem(resp, 422)


async def test_history_of_a_clue_for_the_office_that_handles_it(clues: InProcessService):
    clue_id = await _clue(clues, LINCHUAN, "临川区水利局")
    path = f"/api/v1/clues/{clue_id}"
    resp = await clues.client.post(
        f"{path}/classify",
        json={"category": "further_inquiry", "cadre_level": "section", "topics": ["四风"]},
        headers=bearer(clues, "county"),
    )
    assert resp.status_code == 200, resp.text
    resp = await clues.client.post(
        f"{path}/transfer",
        json={"department": "discipline_commission", "reason": "涉嫌违纪"},
        headers=bearer(clues, "county"),
    )
    assert resp.status_code == 200, resp.text

    for who in ("county", "group", "city", "auditor"):
        resp = await clues.client.get(f"{path}/history", headers=bearer(clues, who))
        assert resp.status_code == 200, (who, resp.text)
        items = resp.json()["items"]
        assert [i["event_type"] for i in items] == [
            "clues.ClueRegistered",
            "clues.ClueClassified",
            "clues.ClueTransferred",
        ]
        assert [i["stream_version"] for i in items] == [1, 2, 3]
    registered, classified, transferred = items
    assert registered["actor_label"] == "系统"  # registered by hand here, not from a petition
    assert classified["actor_id"] == "lc-office" and classified["actor_label"] == "临川区委巡察办"
    assert "进一步了解关注类" in classified["detail_zh"] and "科级干部" in classified["detail_zh"]
    assert "四风" in classified["detail_zh"]
    assert transferred["detail_zh"] == "移交纪委监委；理由：涉嫌违纪"
    assert transferred["title_zh"]
    # the department that signs for it is named, not just "a receiving department"
    resp = await clues.client.post(f"{path}/acknowledge", headers=bearer(clues, "dept"))
    assert resp.status_code in (200, 201), resp.text
    resp = await clues.client.get(f"{path}/history", headers=bearer(clues, "county"))
    assert resp.json()["items"][-1]["actor_label"] == "纪委监委"


def test_an_automatic_registration_says_what_it_came_from() -> None:
    from xuncha_clues.entrypoints.workbench_api import actor_label

    assert actor_label("service:clues.register-from-petitions", "system", {}) == (
        "系统（据信访件自动登记）"
    )
    assert actor_label("service:clues.register-from-records", "system", {}).startswith("系统（")
    assert actor_label("someone", "department", {"department": "nonsense"}) == "接收部门"


def test_a_department_is_not_told_what_a_registration_came_from() -> None:
    from xuncha_clues.entrypoints.clue_responses import source_blind
    from xuncha_clues.entrypoints.workbench_api import actor_label
    from xuncha_shared.domain.principals import Principal, Role

    dept = department("jw", Department.DISCIPLINE)
    office = Principal(id="lc", role=Role.COUNTY_ADMIN, jurisdiction=LINCHUAN)
    automatic = ("service:clues.register-from-petitions", "service:clues.register-from-records")
    for registration in automatic:
        assert source_blind(registration, office) == registration
        assert actor_label(source_blind(registration, dept), "system", {}) == "系统（自动登记）"
    assert source_blind("lc-office", dept) == "lc-office"


async def test_history_of_another_jurisdiction_is_404_like_an_unknown_id(
    clues: InProcessService,
):
    clue_id = await _clue(clues, LINCHUAN, "临川区某局")
    unknown = await clues.client.get(
        f"/api/v1/clues/{uuid.uuid4()}/history", headers=bearer(clues, "other")
    )
    other = await clues.client.get(
        f"/api/v1/clues/{clue_id}/history", headers=bearer(clues, "other")
    )
    assert_problem(unknown, 404)
    assert_problem(other, 404)
    assert "临川区某局" not in other.text
    assert other.json()["title"] == unknown.json()["title"]

    # once escalated to the city, the county keeps a stub only: its history is 404 too
    handlers = handlers_from_context(clues.ctx)
    meta = Meta(actor=Actor(principal_id="lc-office", role="county_admin"))
    await handlers.classify(
        clue_id,
        ClassifyClue(category=ClueCategory.INQUIRY, city_managed=True),
        Office(jurisdiction=LINCHUAN, city_wide=False),
        meta,
    )
    await handlers.escalate(
        clue_id, EscalateClue(reason="涉及市管干部"), Office(LINCHUAN, False), meta
    )
    resp = await clues.client.get(
        f"/api/v1/clues/{clue_id}/history", headers=bearer(clues, "county")
    )
    assert_problem(resp, 404)
    resp = await clues.client.get(f"/api/v1/clues/{clue_id}/history", headers=bearer(clues, "city"))
    assert resp.status_code == 200
    assert resp.json()["items"][-1]["event_type"] == "clues.ClueEscalated"

    resp = await clues.client.get("/api/v1/clues/not-a-uuid/history", headers=bearer(clues, "city"))
    assert_problem(resp, 422)
    # a department reads the history of a clue transferred to it only: this one is unknown to it
    resp = await clues.client.get(f"/api/v1/clues/{clue_id}/history", headers=bearer(clues, "dept"))
    assert_problem(resp, 404)


async def test_cadre_levels_of_the_clues_an_office_handles(clues: InProcessService):
    mine = await _clue(clues, LINCHUAN, "临川区交通运输局")
    unclassified = await _clue(clues, LINCHUAN, "临川区商务局")
    theirs = await _clue(clues, NANCHENG, "南城县林业局")
    handlers = handlers_from_context(clues.ctx)
    for clue_id, code, who, level in (
        (mine, LINCHUAN, "lc-office", "division"),
        (theirs, NANCHENG, "nc-office", "staff"),
    ):
        await handlers.classify(
            clue_id,
            ClassifyClue(category=ClueCategory.INQUIRY, cadre_level=CadreLevel(level)),
            Office(code, False),
            Meta(actor=Actor(principal_id=who, role="county_admin")),
        )

    async def levels(who: str, **params: str) -> dict[str, Any]:
        resp = await clues.client.get(
            "/api/v1/clues/cadre-levels", params=params, headers=bearer(clues, who)
        )
        assert resp.status_code == 200, resp.text
        doc: dict[str, Any] = resp.json()["levels"]
        return doc

    county = await levels("county")
    assert county[str(mine)] == "division"
    assert str(theirs) not in county  # another county's clue: not even its id
    assert str(unclassified) not in county  # only classified clues have a level
    assert (await levels("group"))[str(mine)] == "division"
    # a member bound to a group reads the levels of the clues it sees only (none here: no clue
    # of its group or its round), not every clue of its county
    assert str(mine) not in await levels("bound")
    city = await levels("city")
    assert city[str(mine)] == "division" and city[str(theirs)] == "staff"
    assert str(theirs) not in await levels("city", jurisdiction=LINCHUAN)

    resp = await clues.client.get(
        "/api/v1/clues/cadre-levels",
        params={"jurisdiction": NANCHENG},
        headers=bearer(clues, "county"),
    )
    assert_problem(resp, 403)
    for bad in ("12345", "999999"):
        resp = await clues.client.get(
            "/api/v1/clues/cadre-levels",
            params={"jurisdiction": bad},
            headers=bearer(clues, "city"),
        )
        assert_problem(resp, 422)
    resp = await clues.client.get("/api/v1/clues/cadre-levels", headers=bearer(clues, "dept"))
    assert_problem(resp, 403)


def test_the_disposal_s_note_is_in_the_history() -> None:
    from xuncha_clues.entrypoints.workbench_api import detail_zh

    doc = {"disposed_on": "2026-10-01", "disposition": "talk_or_letter", "note": "同意办结。"}
    assert (
        detail_zh("clues.ClueDisposed", doc)
        == "办结（2026-10-01），处置方式：谈话函询；办结意见：同意办结。"
    )
    assert "办结意见" not in (detail_zh("clues.ClueDisposed", {**doc, "note": None}) or "")


def test_a_transfer_s_reason_and_its_letter_read_as_one_line() -> None:
    from xuncha_clues.entrypoints.workbench_api import detail_zh

    doc = {"department": "discipline_commission", "reason": "反映问题具体，移交纪委监委。"}
    assert (
        detail_zh("clues.ClueTransferred", doc)
        == "移交纪委监委；理由：反映问题具体，移交纪委监委。"
    )
    shown = detail_zh("clues.ClueTransferred", {**doc, "transferred_on": "2026-11-02"})
    assert shown == "移交纪委监委；理由：反映问题具体，移交纪委监委；移交函日期：2026-11-02"


def test_the_acknowledgement_s_note_is_in_the_history() -> None:
    """What a department wrote when it signed (签收备注, through its feed or directly) is in the
    clue's record; a schema 1 acknowledgement reads as before."""
    from xuncha_clues.entrypoints.workbench_api import detail_zh
    from xuncha_shared.contracts.clues import upcast_clue_acknowledged_v1

    doc = {"department": "organisation", "via": "feed", "note": "已收到，转干部监督科办理"}
    shown = detail_zh("clues.ClueAcknowledged", doc)
    assert shown is not None and shown.endswith("；签收备注：已收到，转干部监督科办理")
    old = upcast_clue_acknowledged_v1({"department": "organisation", "via": "feed"})
    assert old["note"] is None
    assert "签收备注" not in (detail_zh("clues.ClueAcknowledged", old) or "")
