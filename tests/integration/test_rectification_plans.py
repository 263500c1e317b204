"""Rectification's plans, evidence, verification and clocks against the real PostgreSQL (the
service's composition in this process, real bearer tokens, the service's clock moved):

- R16: feedback for a unit whose report was not heard is a 409 naming the hearing; 边巡边改
  is accepted; the hearing (as the ``rectification.hearings`` consumer records it) opens it;
- a unit token sees only its own plan and issues (404 otherwise), the unit alone submits;
  it reads back a returned plan (leader, tasks, the reason) to amend and resubmit it;
- evidence: the type is read from the bytes (a renamed file is refused), DOCX and XLSX too;
- a long-term issue closes out only with its lasting mechanism and stays watched; once closed
  out it is no longer supervised (409), but may still get a red-line warning (R20);
- task due dates (R1) and the progress-report cadence (R15) fire once each as events;
- a supervision's due date (R4) fires once for each supervised issue not reported done;
- the issues and plans name their round (临川区第4届第5轮巡察) once the ``rectification.rounds``
  consumer has kept intake's ``RoundPlanned``; null before, and for a legacy issue without round.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from xuncha_rectification.bootstrap import SPEC
from xuncha_rectification.handlers import keep_rounds
from xuncha_shared.clocks import DeadlineWorker, ManualClock
from xuncha_shared.clocks.clock import CST
from xuncha_shared.contracts.common import Department
from xuncha_shared.contracts.intake import RoundClosed, RoundKind, RoundPlanned
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.envelope import EventPayload

from tests.support.events import consumed
from tests.support.principals import LINCHUAN, OFFICES, department
from tests.support.rectification_rounds import hear as hear_unit
from tests.support.service_api import InProcessService, in_process_service

pytestmark = pytest.mark.timeout(180)

NOW = datetime(2026, 9, 30, 10, tzinfo=CST)
UNIT, OTHER_UNIT, ROUND = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
PRINCIPALS = {
    **OFFICES,
    "unit": Principal(id="u-a", role=Role.INSPECTED_UNIT, jurisdiction=LINCHUAN, unit_id=UNIT),
    "other_unit": Principal(
        id="u-b", role=Role.INSPECTED_UNIT, jurisdiction=LINCHUAN, unit_id=OTHER_UNIT
    ),
    "organisation": department("org", Department.ORGANISATION),
}


@pytest.fixture
async def svc(infra: Any) -> AsyncIterator[InProcessService]:
    async with in_process_service(infra, SPEC, PRINCIPALS, label="rp") as service:
        service.ctx.now = ManualClock(NOW)
        yield service


async def hear(svc: InProcessService, unit_id: uuid.UUID) -> None:
    await hear_unit(svc.ctx.pool, ROUND, LINCHUAN, unit_id)


def feedback(unit_id: uuid.UUID, **extra: Any) -> dict[str, Any]:
    return {
        "jurisdiction": LINCHUAN,
        "unit": "临川区某局",
        "round_id": str(ROUND),
        "unit_id": str(unit_id),
        "issues": [
            {"description": "议事规则执行不严", "rect_type": "immediate"},
            {"description": "干部监督机制不健全", "rect_type": "long_term"},
        ],
        **extra,
    }


async def post(svc: InProcessService, path: str, who: str, **kw: Any) -> Any:
    return await svc.client.post(path, headers=svc.auth(who), **kw)


async def fed_back(svc: InProcessService) -> list[str]:
    await hear(svc, UNIT)
    r = await post(svc, "/api/v1/feedbacks", "county", json=feedback(UNIT))
    assert r.status_code == 201, r.text
    ids: list[str] = r.json()["issue_ids"]
    return ids


def plan(issues: list[str], short: int = 20, long: int = 200) -> dict[str, Any]:
    return {
        "round_id": str(ROUND),
        "unit_id": str(UNIT),
        "responsible_leader": "李书记",
        "tasks": [
            {"issue_id": issues[0], "measure": "立即修订议事规则", "owner": "办公室",
             "type": "immediate", "due_on": (NOW.date() + timedelta(days=short)).isoformat()},
            {"issue_id": issues[1], "measure": "建立干部监督长效机制", "owner": "组织人事科",
             "type": "long_term", "due_on": (NOW.date() + timedelta(days=long)).isoformat()},
        ],
    }  # fmt: skip


async def test_r16_refuses_feedback_before_the_hearing(svc: InProcessService) -> None:
    before = await svc.ctx.pool.fetchval("SELECT count(*) FROM events")
    r = await post(svc, "/api/v1/feedbacks", "county", json=feedback(UNIT))
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "R16" in r.json()["detail"] and str(ROUND) in r.json()["detail"]
    assert await svc.ctx.pool.fetchval("SELECT count(*) FROM events") == before
    r = await post(svc, "/api/v1/feedbacks", "county", json=feedback(UNIT, during_stationing=True))
    assert r.status_code == 201, r.text
    one = await svc.client.get(
        f"/api/v1/rectifications/{r.json()['issue_ids'][0]}", headers=svc.auth("county")
    )
    assert one.json()["during_stationing"] is True
    # a unit cannot feed back at all; a legacy feedback without round and unit still works
    assert (await post(svc, "/api/v1/feedbacks", "unit", json=feedback(UNIT))).status_code == 403
    legacy = {k: v for k, v in feedback(UNIT).items() if k not in ("round_id", "unit_id")}
    assert (await post(svc, "/api/v1/feedbacks", "county", json=legacy)).status_code == 201
    await hear(svc, UNIT)
    assert (await post(svc, "/api/v1/feedbacks", "county", json=feedback(UNIT))).status_code == 201


async def test_a_unit_sees_only_its_own(svc: InProcessService) -> None:
    issues = await fed_back(svc)
    # an immediate task must be due by the formal report (R1): refused, nothing recorded
    late = await post(svc, "/api/v1/rectification-plans", "unit", json=plan(issues, short=90))
    assert late.status_code == 422
    assert "R1" in late.json()["detail"]
    r = await post(svc, "/api/v1/rectification-plans", "unit", json=plan(issues))
    assert r.status_code == 201, r.text
    assert r.json()["revision"] == 1
    pid = r.json()["id"]
    assert r.json()["status_zh"] == "已报送，待审核"
    for path in (f"/api/v1/rectification-plans/{pid}", f"/api/v1/rectifications/{issues[0]}"):
        assert (await svc.client.get(path, headers=svc.auth("other_unit"))).status_code == 404
        assert (await svc.client.get(path, headers=svc.auth("other"))).status_code == 404
        assert (await svc.client.get(path, headers=svc.auth("unit"))).status_code == 200
    listed = await svc.client.get("/api/v1/rectification-plans", headers=svc.auth("other_unit"))
    assert listed.json()["items"] == []
    # a receiving department reads the issues shared with it, never a unit's plan (its tasks
    # quote every issue fed back): the plan is an unknown one, the list not its to read
    dept = svc.auth("organisation")
    plan_read = await svc.client.get(f"/api/v1/rectification-plans/{pid}", headers=dept)
    assert plan_read.status_code == 404, plan_read.text
    assert "立即修订议事规则" not in plan_read.text and "李书记" not in plan_read.text
    plans_read = await svc.client.get("/api/v1/rectification-plans", headers=dept)
    assert plans_read.status_code == 403, plans_read.text
    assert "临川区某局" not in plans_read.text
    theirs = await svc.client.get("/api/v1/rectifications", headers=svc.auth("other_unit"))
    assert theirs.json()["items"] == []
    # another unit's plan cannot be submitted with this token: the unknown unit's 404
    foreign = await post(svc, "/api/v1/rectification-plans", "other_unit", json=plan(issues))
    assert foreign.status_code == 404
    again = await post(svc, "/api/v1/rectification-plans", "unit", json=plan(issues))
    assert again.status_code == 409  # the plan awaits review
    assert "submitted" in again.json()["detail"]


async def test_a_unit_reads_back_its_returned_plan_to_amend_it(svc: InProcessService) -> None:
    """本单位整改 fills a returned plan in again from the plan as rectification keeps it: the
    unit reads its own plan (leader, every task it submitted, the office's reason), another
    unit or jurisdiction gets the unknown plan's 404; the amended plan is resubmitted."""
    issues = await fed_back(svc)
    sent = plan(issues)
    extra = {"issue_id": issues[1], "measure": "每季度开展干部监督谈话", "owner": "纪检组",
             "type": "time_bound",
             "due_on": (NOW.date() + timedelta(days=90)).isoformat()}  # fmt: skip
    sent["tasks"].append(extra)  # a task added for the same problem (加一项)
    r = await post(svc, "/api/v1/rectification-plans", "unit", json=sent)
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    back = await post(
        svc, f"/api/v1/rectification-plans/{pid}/return", "county", json={"reason": "措施不具体"}
    )
    assert back.status_code == 200, back.text
    doc = await svc.client.get(f"/api/v1/rectification-plans/{pid}", headers=svc.auth("unit"))
    assert doc.status_code == 200, doc.text
    got = doc.json()
    assert (got["status"], got["status_zh"]) == ("returned", "已退回修改")
    assert got["responsible_leader"] == "李书记" and got["return_reasons"] == ["措施不具体"]
    fields = ("issue_id", "measure", "owner", "type", "due_on")
    assert [{k: t[k] for k in fields} for t in got["tasks"]] == sent["tasks"]
    for who in ("other_unit", "other"):
        theirs = await svc.client.get(f"/api/v1/rectification-plans/{pid}", headers=svc.auth(who))
        assert theirs.status_code == 404
        assert theirs.json()["detail"] == f"未找到整改方案 {pid} / unknown plan {pid}"
    # amended: the added task removed, a measure made concrete; the reason stays readable
    amended = {**sent, "tasks": [dict(sent["tasks"][0], measure="逐条修订议事规则并公示"),
                                 sent["tasks"][1]]}  # fmt: skip
    again = await post(svc, "/api/v1/rectification-plans", "unit", json=amended)
    assert again.status_code == 201, again.text
    assert (again.json()["revision"], again.json()["status"]) == (2, "submitted")
    measures = [t["measure"] for t in again.json()["tasks"]]
    assert measures == ["逐条修订议事规则并公示", "建立干部监督长效机制"]
    assert again.json()["return_reasons"] == ["措施不具体"]


async def test_evidence_type_is_read_from_the_bytes(svc: InProcessService) -> None:
    await fed_back(svc)

    async def upload(name: str, content: bytes, who: str = "unit") -> Any:
        return await post(
            svc, "/api/v1/evidence", who, files={"file": (name, content, "application/pdf")}
        )

    renamed = await upload("scan.pdf", b"GIF89a not a pdf at all")
    assert renamed.status_code == 422
    assert "PDF" in renamed.json()["detail"]
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    r = await upload("整改方案.docx", docx.getvalue())
    assert r.status_code == 201, r.text
    assert r.json()["media_type"].endswith("wordprocessingml.document")
    png = await upload("现场照片.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    assert png.json()["media_type"] == "image/png"
    got = await svc.client.get(png.json()["url"], headers=svc.auth("county"))
    assert got.status_code == 200 and got.content.startswith(b"\x89PNG")
    assert (
        await svc.client.get(png.json()["url"], headers=svc.auth("other_unit"))
    ).status_code == 404
    assert (await svc.client.get(png.json()["url"], headers=svc.auth("other"))).status_code == 404
    too_big = await upload("big.pdf", b"%PDF-" + b"0" * (20 * 1000 * 1000))
    assert too_big.status_code in (413, 422)


async def test_long_term_issue_closes_out_with_its_mechanism_and_stays_watched(
    svc: InProcessService,
) -> None:
    issues = await fed_back(svc)
    pid = (await post(svc, "/api/v1/rectification-plans", "unit", json=plan(issues))).json()["id"]
    assert (
        await post(svc, f"/api/v1/rectification-plans/{pid}/approve", "group")
    ).status_code == 403
    assert (
        await post(svc, f"/api/v1/rectification-plans/{pid}/approve", "county")
    ).status_code == 200
    long_issue = issues[1]
    done = {"kind": "formal", "progress_percent": 100, "completed": True, "note": "机制已建立",
            "leader_report": "主要负责人组织落实情况报告"}  # fmt: skip
    r = await post(svc, f"/api/v1/rectifications/{long_issue}/reports", "unit", json=done)
    assert r.status_code == 201, r.text
    ok = {"outcome": "accepted", "note": "核实通过"}
    r = await post(svc, f"/api/v1/rectifications/{long_issue}/verification", "county", json=ok)
    assert r.json()["status"] == "verified"
    r = await post(svc, f"/api/v1/rectifications/{long_issue}/close-out", "county", json={})
    assert r.status_code == 422
    assert "长效机制" in r.json()["detail"]
    r = await post(
        svc,
        f"/api/v1/rectifications/{long_issue}/close-out",
        "county",
        json={"mechanism": "干部监督联席会议制度（每季度）"},
    )
    assert r.status_code == 200
    assert r.json()["status"] == "closed_out" and r.json()["watched"] is True
    again = await post(svc, f"/api/v1/rectifications/{long_issue}/close-out", "county", json={})
    assert again.status_code == 409
    assert "已对账销号" in again.json()["detail"]
    # nothing is left to supervise on a closed issue (409), nor to warn of (R20: fake
    # rectification found afterwards goes through a revisit, which reopens the issue)
    supervise = {
        "unit_id": str(UNIT),
        "issue_ids": [long_issue],
        "kind": "key",
        "note": "重点督办（测试）",
        "due_on": (NOW.date() + timedelta(days=10)).isoformat(),
    }
    r = await post(svc, "/api/v1/supervisions", "county", json=supervise)
    assert r.status_code == 409
    assert "已对账销号，无需督办" in r.json()["detail"] and long_issue in r.json()["detail"]
    r = await post(svc, "/api/v1/supervisions", "county", json={**supervise, "issue_ids": issues})
    assert r.status_code == 409  # one closed issue among them: none is supervised
    assert long_issue in r.json()["detail"] and issues[0] not in r.json()["detail"]
    warn = {"issue_ids": [long_issue], "finding": "false", "note": "回头看发现虚假整改"}
    r = await post(svc, f"/api/v1/units/{UNIT}/red-line-warnings", "county", json=warn)
    assert r.status_code == 409, r.text
    assert "已对账销号，不能发出红线预警" in r.json()["detail"] and long_issue in r.json()["detail"]
    r = await post(
        svc,
        f"/api/v1/units/{UNIT}/red-line-warnings",
        "county",
        json={**warn, "issue_ids": issues[:1], "note": "以会代改，敷衍整改"},
    )
    assert r.status_code == 201, r.text
    # a unit with nothing fed back reads an empty list of its own, not a 404; another's is one
    r = await svc.client.get(
        f"/api/v1/units/{OTHER_UNIT}/oversight", headers=svc.auth("other_unit")
    )
    assert (r.status_code, r.json()["items"]) == (200, []), r.text
    r = await svc.client.get(f"/api/v1/units/{OTHER_UNIT}/oversight", headers=svc.auth("unit"))
    assert r.status_code == 404, r.text
    # the unit reads it against itself, in Chinese, with the time it was issued
    r = await svc.client.get(f"/api/v1/units/{UNIT}/oversight", headers=svc.auth("unit"))
    assert r.status_code == 200, r.text
    [warning] = [i for i in r.json()["items"] if i["kind"] == "red_line"]
    assert (warning["kind_zh"], warning["detail_zh"]) == ("红线预警", "虚假整改")
    assert warning["note"] == "以会代改，敷衍整改" and warning["issue_ids"] == issues[:1]
    issued = datetime.fromisoformat(warning["issued_at"])
    assert abs((issued - datetime.now(UTC)).total_seconds()) < 600


async def test_task_due_dates_and_the_progress_cadence_fire_once(svc: InProcessService) -> None:
    issues = await fed_back(svc)
    pid = (await post(svc, "/api/v1/rectification-plans", "unit", json=plan(issues))).json()["id"]
    await post(svc, f"/api/v1/rectification-plans/{pid}/approve", "county")
    worker = DeadlineWorker(svc.ctx.pool, svc.ctx.store, svc.ctx.clocks(), SPEC.deadline_kinds)
    assert isinstance(svc.ctx.now, ManualClock)
    svc.ctx.now.set(NOW + timedelta(days=16))  # two weeks without a progress report
    assert [f.stage.value for f in await worker.fire_due()] == ["overdue", "overdue"]
    for issue in issues:  # one missed progress report each
        types = [e.event_type for e in await svc.ctx.store.read_stream(issue)]
        assert types.count("rectification.ProgressReportOverdue") == 1
        assert "rectification.TaskOverdue" not in types
    svc.ctx.now.set(NOW + timedelta(days=22))  # the immediate task's due date has passed
    assert [f.stage.value for f in await worker.fire_due()] == ["overdue"]
    assert await worker.fire_due() == []
    types = [e.event_type for e in await svc.ctx.store.read_stream(issues[0])]
    assert types.count("rectification.TaskOverdue") == 1
    assert types.count("rectification.ProgressReportOverdue") == 1
    overdue = (await svc.ctx.store.read_stream(issues[0]))[-1]
    assert overdue.payload["owner"] == "办公室"
    # a progress report ends the overdue period and opens the next one
    r = await post(
        svc,
        f"/api/v1/rectifications/{issues[0]}/reports",
        "unit",
        json={"kind": "progress", "progress_percent": 30, "note": "推进中"},
    )
    assert r.status_code == 201
    assert r.json()["tasks"][0]["colour"] == "red"
    states = await svc.ctx.pool.fetch(
        "SELECT key, state FROM deadlines WHERE kind = 'rectification.progress_report' "
        "AND key LIKE $1 ORDER BY key",
        f"{issues[0]}%",
    )
    assert [s["state"] for s in states] == ["met_late", "running"]


async def test_a_supervision_due_date_fires_once_for_each_issue_not_reported_done(
    svc: InProcessService,
) -> None:
    """R4: each supervised issue waits for the unit's report that it is done; the one still
    open after the due date fires ``SupervisionOverdue`` once on its own stream; an issue already
    reported done when supervised is met at once."""
    issues = await fed_back(svc)
    pid = (await post(svc, "/api/v1/rectification-plans", "unit", json=plan(issues))).json()["id"]
    await post(svc, f"/api/v1/rectification-plans/{pid}/approve", "county")
    done = {"kind": "formal", "progress_percent": 100, "completed": True, "note": "已整改",
            "leader_report": "主要负责人组织落实情况报告"}  # fmt: skip
    r = await post(svc, f"/api/v1/rectifications/{issues[1]}/reports", "unit", json=done)
    assert r.status_code == 201, r.text
    due_on = (NOW.date() + timedelta(days=10)).isoformat()
    body = {
        "unit_id": str(UNIT),
        "issue_ids": issues,
        "kind": "key",
        "note": "重点督办（测试）",
        "due_on": due_on,
    }
    r = await post(svc, "/api/v1/supervisions", "county", json=body)
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    rows = await svc.ctx.pool.fetch(
        "SELECT aggregate_id, state, due_date FROM deadlines "
        "WHERE kind = 'rectification.supervision_due' ORDER BY aggregate_id"
    )
    assert {r["aggregate_id"]: r["state"] for r in rows} == {
        issues[0]: "running",
        issues[1]: "met",
    }
    assert {r["due_date"].isoformat() for r in rows} == {due_on}
    worker = DeadlineWorker(svc.ctx.pool, svc.ctx.store, svc.ctx.clocks(), SPEC.deadline_kinds)
    assert isinstance(svc.ctx.now, ManualClock)
    svc.ctx.now.set(NOW + timedelta(days=11))
    fired = await worker.fire_due()  # before the progress report (R15) and the task are due
    stream = await svc.ctx.store.read_stream(issues[0])
    assert len(fired) == 1 and fired[0].event_id in {e.event_id for e in stream}
    assert await worker.fire_due() == []
    overdue = [e for e in stream if e.event_type == "rectification.SupervisionOverdue"]
    assert len(overdue) == 1
    assert overdue[0].payload["supervision_id"] == sid
    assert overdue[0].payload["due_date"] == due_on
    other = await svc.ctx.store.read_stream(issues[1])
    assert "rectification.SupervisionOverdue" not in [e.event_type for e in other]
    # the late report still satisfies it (met late)
    r = await post(svc, f"/api/v1/rectifications/{issues[0]}/reports", "unit", json=done)
    assert r.status_code == 201, r.text
    state = await svc.ctx.pool.fetchval(
        "SELECT state FROM deadlines WHERE kind = 'rectification.supervision_due' "
        "AND aggregate_id = $1",
        issues[0],
    )
    assert state == "met_late"


async def keep_round(svc: InProcessService, payload: EventPayload) -> None:
    """An event of ``intake.round.v1`` as the ``rectification.rounds`` consumer handles it, in
    its transaction."""
    await consumed(
        svc.ctx.pool,
        keep_rounds(),
        payload,
        stream_type="round",
        stream_id=ROUND,
        jurisdiction=LINCHUAN,
        at=NOW,
    )


async def test_issues_and_plans_name_their_round(svc: InProcessService) -> None:
    issues = await fed_back(svc)
    legacy = {k: v for k, v in feedback(UNIT).items() if k not in ("round_id", "unit_id")}
    [old, _] = (await post(svc, "/api/v1/feedbacks", "county", json=legacy)).json()["issue_ids"]

    async def get(path: str, who: str = "unit") -> Any:
        r = await svc.client.get(path, headers=svc.auth(who))
        assert r.status_code == 200, r.text
        return r.json()

    # the round's event not consumed yet: the id alone, the name null
    one = await get(f"/api/v1/rectifications/{issues[0]}")
    assert one["round_id"] == str(ROUND) and one["round_name"] is None
    r = await post(svc, "/api/v1/rectification-plans", "unit", json=plan(issues))
    assert r.status_code == 201, r.text
    assert r.json()["round_id"] == str(ROUND) and r.json()["round_name"] is None

    planned = RoundPlanned(
        round_id=ROUND,
        jurisdiction=LINCHUAN,
        term_no=4,
        round_no=5,
        kind=RoundKind.REGULAR,
        starts_on=date(2026, 9, 1),
        ends_on=date(2026, 10, 31),
    )
    for _ in range(2):  # a redelivery changes nothing
        await keep_round(svc, planned)
    await keep_round(svc, RoundClosed(round_id=ROUND))  # closed: 边巡边改 is over (R16)
    await keep_round(svc, RoundClosed(round_id=ROUND))  # redelivered: the same
    assert await svc.ctx.pool.fetchval("SELECT count(*) FROM round_name") == 1
    late = await post(
        svc, "/api/v1/feedbacks", "county", json=feedback(UNIT, during_stationing=True)
    )
    assert late.status_code == 409 and "本轮巡察已结束" in late.json()["detail"], late.text
    name = "临川区第4届第5轮巡察"

    one = await get(f"/api/v1/rectifications/{issues[0]}")
    assert (one["round_id"], one["round_name"]) == (str(ROUND), name)
    ledger = await get("/api/v1/rectifications", "county")
    names = {i["id"]: (i["round_id"], i["round_name"]) for i in ledger["items"]}
    assert names[issues[0]] == names[issues[1]] == (str(ROUND), name)
    assert names[old] == (None, None)  # a legacy issue without round
    assert (await get(f"/api/v1/rectifications/{old}", "county"))["round_name"] is None
    [listed] = (await get("/api/v1/rectification-plans"))["items"]
    assert (listed["round_id"], listed["round_name"]) == (str(ROUND), name)
    doc = await get(f"/api/v1/rectification-plans/{listed['id']}", "county")
    assert (doc["round_id"], doc["round_name"]) == (str(ROUND), name)
    approved = await post(svc, f"/api/v1/rectification-plans/{listed['id']}/approve", "county")
    assert approved.status_code == 200, approved.text
    assert approved.json()["round_name"] == name


async def test_a_round_intake_does_not_plan_is_named_by_its_feedback(
    svc: InProcessService,
) -> None:
    """A provincial review of the office (省委巡视) is no round of intake's: its feedback names
    it (``IssueFedBack`` schema 4), and its issues and plan carry that name."""
    review, name = uuid.uuid4(), "省委第三巡视组巡视反馈"
    body = feedback(UNIT, round_id=str(review), round_name=name, during_stationing=True)
    r = await post(svc, "/api/v1/feedbacks", "county", json=body)
    assert r.status_code == 201, r.text
    issues = r.json()["issue_ids"]

    async def get(path: str, who: str = "county", **params: str) -> Any:
        r = await svc.client.get(path, headers=svc.auth(who), params=params)
        assert r.status_code == 200, r.text
        return r.json()

    one = await get(f"/api/v1/rectifications/{issues[0]}")
    assert (one["round_id"], one["round_name"]) == (str(review), name)
    listed = (await get("/api/v1/rectifications", round_id=str(review)))["items"]
    assert {(i["id"], i["round_name"]) for i in listed} == {(i, name) for i in issues}
    r = await post(
        svc, "/api/v1/rectification-plans", "unit", json=plan(issues) | {"round_id": str(review)}
    )
    assert r.status_code == 201, r.text
    assert (r.json()["round_id"], r.json()["round_name"]) == (str(review), name)
    [doc] = [
        p
        for p in (await get("/api/v1/rectification-plans", "unit"))["items"]
        if p["round_id"] == str(review)
    ]
    assert doc["round_name"] == name

    # a name without a round: refused, nothing written
    roundless = {k: v for k, v in feedback(UNIT).items() if k not in ("round_id", "unit_id")}
    before = await svc.ctx.pool.fetchval("SELECT count(*) FROM events")
    r = await post(svc, "/api/v1/feedbacks", "county", json=roundless | {"round_name": name})
    assert r.status_code == 422, r.text
    assert "round_name" in r.json()["detail"]
    assert await svc.ctx.pool.fetchval("SELECT count(*) FROM events") == before
