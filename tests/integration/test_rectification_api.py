"""The rectification API against the real PostgreSQL: its real composition (schema, routes) in
this process, over HTTP with real bearer tokens; the module has its own database. Its events
reach Kafka through the real outbox relay (checked once)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from xuncha_rectification.adapters.tables import record_clue
from xuncha_rectification.bootstrap import SPEC
from xuncha_rectification.domain.issue import add_months, local_date
from xuncha_shared.contracts.common import Department
from xuncha_shared.contracts.topics import topic_for
from xuncha_shared.envelope import now_utc
from xuncha_shared.kafka import client_options
from xuncha_shared.settings import Settings

from tests.support.principals import LINCHUAN, NANCHENG, OFFICES, PROBLEM, department
from tests.support.service_api import in_process_service

pytestmark = pytest.mark.timeout(180)


KNOWN_CLUE = uuid.uuid4()
PRINCIPALS = {
    "jw": department("jw", Department.DISCIPLINE),
    "audit": department("sj", Department.AUDIT),
    **OFFICES,
}


@dataclass
class Api:
    client: httpx.AsyncClient
    pool: asyncpg.Pool
    tokens: dict[str, str]
    settings: Settings

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def events(self) -> int:
        return int(await self.pool.fetchval("SELECT count(*) FROM events"))


@pytest.fixture(scope="module")
async def api(infra: Any) -> AsyncIterator[Api]:
    async with in_process_service(
        infra, SPEC, PRINCIPALS, label="re", own_topics=True, relay=True
    ) as svc:
        # the clue the feedbacks cite, as the rectification.clues consumer keeps it (R25)
        async with svc.ctx.pool.acquire() as conn:
            await record_clue(conn, uuid.uuid4(), KNOWN_CLUE, LINCHUAN)
        yield Api(client=svc.client, pool=svc.ctx.pool, tokens=svc.tokens, settings=svc.settings)


def feedback(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "jurisdiction": LINCHUAN,
        "unit": "临川区某局",
        "issues": [
            {
                "description": "落实全面从严治党主体责任不到位",
                "rect_type": "time_bound",
                "clue_ids": [str(KNOWN_CLUE)],
                "concerns": ["discipline_commission"],
            },
            {
                "description": "选人用人不规范",
                "rect_type": "long_term",
                "concerns": ["organisation"],
            },
        ],
    }
    body.update(overrides)
    return body


def report(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "progress",
        "progress_percent": 40,
        "completed": False,
        "note": "已制定整改方案，明确三个清单",
    }
    body.update(overrides)
    if body["kind"] != "progress":  # R1: with the top leader's report unless a test says
        body.setdefault("leader_report", "主要负责人组织落实情况报告")
    return body


def assert_problem(resp: httpx.Response, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    doc: dict[str, Any] = resp.json()
    assert doc["status"] == status
    return doc


async def post_feedback(api: Api, who: str = "county", **overrides: Any) -> httpx.Response:
    return await api.client.post(
        "/api/v1/feedbacks", json=feedback(**overrides), headers=api.auth(who)
    )


async def test_feedback_201_one_event_per_issue(api: Api) -> None:
    before = await api.events()
    resp = await post_feedback(api)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert len(body["issue_ids"]) == 2
    due = add_months(local_date(now_utc()), 2)
    assert body["due_date"] == due.isoformat()
    assert await api.events() == before + 2
    rows = await api.pool.fetch(
        "SELECT * FROM events WHERE stream_id = ANY($1::text[]) ORDER BY global_position",
        body["issue_ids"],
    )
    assert [r["stream_id"] for r in rows] == body["issue_ids"]
    for row in rows:
        assert row["event_type"] == "rectification.IssueFedBack"
        assert row["stream_type"] == "issue"
        assert row["stream_version"] == 1
        assert row["jurisdiction"] == LINCHUAN
        assert row["actor"] == {"principal_id": "lc-office", "role": "county_admin"}
        assert row["payload"]["feedback_id"] == body["feedback_id"]
        assert row["payload"]["due_date"] == due.isoformat()
    assert len({r["correlation_id"] for r in rows}) == 1

    resp = await api.client.get(
        f"/api/v1/rectifications/{body['issue_ids'][0]}", headers=api.auth("county")
    )
    assert resp.status_code == 200, resp.text
    issue = resp.json()
    assert issue["status"] == "fed_back"
    assert issue["due_date"] == due.isoformat()
    assert issue["colour"] == "green"
    assert issue["days_left"] == (due - local_date(now_utc())).days
    assert issue["concerns"] == ["discipline_commission"]


async def test_issue_events_reach_kafka(api: Api) -> None:
    resp = await post_feedback(api)
    assert resp.status_code == 201
    wanted = set(resp.json()["issue_ids"])
    topic = topic_for("issue", api.settings.topic_prefix)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=api.settings.kafka_bootstrap,
        **client_options(api.settings),
        group_id=f"test-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        seen: set[str] = set()
        async with asyncio.timeout(60):
            while not wanted <= seen:
                batch = await consumer.getmany(timeout_ms=500)
                for messages in batch.values():
                    for msg in messages:
                        assert msg.value is not None
                        seen.add(json.loads(msg.value)["stream_id"])
    finally:
        await consumer.stop()


async def _list_item(api: Api, unit: str, issue_id: str) -> dict[str, Any]:
    resp = await api.client.get(
        f"/api/v1/rectifications?jurisdiction={LINCHUAN}&unit={unit}", headers=api.auth("county")
    )
    assert resp.status_code == 200, resp.text
    item: dict[str, Any] = next(i for i in resp.json()["items"] if i["id"] == issue_id)
    return item


async def test_reports_and_409_after_final(api: Api) -> None:
    unit = f"临川区报告单位{uuid.uuid4().hex[:6]}"
    issue_id = (await post_feedback(api, unit=unit)).json()["issue_ids"][0]
    url = f"/api/v1/rectifications/{issue_id}/reports"
    resp = await api.client.post(url, json=report(), headers=api.auth("group"))
    assert resp.status_code == 201, resp.text
    assert resp.json()["status"] == "in_progress"
    assert resp.json()["progress_percent"] == 40
    # a progress report leaves the R1 clock running, in the detail and in the list
    assert resp.json()["formal_reported"] is False
    item = await _list_item(api, unit, issue_id)
    assert (item["formal_reported"], item["colour"]) == (False, "green")
    resp = await api.client.post(
        url, json=report(kind="formal", progress_percent=80), headers=api.auth("county")
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["colour"] is None  # the 2-month report is in
    assert resp.json()["formal_reported"] is True
    # the list says why its row has no colour: the report is in (已报送), not "no deadline"
    item = await _list_item(api, unit, issue_id)
    assert (item["formal_reported"], item["colour"]) == (True, None)
    resp = await api.client.post(
        url,
        json=report(kind="final", progress_percent=100, completed=True),
        headers=api.auth("city"),
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["status"] == "reported_done"
    assert [r["kind"] for r in resp.json()["reports"]] == ["progress", "formal", "final"]
    before = await api.events()
    doc = assert_problem(await api.client.post(url, json=report(), headers=api.auth("county")), 409)
    assert "final report" in doc["detail"]
    assert await api.events() == before
    rows = await api.pool.fetch(
        "SELECT event_type, stream_version, actor FROM events WHERE stream_id = $1 "
        "ORDER BY stream_version",
        issue_id,
    )
    assert [r["event_type"] for r in rows] == [
        "rectification.IssueFedBack",
        *["rectification.RectificationReported"] * 3,
    ]
    assert rows[1]["actor"]["role"] == "group_member"


async def test_unknown_issue_is_404(api: Api) -> None:
    missing = uuid.uuid4()
    before = await api.events()
    resp = await api.client.post(
        f"/api/v1/rectifications/{missing}/reports", json=report(), headers=api.auth("county")
    )
    assert_problem(resp, 404)
    resp = await api.client.get(f"/api/v1/rectifications/{missing}", headers=api.auth("city"))
    assert_problem(resp, 404)
    assert await api.events() == before


async def test_auth_roles_and_jurisdictions(api: Api) -> None:
    before = await api.events()
    resp = await api.client.post("/api/v1/feedbacks", json=feedback())
    assert_problem(resp, 401)
    assert_problem(await post_feedback(api, "auditor"), 403)
    assert_problem(await post_feedback(api, "jw"), 403)
    assert_problem(await post_feedback(api, "other"), 403)
    assert await api.events() == before

    issue_ids = (await post_feedback(api)).json()["issue_ids"]
    before = await api.events()
    url = f"/api/v1/rectifications/{issue_ids[0]}"
    # another county's issue answers exactly like an unknown one (no existence oracle)
    foreign = assert_problem(
        await api.client.post(url + "/reports", json=report(), headers=api.auth("other")), 404
    )
    unknown_id = str(uuid.uuid4())
    unknown = assert_problem(
        await api.client.post(
            f"/api/v1/rectifications/{unknown_id}/reports", json=report(), headers=api.auth("other")
        ),
        404,
    )
    assert foreign["detail"] == unknown["detail"].replace(unknown_id, issue_ids[0])
    assert_problem(
        await api.client.post(url + "/reports", json=report(), headers=api.auth("auditor")), 403
    )
    assert await api.events() == before
    # reads: auditor yes; the concerned department yes, another no; another county no
    assert (await api.client.get(url, headers=api.auth("auditor"))).status_code == 200
    assert (await api.client.get(url, headers=api.auth("jw"))).status_code == 200
    not_concerned = assert_problem(await api.client.get(url, headers=api.auth("audit")), 404)
    foreign = assert_problem(await api.client.get(url, headers=api.auth("other")), 404)
    unknown = assert_problem(
        await api.client.get(f"/api/v1/rectifications/{unknown_id}", headers=api.auth("other")),
        404,
    )
    for doc in (not_concerned, foreign):
        assert doc["detail"] == unknown["detail"].replace(unknown_id, issue_ids[0])


async def test_unknown_jurisdiction_is_422_and_writes_nothing(api: Api) -> None:
    before = await api.events()
    doc = assert_problem(await post_feedback(api, "city", jurisdiction="361099"), 422)
    assert "unknown jurisdiction" in doc["detail"]
    assert await api.events() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"issues": []}, "body.issues"),
        ({"issues": [{"description": "x", "rect_type": "someday"}]}, "rect_type"),
        ({"issues": [{"description": "x", "concerns": ["police"]}]}, "concerns"),
        ({"issues": [{"description": "x", "clue_ids": ["nope"]}]}, "clue_ids"),
        ({"issues": [{"description": ""}]}, "description"),
        ({"unit": ""}, "body.unit"),
        ({"issues": [{"description": "整改\x00不到位"}]}, "description"),
    ],
)
async def test_bad_feedback_is_422_and_writes_nothing(
    api: Api, overrides: dict[str, Any], field: str
) -> None:
    before = await api.events()
    doc = assert_problem(await post_feedback(api, **overrides), 422)
    assert field in doc["detail"]
    assert await api.events() == before


@pytest.mark.parametrize(
    ("body", "expect"),
    [
        (report(progress_percent=101), "body.progress_percent"),
        (report(kind="weekly"), "body.kind"),
        (report(note=""), "body.note"),
        (report(kind="final", progress_percent=90, completed=True), "progress_percent 100"),
        (report(kind="progress", progress_percent=100, completed=True), "progress report"),
        # R1: the two-month report without the top leader's report, and a final one standing in
        (report(kind="formal", progress_percent=60, leader_report=None), "leader_report"),
        (report(kind="final", progress_percent=100, completed=True, leader_report=None), "R1"),
    ],
)
async def test_bad_report_is_422_and_writes_nothing(
    api: Api, body: dict[str, Any], expect: str
) -> None:
    issue_id = (await post_feedback(api)).json()["issue_ids"][0]
    before = await api.events()
    resp = await api.client.post(
        f"/api/v1/rectifications/{issue_id}/reports", json=body, headers=api.auth("county")
    )
    doc = assert_problem(resp, 422)
    assert expect in doc["detail"]
    assert await api.events() == before


async def test_ledger_list(api: Api) -> None:
    body = (await post_feedback(api, unit="临川区某乡")).json()
    resp = await api.client.get(
        f"/api/v1/rectifications?jurisdiction={LINCHUAN}&unit=临川区某乡",
        headers=api.auth("county"),
    )
    assert resp.status_code == 200, resp.text
    items = resp.json()["items"]
    assert {i["id"] for i in items} == set(body["issue_ids"])
    assert all(date.fromisoformat(i["due_date"]) for i in items)
    # each row says which problem it is (two rows of one unit are told apart)
    assert sorted(i["description"] for i in items) == [
        "落实全面从严治党主体责任不到位",
        "选人用人不规范",
    ]
    resp = await api.client.get("/api/v1/rectifications?unit=临川区某乡", headers=api.auth("jw"))
    assert [i["concerns"] for i in resp.json()["items"]] == [["discipline_commission"]]
    resp = await api.client.get("/api/v1/rectifications", headers=api.auth("other"))
    assert all(i["jurisdiction"] == NANCHENG for i in resp.json()["items"])
    assert_problem(
        await api.client.get(
            f"/api/v1/rectifications?jurisdiction={LINCHUAN}", headers=api.auth("other")
        ),
        403,
    )


async def test_ledger_pages_with_total_sort_and_filters(api: Api) -> None:
    """Server-side paging (issue 11): a page, the total the filters match, a checked sort."""
    unit = f"临川区分页{uuid.uuid4().hex[:6]}局"
    issues = [
        {"description": f"问题{n}", "rect_type": "long_term" if n % 2 else "time_bound"}
        for n in range(5)
    ]
    assert (await post_feedback(api, unit=unit, issues=issues)).status_code == 201
    base = f"/api/v1/rectifications?unit_contains={unit[3:]}"
    seen: list[str] = []
    for offset in (0, 2, 4):
        resp = await api.client.get(
            f"{base}&limit=2&offset={offset}&sort=-fed_back_at", headers=api.auth("county")
        )
        assert resp.status_code == 200, resp.text
        doc = resp.json()
        assert doc["total"] == 5
        assert doc["sort"] == "-fed_back_at"
        assert len(doc["items"]) == (1 if offset == 4 else 2)
        seen += [i["id"] for i in doc["items"]]
    assert len(set(seen)) == 5  # pages never overlap
    doc = (await api.client.get(f"{base}&rect_type=long_term", headers=api.auth("county"))).json()
    assert doc["total"] == 2
    assert {i["rect_type"] for i in doc["items"]} == {"long_term"}
    doc = (await api.client.get(f"{base}&sort=unit&offset=50", headers=api.auth("county"))).json()
    assert (doc["items"], doc["total"]) == ([], 5)
    # the other county's office sees none of them
    doc = (await api.client.get(base, headers=api.auth("other"))).json()
    assert doc["total"] == 0
    resp = await api.client.get(f"{base}&sort=description", headers=api.auth("county"))
    assert [e["field"] for e in assert_problem(resp, 422)["errors"]] == ["query.sort"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("offset=" + str(2**70), "query.offset"),  # beyond 64 bits: a 500 before
        ("offset=-1", "query.offset"),
        ("unit=%00", "query"),
        ("unit=%E6%9F%90%00", "query"),
    ],
)
async def test_bad_list_queries_are_422(api: Api, query: str, field: str) -> None:
    resp = await api.client.get(f"/api/v1/rectifications?{query}", headers=api.auth("county"))
    doc = assert_problem(resp, 422)
    assert [e["field"] for e in doc["errors"]] == [field]


async def test_a_nul_in_a_report_note_is_422_and_writes_nothing(api: Api) -> None:
    issue_id = (await post_feedback(api)).json()["issue_ids"][0]
    before = await api.events()
    resp = await api.client.post(
        f"/api/v1/rectifications/{issue_id}/reports",
        json=report(note="已整改\x00"),
        headers=api.auth("county"),
    )
    assert "body.note" in assert_problem(resp, 422)["detail"]
    assert await api.events() == before
