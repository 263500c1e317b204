"""两公开 (R5) against the real PostgreSQL (the service's composition in this process, real
bearer tokens): an office makes a unit's stationing, feedback and rectification known inside
the party or to the public, each once and only once it happened; what goes to the public holds
no ID number nor receipt code, and withholds only on the deployment's grounds; anyone reads
what is public without a token; another jurisdiction's round is an unknown one."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
from xuncha_rectification.bootstrap import SPEC
from xuncha_shared.clocks import ManualClock
from xuncha_shared.clocks.clock import CST
from xuncha_shared.contracts.intake import InspectionMode
from xuncha_shared.domain.principals import Principal, Role

from tests.support.principals import LINCHUAN, OFFICES, PROBLEM, department
from tests.support.rectification_rounds import hear, plan_round
from tests.support.service_api import InProcessService, in_process_service

pytestmark = pytest.mark.timeout(180)

NOW = datetime(2026, 9, 30, 10, tzinfo=CST)
UNIT, NEW_UNIT, ROUND = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
PRINCIPALS = {
    **OFFICES,
    "unit": Principal(id="u-a", role=Role.INSPECTED_UNIT, jurisdiction=LINCHUAN, unit_id=UNIT),
    "dept": department("dept-org", "organisation"),
}


@pytest.fixture
async def svc(infra: Any) -> AsyncIterator[InProcessService]:
    async with in_process_service(infra, SPEC, PRINCIPALS, label="pb") as service:
        service.ctx.now = ManualClock(NOW)
        modes = {UNIT: InspectionMode.REGULAR, NEW_UNIT: InspectionMode.REGULAR}
        await plan_round(service.ctx.pool, ROUND, LINCHUAN, 5, modes, NOW)
        await hear(service.ctx.pool, ROUND, LINCHUAN, UNIT)
        yield service


async def post(svc: InProcessService, who: str, body: dict[str, Any]) -> Any:
    return await svc.client.post("/api/v1/publications", json=body, headers=svc.auth(who))


def publication(stage: str, scope: str = "public", **kw: Any) -> dict[str, Any]:
    return {
        "round_id": str(ROUND),
        "unit_id": str(UNIT),
        "stage": stage,
        "scope": scope,
        "title": f"{stage} 公开",
        "text": "巡察情况如下。",
        "published_on": "2026-09-29",
        **kw,
    }


async def test_each_stage_is_published_once_it_happened(svc: InProcessService) -> None:
    before: int = await svc.ctx.pool.fetchval("SELECT count(*) FROM events")
    stationing = publication("stationing", unit_id=str(NEW_UNIT), published_on="2026-09-08")
    refusals = (
        ("county", stationing, 422),  # no issue names the unit yet: its name is asked for
        ("county", publication("feedback"), 409),  # nothing fed back yet
        ("county", {**stationing, "unit": "新单位", "published_on": "2026-09-06"}, 422),
        ("county", {**stationing, "unit": "新单位", "published_on": "2026-10-01"}, 422),
        ("county", {**stationing, "unit_id": str(uuid.uuid4()), "unit": "x"}, 404),
        ("county", {**stationing, "round_id": str(uuid.uuid4()), "unit": "x"}, 404),
        ("other", {**stationing, "unit": "新单位"}, 404),  # 南城县: another county's round
        ("group", {**stationing, "unit": "新单位"}, 403),
        ("unit", {**stationing, "unit": "新单位"}, 403),
        ("county", {**stationing, "unit": "新单位", "text": "举报人身份证36100219800101001X"}, 422),
        (
            "county",
            {**stationing, "unit": "新单位", "title": "回执 XC-7KQ4-M2PD-9TRA-5HXE-W3NB"},
            422,
        ),
        ("county", {**stationing, "unit": "新单位", "exemptions": ["not_a_ground"]}, 422),
        ("county", {**stationing, "unit": "新单位", "scope": "everyone"}, 422),
    )
    for who, body, status in refusals:
        resp = await post(svc, who, body)
        assert resp.status_code == status, (who, body, resp.text)
        assert resp.headers["content-type"].startswith(PROBLEM)
    assert await svc.ctx.pool.fetchval("SELECT count(*) FROM events") == before

    resp = await post(
        svc, "county", {**stationing, "unit": "新单位", "exemptions": ["work_secret"]}
    )
    assert resp.status_code == 201, resp.text
    doc = resp.json()
    assert (doc["unit"], doc["stage_zh"], doc["scope_zh"]) == ("新单位", "巡察进驻", "向社会公开")
    assert doc["exemptions_zh"] == ["涉及工作秘密"]
    again = await post(svc, "county", {**stationing, "unit": "新单位"})
    assert again.status_code == 409 and "已于 2026-09-08" in again.json()["detail"]
    # an ID number may be told inside the party (党内通报), not to the public
    internal = {**stationing, "unit": "新单位", "scope": "party_internal"}
    resp = await post(svc, "county", {**internal, "text": "经查36100219800101001X同志…"})
    assert resp.status_code == 201, resp.text

    # fed back: the feedback may be published, under the name its issues give the unit
    feedback = {
        "jurisdiction": LINCHUAN,
        "unit": "临川区某局",
        "round_id": str(ROUND),
        "unit_id": str(UNIT),
        "issues": [
            {"description": "超标准公务接待", "rect_type": "immediate"},
            {"description": "制度执行不严", "rect_type": "time_bound"},
        ],
    }
    resp = await svc.client.post("/api/v1/feedbacks", json=feedback, headers=svc.auth("county"))
    assert resp.status_code == 201, resp.text
    issue_ids = resp.json()["issue_ids"]
    draft = await svc.client.get(
        "/api/v1/publications/draft",
        params={"round_id": str(ROUND), "unit_id": str(UNIT), "stage": "feedback"},
        headers=svc.auth("county"),
    )
    assert draft.status_code == 200, draft.text
    assert "共反馈问题2个" in draft.json()["text"] and "临川区某局" in draft.json()["title"]
    resp = await post(svc, "county", publication("feedback", **draft.json()))
    assert resp.status_code == 201, resp.text
    assert resp.json()["unit"] == "临川区某局"
    assert (await post(svc, "county", publication("rectification"))).status_code == 409

    report = {"kind": "formal", "progress_percent": 60, "note": "整改情况报告",
              "leader_report": "主要负责人组织落实情况报告"}  # fmt: skip
    resp = await svc.client.post(
        f"/api/v1/rectifications/{issue_ids[0]}/reports", json=report, headers=svc.auth("county")
    )
    assert resp.status_code == 201, resp.text
    resp = await post(svc, "city", publication("rectification", published_on="2026-09-30"))
    assert resp.status_code == 201, resp.text


async def test_who_reads_what_was_published(svc: InProcessService) -> None:
    await test_each_stage_is_published_once_it_happened(svc)  # a service of its own

    async def listed(who: str, **params: Any) -> list[dict[str, Any]]:
        resp = await svc.client.get("/api/v1/publications", params=params, headers=svc.auth(who))
        assert resp.status_code == 200, resp.text
        items: list[dict[str, Any]] = resp.json()["items"]
        return items

    county = await listed("county")
    assert {(p["stage"], p["scope"]) for p in county} >= {
        ("stationing", "public"),
        ("stationing", "party_internal"),
        ("feedback", "public"),
        ("rectification", "public"),
    }
    assert await listed("other") == []  # 南城县 sees none of 临川区's
    assert {p["unit_id"] for p in await listed("unit")} == {str(UNIT)}  # a unit its own
    assert all(p["scope"] == "party_internal" for p in await listed("city", scope="party_internal"))
    denied = await svc.client.get("/api/v1/publications", headers=svc.auth("dept"))
    assert denied.status_code == 403

    # anyone, without a token: what went to the public, nothing of what was withheld
    public = await svc.client.get("/api/v1/public/publications")
    assert public.status_code == 200, public.text
    items = public.json()["items"]
    assert {p["stage"] for p in items} == {"stationing", "feedback", "rectification"}
    assert all("exemptions" not in p and "withheld_note" not in p for p in items)
    assert not any("36100219800101001X" in p["text"] for p in items)
    only = await svc.client.get("/api/v1/public/publications", params={"jurisdiction": "361021"})
    assert only.json()["items"] == []
    assert (
        await svc.client.get("/api/v1/public/publications?jurisdiction=999999")
    ).status_code == 422
    grounds = await svc.client.get("/api/v1/publication-exemptions", headers=svc.auth("county"))
    assert {g["id"] for g in grounds.json()} >= {"state_secret", "personal_privacy"}
