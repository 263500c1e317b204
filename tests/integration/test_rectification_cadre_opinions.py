"""干部任用征求巡察意见 (R4) against the real PostgreSQL (the service's composition in this
process, real bearer tokens): the organisation department asks about a cadre of a unit, the
office of the unit's area answers once from a draft with the unit's figures; other departments,
groups and units are refused; another area's request is an unknown one; every refusal writes
nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
from xuncha_rectification.bootstrap import SPEC
from xuncha_rectification.handlers import keep_units
from xuncha_shared.clocks import DeadlineWorker, ManualClock
from xuncha_shared.clocks.clock import CST
from xuncha_shared.contracts.intake import UnitKind, UnitRegistered
from xuncha_shared.domain.principals import Principal, Role

from tests.support.events import consumed
from tests.support.principals import LINCHUAN, NANCHENG, OFFICES, PROBLEM, department
from tests.support.rectification_rounds import hear, plan_round
from tests.support.service_api import InProcessService, in_process_service

pytestmark = pytest.mark.timeout(180)

NOW = datetime(2026, 10, 20, 10, tzinfo=CST)
UNIT, ROUND = uuid.uuid4(), uuid.uuid4()
PRINCIPALS = {
    **OFFICES,
    "unit": Principal(id="u-a", role=Role.INSPECTED_UNIT, jurisdiction=LINCHUAN, unit_id=UNIT),
    "org": department("dept-org", "organisation"),
    "org_nc": Principal(
        id="dept-org-nc", role=Role.DEPARTMENT, jurisdiction=NANCHENG, department="organisation"
    ),
    "audit_dept": department("dept-audit", "audit"),
}


@pytest.fixture
async def svc(infra: Any) -> AsyncIterator[InProcessService]:
    async with in_process_service(infra, SPEC, PRINCIPALS, label="co") as service:
        service.ctx.now = ManualClock(NOW)
        await plan_round(service.ctx.pool, ROUND, LINCHUAN, 5, {UNIT: "regular"}, NOW)
        await hear(service.ctx.pool, ROUND, LINCHUAN, UNIT)
        yield service


def asking(**kw: Any) -> dict[str, Any]:
    return {
        "jurisdiction": LINCHUAN,
        "unit_id": str(UNIT),
        "unit": "临川区某局",
        "cadre_name": "王某某",
        "cadre_post": "副局长",
        "purpose": "promotion",
        "requested_on": "2026-10-19",
        "reply_by": "2026-10-23",
        **kw,
    }


async def feed_back(svc: InProcessService) -> list[str]:
    body = {
        "jurisdiction": LINCHUAN,
        "unit": "临川区某局",
        "round_id": str(ROUND),
        "unit_id": str(UNIT),
        "issues": [
            {"description": "超标准公务接待", "rect_type": "immediate"},
            {"description": "制度执行不严", "rect_type": "time_bound"},
        ],
    }
    resp = await svc.client.post("/api/v1/feedbacks", json=body, headers=svc.auth("county"))
    assert resp.status_code == 201, resp.text
    ids: list[str] = resp.json()["issue_ids"]
    return ids


async def test_the_organisation_department_asks_and_the_office_answers_once(
    svc: InProcessService,
) -> None:
    # a unit the inspections do not know by id yet: only its name may be given
    before: int = await svc.ctx.pool.fetchval("SELECT count(*) FROM events")
    refusals = (
        ("org", asking(), 404),  # no issue nor warning names the unit yet
        ("org", asking(unit_id=None, requested_on="2026-10-21"), 422),  # after today
        ("org", asking(unit_id=None, requested_on="2025-10-01"), 422),  # over a year ago
        ("org", asking(unit_id=None, reply_by="2026-10-18"), 422),  # answer before the asking
        ("org", asking(unit_id=None, purpose="gossip"), 422),
        ("org", asking(unit_id=None, cadre_name=""), 422),
        # names hold a word: not only digits or symbols (NameText)
        ("org", asking(unit_id=None, cadre_name="123"), 422),
        ("org", asking(unit_id=None, cadre_post="!!!"), 422),
        ("org", asking(unit_id=None, unit="!!!@@@###"), 422),
        ("org_nc", asking(unit_id=None), 404),  # 南城县's department: another area
        ("audit_dept", asking(unit_id=None), 403),  # not the organisation department
        ("county", asking(unit_id=None), 403),
        ("group", asking(unit_id=None), 403),
        ("unit", asking(unit_id=None), 403),
        ("auditor", asking(unit_id=None), 403),
    )
    for who, body, status in refusals:
        resp = await svc.client.post("/api/v1/cadre-opinions", json=body, headers=svc.auth(who))
        assert resp.status_code == status, (who, body, resp.text)
        assert resp.headers["content-type"].startswith(PROBLEM)
    assert await svc.ctx.pool.fetchval("SELECT count(*) FROM events") == before

    # not inspected yet: the draft says so (by default), and so may the answer, only so
    resp = await svc.client.post(
        "/api/v1/cadre-opinions", json=asking(unit_id=None), headers=svc.auth("org")
    )
    assert resp.status_code == 201, resp.text
    early = resp.json()
    assert (early["purpose_zh"], early["answered"], early["overdue"]) == ("选拔任用", False, False)
    assert early["office_zh"] == "临川区委巡察办"
    twice = await svc.client.post(
        "/api/v1/cadre-opinions", json=asking(unit_id=None), headers=svc.auth("org")
    )
    assert twice.status_code == 409 and "已于 2026-10-19 就王某某同志选拔任用" in twice.text
    draft = await svc.client.get(
        f"/api/v1/cadre-opinions/{early['id']}/draft", headers=svc.auth("county")
    )
    assert draft.status_code == 200, draft.text
    assert (draft.json()["conclusion"], draft.json()["inspected"]) == ("not_inspected", False)
    assert "尚未接受区委巡察，临川区委巡察办暂无" in draft.json()["text"]
    mismatch = await svc.client.get(
        f"/api/v1/cadre-opinions/{early['id']}/draft",
        params={"conclusion": "no_adverse"},
        headers=svc.auth("county"),
    )
    assert mismatch.status_code == 422 and "没有巡察记录" in mismatch.json()["detail"]
    # withdrawn by the department that asked: answered no more
    withdrawal = {"withdrawn_on": "2026-10-20", "reason": "单位名称有误"}
    for who, body, status in (
        ("county", withdrawal, 403),
        ("audit_dept", withdrawal, 403),
        ("org", {**withdrawal, "withdrawn_on": "2026-10-18"}, 422),
    ):
        resp = await svc.client.post(
            f"/api/v1/cadre-opinions/{early['id']}/withdrawal", json=body, headers=svc.auth(who)
        )
        assert resp.status_code == status, (who, resp.text)
    resp = await svc.client.post(
        f"/api/v1/cadre-opinions/{early['id']}/withdrawal", json=withdrawal, headers=svc.auth("org")
    )
    assert resp.status_code == 200 and resp.json()["withdrawn"] is True, resp.text
    late = await svc.client.post(
        f"/api/v1/cadre-opinions/{early['id']}/opinion",
        json={"conclusion": "not_inspected", "text": "经查。", "given_on": "2026-10-20"},
        headers=svc.auth("county"),
    )
    assert late.status_code == 409 and "撤回" in late.json()["detail"]
    resp = await svc.client.post(
        "/api/v1/cadre-opinions", json=asking(unit_id=None), headers=svc.auth("org")
    )
    assert resp.status_code == 201, resp.text  # asked anew once the first was withdrawn
    early = resp.json()

    # fed back: the unit is known by its id, its figures in the draft
    await feed_back(svc)
    units = await svc.client.get("/api/v1/cadre-opinion-units", headers=svc.auth("org"))
    assert [(u["unit_id"], u["jurisdiction_name"]) for u in units.json()] == [(str(UNIT), "临川区")]
    asked = asking(cadre_name="李某某")
    resp = await svc.client.post("/api/v1/cadre-opinions", json=asked, headers=svc.auth("org"))
    assert resp.status_code == 201, resp.text
    request_id = resp.json()["id"]
    path = f"/api/v1/cadre-opinions/{request_id}"

    adverse = await svc.client.get(
        f"{path}/draft", params={"conclusion": "adverse"}, headers=svc.auth("county")
    )
    assert adverse.status_code == 200, adverse.text
    text = adverse.json()["text"]
    assert "巡察反馈问题2个，均在整改中" in text
    assert "李某某同志存在以下问题" in text
    assert adverse.json()["rounds"] and "____" in text
    fine = await svc.client.get(f"{path}/draft", headers=svc.auth("county"))
    assert fine.json()["conclusion"] == "no_adverse"
    assert "未发现李某某同志存在影响选拔任用的问题" in fine.json()["text"]
    # what the office checked of the cadre is a blank in the favourable draft too
    checked = "未收到反映其本人的问题线索和信访举报"
    assert "涉及李某某同志的情况：____" in fine.json()["text"]

    before = await svc.ctx.pool.fetchval("SELECT count(*) FROM events")
    filled = fine.json()["text"].replace("____", checked)
    answer = {"conclusion": "no_adverse", "text": filled, "given_on": "2026-10-20"}
    refusals = (
        ("county", {**answer, "text": fine.json()["text"]}, 422),  # sent as drafted
        ("county", {**answer, "text": text}, 422),  # the draft's blank left in
        ("county", {**answer, "text": text.replace("____", "___")}, 422),  # shortened
        ("county", {**answer, "text": text.replace("____", "＿＿")}, 422),  # full-width
        ("city", answer, 403),  # the city reads its counties' requests, 临川区 answers them
        ("county", {**answer, "conclusion": "not_inspected"}, 422),  # it was inspected
        ("county", {**answer, "given_on": "2026-10-18"}, 422),  # before the asking
        ("county", {**answer, "given_on": "2026-10-21"}, 422),  # after today
        ("other", answer, 404),  # 南城县's office: another area's request
        ("org", answer, 403),
        ("auditor", answer, 403),
        ("group", answer, 403),
    )
    for who, body, status in refusals:
        resp = await svc.client.post(f"{path}/opinion", json=body, headers=svc.auth(who))
        assert resp.status_code == status, (who, body, resp.text)
        assert resp.headers["content-type"].startswith(PROBLEM)
    assert await svc.ctx.pool.fetchval("SELECT count(*) FROM events") == before
    missing = await svc.client.post(
        f"/api/v1/cadre-opinions/{uuid.uuid4()}/opinion", json=answer, headers=svc.auth("county")
    )
    assert missing.status_code == 404

    resp = await svc.client.post(f"{path}/opinion", json=answer, headers=svc.auth("county"))
    assert resp.status_code == 200, resp.text
    given = resp.json()
    assert (given["conclusion_zh"], given["issues"], given["done"]) == (
        "未发现影响使用的问题",
        2,
        0,
    )
    again = await svc.client.post(f"{path}/opinion", json=answer, headers=svc.auth("county"))
    assert again.status_code == 409 and "已于 2026-10-20 回复" in again.json()["detail"]

    # who reads what: the department its own, the offices and the auditor by area
    read = await svc.client.get(path, headers=svc.auth("org"))
    assert read.status_code == 200 and read.json()["text"] == answer["text"]
    for who, count in (("org", 3), ("county", 3), ("city", 3), ("auditor", 3), ("other", 0)):
        listed = await svc.client.get("/api/v1/cadre-opinions", headers=svc.auth(who))
        assert listed.status_code == 200, (who, listed.text)
        assert len(listed.json()["items"]) == count, who
    waiting = await svc.client.get(
        "/api/v1/cadre-opinions", params={"answered": "false"}, headers=svc.auth("county")
    )
    assert [i["id"] for i in waiting.json()["items"]] == [early["id"]]
    for who, status in (("other", 404), ("audit_dept", 403), ("unit", 403), ("group", 403)):
        resp = await svc.client.get(path, headers=svc.auth(who))
        assert resp.status_code == status, who

    # the answer and its basis are on the request's stream, in order
    types = await svc.ctx.pool.fetch(
        "SELECT event_type FROM events WHERE stream_id = $1 ORDER BY stream_version", request_id
    )
    assert [r["event_type"] for r in types] == [
        "rectification.CadreOpinionRequested",
        "rectification.CadreOpinionGiven",
    ]


async def test_a_request_not_answered_by_its_day_is_overdue(svc: InProcessService) -> None:
    """The day asked for is the office's deadline (R4, ``rectification.cadre_opinion_reply``):
    fired once as ``CadreOpinionOverdue`` when it passes unanswered, met by an answer in time,
    cancelled by a withdrawal; a request without a day has none."""
    body = asking(unit_id=None, requested_on="2026-10-12", reply_by="2026-10-16")
    resp = await svc.client.post("/api/v1/cadre-opinions", json=body, headers=svc.auth("org"))
    assert resp.status_code == 201, resp.text
    late = resp.json()
    assert late["overdue"] is True
    listed = await svc.client.get("/api/v1/cadre-opinions", headers=svc.auth("county"))
    assert [i["overdue"] for i in listed.json()["items"]] == [True]
    made = []
    for name, days in (
        ("李某", {"reply_by": "2026-10-30"}),
        ("赵某", {"reply_by": "2026-10-30"}),
        ("钱某", {"reply_by": None}),
    ):
        body = asking(unit_id=None, cadre_name=name, **days)
        resp = await svc.client.post("/api/v1/cadre-opinions", json=body, headers=svc.auth("org"))
        assert resp.status_code == 201, resp.text
        made.append(resp.json())
    answered, withdrawn, open_ended = made
    given = {
        "conclusion": "not_inspected",
        "text": "经查，该单位尚未巡察。",
        "given_on": "2026-10-20",
    }
    resp = await svc.client.post(f"/api/v1/cadre-opinions/{answered['id']}/opinion", json=given,
                                 headers=svc.auth("county"))  # fmt: skip
    assert resp.status_code == 200, resp.text
    resp = await svc.client.post(f"/api/v1/cadre-opinions/{withdrawn['id']}/withdrawal",
                                 json={"withdrawn_on": "2026-10-20", "reason": "已另行了解"},
                                 headers=svc.auth("org"))  # fmt: skip
    assert resp.status_code == 200, resp.text
    worker = DeadlineWorker(svc.ctx.pool, svc.ctx.store, svc.ctx.clocks(), SPEC.deadline_kinds)
    fired = await worker.fire_due()
    assert [f.stage.value for f in fired] == ["overdue"]
    assert await worker.fire_due() == []
    rows = await svc.ctx.pool.fetch(
        "SELECT key, state, owner, due_date FROM deadlines "
        "WHERE kind = 'rectification.cadre_opinion_reply'"
    )
    states = {r["key"]: (r["state"], r["owner"]) for r in rows}
    assert states == {
        late["id"]: ("overdue", "临川区委巡察办"),
        answered["id"]: ("met", "临川区委巡察办"),
        withdrawn["id"]: ("cancelled", "临川区委巡察办"),
    }
    assert open_ended["id"] not in states
    events = [e.event_type for e in await svc.ctx.store.read_stream(late["id"])]
    assert events == ["rectification.CadreOpinionRequested", "rectification.CadreOpinionOverdue"]
    # the overdue request is still answered (late), and reads so
    given_late = {**given, "given_on": "2026-10-20"}
    resp = await svc.client.post(f"/api/v1/cadre-opinions/{late['id']}/opinion",
                                 json=given_late, headers=svc.auth("county"))  # fmt: skip
    assert resp.status_code == 200 and resp.json()["answered_late"] is True, resp.text


async def test_a_unit_a_round_inspected_without_feedback_counts_as_inspected(
    svc: InProcessService,
) -> None:
    """A unit intake registered and a begun round assigned is inspected though nothing was fed
    back to it: listed by its registered name (an inspection office is not), found by that name,
    drafted 未发现 with 截至目前巡察尚未向该单位反馈问题, and 尚未巡察 refused for it."""
    inspected, office, other_round = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for unit_id, name, kind in (
        (inspected, "临川区民政局", UnitKind.COUNTY_DEPARTMENT),
        (office, "临川区委巡察办", UnitKind.INSPECTION_OFFICE),
    ):
        registered = UnitRegistered(unit_id=unit_id, jurisdiction=LINCHUAN, name=name, kind=kind)
        where = {"stream_type": "unit", "stream_id": unit_id, "jurisdiction": LINCHUAN}
        await consumed(svc.ctx.pool, keep_units(), registered, **where, at=NOW)
    await plan_round(svc.ctx.pool, other_round, LINCHUAN, 6, {inspected: "regular"}, NOW)
    units = await svc.client.get("/api/v1/cadre-opinion-units", headers=svc.auth("org"))
    names = {u["unit"]: u["inspected"] for u in units.json()}
    assert names["临川区民政局"] is True and "临川区委巡察办" not in names
    body = asking(unit_id=None, unit="临川区民政局", cadre_name="孙某某")
    resp = await svc.client.post("/api/v1/cadre-opinions", json=body, headers=svc.auth("org"))
    assert resp.status_code == 201, resp.text
    assert resp.json()["unit_id"] == str(inspected)
    path = f"/api/v1/cadre-opinions/{resp.json()['id']}"
    draft = (await svc.client.get(f"{path}/draft", headers=svc.auth("county"))).json()
    assert (draft["conclusion"], draft["inspected"], draft["issues"]) == ("no_adverse", True, 0)
    assert "截至目前，巡察尚未向该单位反馈问题" in draft["text"]
    refused = await svc.client.post(
        f"{path}/opinion",
        json={"conclusion": "not_inspected", "text": "经查。", "given_on": "2026-10-20"},
        headers=svc.auth("county"),
    )
    assert refused.status_code == 422 and "已接受巡察" in refused.json()["detail"]
