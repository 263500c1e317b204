"""Rectification to close-out across processes: the four services as real processes on the real
PostgreSQL and Kafka (``tests/e2e/stack.py``).

The hearing (clues.InspectionReportHeard) is appended to the clues service's own store and
reaches rectification through the clues relay and Kafka; then, with the unit's own token:
feedback (after the hearing) → plan → returned → resubmitted → approved → progress → formal
report → verification rejected → report → accepted → closed out. Also: feedback before the
hearing refused (R16) and during stationing accepted; a unit token cannot see another unit
(404); only the office verifies and closes out; the evidence hash in the event equals the
stored file's; the export opens with openpyxl and equals the ledger; the completion rate counts
only verified close-outs.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from xuncha_shared.auth.tokens import create_token_in
from xuncha_shared.contracts.clues import InspectionReportHeard
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.envelope import Actor
from xuncha_shared.eventstore import NewEvent
from xuncha_shared.eventstore.postgres import PostgresEventStore

from tests.e2e.stack import LINCHUAN, Running

pytestmark = [pytest.mark.timeout(600)]

UNIT_A = uuid.uuid4()
UNIT_B = uuid.uuid4()
ROUND = uuid.uuid4()
#: a minimal PDF: the service judges the type from these bytes
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + uuid.uuid4().bytes


@dataclass
class Flow:
    running: Running
    tokens: dict[str, str]

    async def call(
        self, method: str, service: str, path: str, who: str, **kw: Any
    ) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.running.urls[service], timeout=30) as client:
            return await client.request(
                method, path, headers={"Authorization": f"Bearer {self.tokens[who]}"}, **kw
            )

    async def ok(self, method: str, service: str, path: str, who: str, **kw: Any) -> Any:
        resp = await self.call(method, service, path, who, **kw)
        assert resp.status_code in (200, 201), f"{path}: {resp.status_code} {resp.text}"
        return resp.json()


async def until(check: Callable[[], Awaitable[bool]], what: str, seconds: float = 90) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.3)


@pytest.fixture(scope="module")
async def flow(default_stack: Running) -> Flow:
    running = default_stack  # the shared stack (tests/e2e/conftest.py)
    extra = {
        "unit_a": Principal(
            id="e2e-unit-a", role=Role.INSPECTED_UNIT, jurisdiction=LINCHUAN, unit_id=UNIT_A
        ),
        "unit_b": Principal(
            id="e2e-unit-b", role=Role.INSPECTED_UNIT, jurisdiction=LINCHUAN, unit_id=UNIT_B
        ),
        "group": Principal(id="e2e-group", role=Role.GROUP_MEMBER, jurisdiction=LINCHUAN),
    }
    tokens = dict(running.tokens)
    for name, principal in extra.items():
        tokens[name] = await create_token_in(running.databases.values(), principal)
    return Flow(running, tokens)


async def hear(running: Running, unit_id: uuid.UUID) -> None:
    """A standing committee hears unit ``unit_id``'s report of the round, in the clues store."""
    conn = await asyncpg.connect(running.admin_database_url("clues"))
    pool = await asyncpg.create_pool(running.admin_database_url("clues"), min_size=1, max_size=2)
    try:
        report_id = uuid.uuid4()
        event = InspectionReportHeard(
            report_id=report_id,
            hearing_id=uuid.uuid4(),
            round_id=ROUND,
            jurisdiction=LINCHUAN,
            kind="unit",
            unit_id=unit_id,
            unit_ids=[unit_id],
            meeting="standing_committee",
            held_on=date.today(),
            decisions="同意反馈",
        )
        actor = Actor(principal_id="e2e-clues", role="county_admin")
        await PostgresEventStore(pool).append(
            "inspection_report", str(report_id), 0, [NewEvent(event, LINCHUAN, actor)]
        )
    finally:
        await conn.close()
        await pool.close()


def feedback(unit_id: uuid.UUID, unit: str, **extra: Any) -> dict[str, Any]:
    return {
        "jurisdiction": LINCHUAN,
        "unit": unit,
        "round_id": str(ROUND),
        "unit_id": str(unit_id),
        "issues": [
            {"description": "落实“三重一大”集体决策制度不到位", "rect_type": "time_bound"},
            {"description": "干部选拔任用程序不规范", "rect_type": "long_term"},
        ],
        **extra,
    }


async def test_the_whole_path_to_close_out(flow: Flow) -> None:
    # --- R16: before the hearing, refused; during stationing (边巡边改), accepted
    early = await flow.call(
        "POST", "rectification", "/api/v1/feedbacks", "linchuan", json=feedback(UNIT_A, "甲局")
    )
    assert early.status_code == 409, early.text
    assert "R16" in early.json()["detail"]
    assert "heard" in early.json()["detail"]
    stationing = await flow.ok(
        "POST",
        "rectification",
        "/api/v1/feedbacks",
        "linchuan",
        json={**feedback(UNIT_B, "乙局"), "during_stationing": True},
    )
    b_issue = stationing["issue_ids"][0]

    # --- the hearing travels clues → Kafka → rectification
    await hear(flow.running, UNIT_A)

    async def fed_back() -> bool:
        resp = await flow.call(
            "POST", "rectification", "/api/v1/feedbacks", "linchuan", json=feedback(UNIT_A, "甲局")
        )
        if resp.status_code == 409:
            return False
        assert resp.status_code == 201, resp.text
        flow.tokens["_fed"] = json.dumps(resp.json())
        return True

    await until(fed_back, "rectification to learn of the hearing")
    created = json.loads(flow.tokens["_fed"])
    issue, long_issue = created["issue_ids"]

    # --- the unit sees its own issues, never another unit's
    mine = await flow.ok("GET", "rectification", "/api/v1/rectifications", "unit_a")
    assert {i["id"] for i in mine["items"]} == {issue, long_issue}
    other = await flow.call("GET", "rectification", f"/api/v1/rectifications/{b_issue}", "unit_a")
    assert other.status_code == 404
    assert "unknown issue" in other.json()["detail"]
    assert (
        await flow.call("GET", "rectification", f"/api/v1/rectifications/{issue}", "unit_b")
    ).status_code == 404
    # and another service refuses the role altogether
    assert (await flow.call("GET", "clues", "/api/v1/clues", "unit_a")).status_code == 403

    # --- evidence (type from the bytes), stored with its SHA-256
    up = await flow.ok(
        "POST",
        "rectification",
        "/api/v1/evidence",
        "unit_a",
        files={"file": ("整改台账.pdf", PDF, "application/octet-stream")},
    )
    assert up["media_type"] == "application/pdf"
    assert up["sha256"] == hashlib.sha256(PDF).hexdigest()
    fake = await flow.call(
        "POST",
        "rectification",
        "/api/v1/evidence",
        "unit_a",
        files={"file": ("x.pdf", b"MZ not a pdf", "application/pdf")},
    )
    assert fake.status_code == 422

    # --- the plan with three lists: submitted, returned, resubmitted, approved
    due = (date.today() + timedelta(days=40)).isoformat()
    plan_body = {
        "round_id": str(ROUND),
        "unit_id": str(UNIT_A),
        "responsible_leader": "张局长",
        "tasks": [
            {"issue_id": issue, "measure": "修订议事规则", "owner": "办公室", "type": "immediate",
             "due_on": due},
        ],
    }  # fmt: skip
    missing = await flow.call(
        "POST", "rectification", "/api/v1/rectification-plans", "unit_a", json=plan_body
    )
    assert missing.status_code == 422  # the long-term issue has no task
    plan_body["tasks"].append(
        {"issue_id": long_issue, "measure": "建立干部选任全程纪实制度", "owner": "组织人事科",
         "type": "long_term", "due_on": (date.today() + timedelta(days=300)).isoformat()}
    )  # fmt: skip
    office_submits = await flow.call(
        "POST", "rectification", "/api/v1/rectification-plans", "linchuan", json=plan_body
    )
    assert office_submits.status_code == 403  # the unit submits its own plan
    plan = await flow.ok(
        "POST", "rectification", "/api/v1/rectification-plans", "unit_a", json=plan_body
    )
    assert plan["status"] == "submitted"
    assert plan["revision"] == 1
    pid = plan["id"]
    again = await flow.call(
        "POST", "rectification", "/api/v1/rectification-plans", "unit_a", json=plan_body
    )
    assert again.status_code == 409
    assert (
        await flow.call(
            "POST", "rectification", f"/api/v1/rectification-plans/{pid}/approve", "unit_a"
        )
    ).status_code == 403
    returned = await flow.ok(
        "POST",
        "rectification",
        f"/api/v1/rectification-plans/{pid}/return",
        "linchuan",
        json={"reason": "整改措施不够具体，请细化"},
    )
    assert returned["status"] == "returned"
    plan = await flow.ok(
        "POST", "rectification", "/api/v1/rectification-plans", "unit_a", json=plan_body
    )
    assert plan["revision"] == 2
    approved = await flow.ok(
        "POST", "rectification", f"/api/v1/rectification-plans/{pid}/approve", "linchuan"
    )
    assert approved["status"] == "approved"
    state = await flow.ok("GET", "rectification", f"/api/v1/rectifications/{issue}", "unit_a")
    assert state["status"] == "planned"
    assert [t["measure"] for t in state["tasks"]] == ["修订议事规则"]

    # --- progress, then the formal report with the leader's report and evidence
    await flow.ok(
        "POST",
        "rectification",
        f"/api/v1/rectifications/{issue}/reports",
        "unit_a",
        json={"kind": "progress", "progress_percent": 50, "note": "已完成一半"},
    )
    formal = await flow.ok(
        "POST",
        "rectification",
        f"/api/v1/rectifications/{issue}/reports",
        "unit_a",
        json={
            "kind": "formal",
            "progress_percent": 100,
            "completed": True,
            "note": "已修订议事规则",
            "leader_report": "主要负责人亲自部署、督促落实",
            "evidence_ids": [up["evidence_id"]],
        },
    )
    assert formal["status"] == "reported_done"

    # --- only the office verifies and closes out
    verdict = {"outcome": "rejected", "note": "佐证材料不足，议事规则未印发"}
    for who in ("unit_a", "group"):
        refused = await flow.call(
            "POST",
            "rectification",
            f"/api/v1/rectifications/{issue}/verification",
            who,
            json=verdict,
        )
        assert refused.status_code == 403, who
    early_close = await flow.call(
        "POST", "rectification", f"/api/v1/rectifications/{issue}/close-out", "linchuan", json={}
    )
    assert early_close.status_code == 409
    assert "reported_done" in early_close.json()["detail"]
    rejected = await flow.ok(
        "POST",
        "rectification",
        f"/api/v1/rectifications/{issue}/verification",
        "linchuan",
        json=verdict,
    )
    assert rejected["status"] == "in_progress"
    # said so, to the unit too, in its list as in the issue, until it reports it done again
    assert (rejected["returned"], rejected["status_zh"]) == (True, "核实未通过，退回整改")
    listed = await flow.ok(
        "GET", "rectification", "/api/v1/rectifications", "unit_a", params={"limit": 500}
    )
    [row] = [i for i in listed["items"] if i["id"] == str(issue)]
    assert (row["returned"], row["status_zh"]) == (True, "核实未通过，退回整改")

    again = await flow.ok(
        "POST",
        "rectification",
        f"/api/v1/rectifications/{issue}/reports",
        "unit_a",
        json={"kind": "final", "progress_percent": 100, "completed": True, "note": "已印发"},
    )
    assert (again["returned"], again["status_zh"]) == (False, "已报告整改完成，待核实")
    accepted = await flow.ok(
        "POST",
        "rectification",
        f"/api/v1/rectifications/{issue}/verification",
        "linchuan",
        json={"outcome": "accepted", "note": "核实通过"},
    )
    assert accepted["status"] == "verified"
    closed = await flow.ok(
        "POST",
        "rectification",
        f"/api/v1/rectifications/{issue}/close-out",
        "linchuan",
        json={"note": "对账销号"},
    )
    assert closed["status"] == "closed_out"

    # --- the evidence hash in the event equals the stored file's
    events = await fetch_events(flow.running, issue, "rectification.RectificationReported")
    cited = [e for p in events for e in p.get("evidence", [])]
    assert [c["evidence_id"] for c in cited] == [up["evidence_id"]]
    stored = await flow.call(
        "GET", "rectification", f"/api/v1/evidence/{up['evidence_id']}", "linchuan"
    )
    assert stored.status_code == 200
    assert cited[0]["sha256"] == hashlib.sha256(stored.content).hexdigest()
    assert (
        await flow.call("GET", "rectification", f"/api/v1/evidence/{up['evidence_id']}", "unit_b")
    ).status_code == 404

    # --- supervision and a red line (R20) on the other unit
    sup = await flow.ok(
        "POST",
        "rectification",
        "/api/v1/supervisions",
        "linchuan",
        json={"unit_id": str(UNIT_B), "issue_ids": [b_issue], "kind": "key", "note": "重点督办",
              "due_on": (date.today() + timedelta(days=14)).isoformat()},
    )  # fmt: skip
    assert sup["unit_id"] == str(UNIT_B)
    await flow.ok(
        "POST",
        "rectification",
        f"/api/v1/units/{UNIT_B}/red-line-warnings",
        "linchuan",
        json={"issue_ids": [b_issue], "finding": "perfunctory", "note": "以文件落实整改"},
    )

    # --- reporting: completion counts verified close-outs only; the export equals the ledger
    # (this module's round: the county's board also has other modules' units, shared stack)
    scope = {"jurisdiction": LINCHUAN, "round_id": str(ROUND)}

    async def projected() -> bool:
        doc = await flow.ok("GET", "reporting", "/api/v1/views/board", "linchuan", params=scope)
        return doc["closed_out"] == 1 and doc["red_lines"] == 1

    await until(projected, "reporting to project the close-out")
    board = await flow.ok("GET", "reporting", "/api/v1/views/board", "linchuan", params=scope)
    assert board["issues_fed_back"] == 4
    assert board["completion_rate"] == pytest.approx(1 / 4)
    # the unit declared two issues done at some point; only one is verified and closed out
    assert board["self_declared_rate"] == pytest.approx(1 / 4)
    await check_export(flow)
    feed = await flow.ok("GET", "reporting", "/api/v1/feeds/organisation", "city")
    assert any(i["kind"] == "negative_record" for i in feed["items"])


async def fetch_events(running: Running, stream_id: str, event_type: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(running.admin_database_url("rectification"))
    try:
        rows = await conn.fetch(
            "SELECT payload FROM events WHERE stream_id = $1 AND event_type = $2 "
            "ORDER BY global_position",
            stream_id,
            event_type,
        )
    finally:
        await conn.close()
    payloads = [r["payload"] for r in rows]
    return [json.loads(p) if isinstance(p, str) else p for p in payloads]


async def check_export(flow: Flow) -> None:
    from openpyxl import load_workbook

    resp = await flow.call(
        "GET",
        "reporting",
        "/api/v1/exports/ledger.xlsx",
        "linchuan",
        params={"jurisdiction": LINCHUAN, "round_id": str(ROUND)},
    )
    assert resp.status_code == 200, resp.text
    book = load_workbook(io.BytesIO(resp.content))
    assert book.sheetnames[0] == "汇总"
    ledger = await flow.ok(
        "GET",
        "reporting",
        "/api/v1/views/rectification-ledger",
        "linchuan",
        params={"jurisdiction": LINCHUAN, "round_id": str(ROUND)},
    )
    for unit in ledger["units"]:
        sheet = book[unit["sheet"]]
        assert sheet.freeze_panes == "A2"
        rows = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]
        assert rows == [row for row in unit["rows"]]
