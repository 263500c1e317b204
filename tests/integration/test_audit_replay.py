"""``xuncha audit replay --as-of``: the reporting views as they were at a past moment equal what
the live system showed at that moment.

The four services run as real processes (``tests/e2e/stack.py``) on this module's own
databases and topics; activity goes through their HTTP APIs (petitions, clues registered by the
clues consumer, classification, escalation, transfers, feedbacks, rectification reports); the
live views are read over HTTP; the replay runs as the auditor runs it (the ``xuncha`` CLI in a
subprocess, ``--json``). During every replay no message may be published to any topic and the
live projection, the inboxes and the event stores must stay exactly as they were.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from pydantic_core import to_jsonable_python
from xuncha_reporting.replay import replay_as_of, replayed_ledger
from xuncha_reporting.settings import PROJECTION_CONSUMER
from xuncha_shared.auth.tokens import create_token_in
from xuncha_shared.contracts.clues import clue_id_for_petition
from xuncha_shared.contracts.topics import all_topics
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.kafka import client_options, topic_partitions
from xuncha_shared.settings import SERVICES, Settings

from tests.e2e.stack import LINCHUAN, Running, service_stack
from tests.infra import Infra

pytestmark = [pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parents[2]
CITY = "361000"
NANCHENG = "361021"
UNIT = "临川区农业农村局"
OTHER_UNIT = "临川区住建局"
BEIJING = timezone(timedelta(hours=8))
RECT_TYPES = ("time_bound", "immediate", "long_term")


# ---- the stack -----------------------------------------------------------------------------


class Replayed:
    """The running stack plus what an auditor's CLI needs to reach its databases."""

    def __init__(self, running: Running, infra: Infra) -> None:
        self.running = running
        self.infra = infra
        self.topic_prefix = running.envs["reporting"]["XUNCHA_TOPIC_PREFIX"]
        self.tokens = dict(running.tokens)

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def settings(self) -> Settings:
        """As the CLI sees it: the superuser URL and the stack's database prefix."""
        return Settings(
            service="reporting",
            database_url=None,
            pg_admin_url=self.infra.pg_admin_url,
            db_name_prefix=self.running.db_prefix,
            kafka_bootstrap=self.infra.kafka_bootstrap,
            topic_prefix=self.topic_prefix,
        )

    def cli(self, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("XUNCHA_")}
        env.update(
            {
                "XUNCHA_PG_ADMIN_URL": self.infra.pg_admin_url,
                "XUNCHA_DB_NAME_PREFIX": self.running.db_prefix,
                "XUNCHA_KAFKA_BOOTSTRAP": self.infra.kafka_bootstrap,
                "XUNCHA_TOPIC_PREFIX": self.topic_prefix,
                "XUNCHA_STATE_DIR": self.infra.state_dir,
                "COLUMNS": "220",
            }
        )
        env.update(extra_env)
        return subprocess.run(
            [sys.executable, "-m", "xuncha_shared.cli", "audit", "replay", *args],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )


@pytest.fixture(scope="module")
async def stack(infra: Infra, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Replayed]:
    async with service_stack(infra, tmp_path_factory.mktemp("replay-logs")) as running:
        replayed = Replayed(running, infra)
        for name, principal in {
            "auditor": Principal(id="replay-aud", role=Role.AUDITOR, jurisdiction=CITY),
            "nancheng": Principal(id="replay-nc", role=Role.COUNTY_ADMIN, jurisdiction=NANCHENG),
            "lc-auditor": Principal(id="replay-lc-aud", role=Role.AUDITOR, jurisdiction=LINCHUAN),
        }.items():
            replayed.tokens[name] = await create_token_in(running.databases.values(), principal)
        yield replayed


async def wait_for(
    predicate: Callable[[], Awaitable[bool]],
    what: str,
    timeout: float = 60,
    seen: dict[str, Any] | None = None,
) -> None:
    """Until ``predicate()``; on timeout the assertion shows ``seen`` (the last state read)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; last seen: {seen}")


# ---- activity through the services' APIs ------------------------------------------------------


async def post(stack: Replayed, service: str, path: str, body: dict[str, Any], who: str) -> Any:
    async with httpx.AsyncClient(base_url=stack.running.urls[service], timeout=20) as client:
        resp = await client.post(path, json=body, headers=stack.auth(who))
    assert resp.status_code in (200, 201), f"{service} {path}: {resp.status_code} {resp.text}"
    return resp.json()


async def petition(stack: Replayed, jurisdiction: str, unit: str, who: str) -> uuid.UUID:
    doc = await post(
        stack,
        "intake",
        "/api/v1/petitions",
        {
            "jurisdiction": jurisdiction,
            "unit": unit,
            "channel": "letter",
            "summary": f"反映{unit}违规发放津补贴问题（重放测试）",
            "informant": {"name": "刘桂兰", "phone": "13979461234"},
        },
        who,
    )
    return clue_id_for_petition(uuid.UUID(str(doc["id"])))


async def clue_registered(stack: Replayed, clue_id: uuid.UUID) -> None:
    async with httpx.AsyncClient(base_url=stack.running.urls["clues"], timeout=10) as client:

        async def registered() -> bool:
            resp = await client.get(f"/api/v1/clues/{clue_id}", headers=stack.auth("city"))
            return resp.status_code == 200

        await wait_for(registered, f"clue {clue_id} to be registered")


async def transfer(stack: Replayed, clue_id: uuid.UUID, *, escalate: bool = False) -> None:
    await clue_registered(stack, clue_id)
    classify = {"category": "further_inquiry", "cadre_level": "section", "topics": ["四风"]}
    if escalate:  # a 市管干部 clue: the county reports it up (R12), then the city transfers it
        classify |= {"cadre_level": "division", "city_managed": True}
        await post(stack, "clues", f"/api/v1/clues/{clue_id}/classify", classify, "linchuan")
        await post(
            stack,
            "clues",
            f"/api/v1/clues/{clue_id}/escalate",
            {"reason": "涉及市管干部"},
            "linchuan",
        )
    else:
        await post(stack, "clues", f"/api/v1/clues/{clue_id}/classify", classify, "city")
    await post(
        stack,
        "clues",
        f"/api/v1/clues/{clue_id}/transfer",
        {"department": "discipline_commission", "reason": "涉嫌违反中央八项规定精神"},
        "city",
    )


async def feed_back(stack: Replayed, unit: str, descriptions: list[str]) -> list[str]:
    doc = await post(
        stack,
        "rectification",
        "/api/v1/feedbacks",
        {
            "jurisdiction": LINCHUAN,
            "unit": unit,
            "issues": [
                {"description": d, "rect_type": rt, "concerns": ["audit"]}
                for d, rt in zip(descriptions, RECT_TYPES, strict=False)
            ],
        },
        "linchuan",
    )
    return [str(i) for i in doc["issue_ids"]]


async def report(
    stack: Replayed, issue_id: str, kind: str, percent: int, *, completed: bool = False
) -> None:
    await post(
        stack,
        "rectification",
        f"/api/v1/rectifications/{issue_id}/reports",
        {
            "kind": kind,
            "progress_percent": percent,
            "completed": completed,
            "note": f"{kind}：整改进度 {percent}%",
            # R1: the formal report carries the top leader's report
            **({"leader_report": "主要负责人组织落实情况报告"} if kind != "progress" else {}),
        },
        "linchuan",
    )


# ---- reading the live system -----------------------------------------------------------------


async def get(stack: Replayed, path: str, who: str = "city", **params: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=stack.running.urls["reporting"], timeout=10) as client:
        return await client.get(path, params=params, headers=stack.auth(who))


async def live_views(stack: Replayed) -> dict[str, Any]:
    """The linked view, Linchuan's row and the unit's ledger, as the live API shows them."""
    view = (await get(stack, "/api/v1/views/linked")).json()
    row = (await get(stack, "/api/v1/views/linked", jurisdiction=LINCHUAN)).json()
    ledger = await get(stack, "/api/v1/views/ledger", jurisdiction=LINCHUAN, unit=UNIT)
    # 404 until the projection has the unit's first issue: a waiting predicate reads it as "not
    # yet" (its reports_total is no number), a comparison as a difference
    assert ledger.status_code in (200, 404), ledger.text
    body = ledger.json() if ledger.status_code == 200 else {"reports_total": None}
    (county,) = row["counties"]
    return {"linked": view, "row": county, "ledger": body}


def rows_of(view: dict[str, Any]) -> dict[str, Any]:
    """The linked view's rows. The API's response model adds ``own: null`` to county rows
    (only the city row has its own work); the replay gives the domain function's rows."""

    def row(r: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in r.items() if not (k == "own" and v is None)}
        if out.get("own") is not None:  # the model's rates of the city's own work: null there
            out["own"] = {
                k: v
                for k, v in out["own"].items()
                if not (k in ("completion_rate", "self_declared_rate") and v is None)
            }
        return out

    return {"city": row(view["city"]), "counties": [row(c) for c in view["counties"]]}


async def all_consumed(stack: Replayed) -> bool:
    """Every event of every store is in the projection consumer's inbox."""
    wanted: set[uuid.UUID] = set()
    seen: set[uuid.UUID] = set()
    for svc in SERVICES:
        conn = await asyncpg.connect(stack.running.admin_database_url(svc))
        try:
            wanted |= {r["event_id"] for r in await conn.fetch("SELECT event_id FROM events")}
            if svc == "reporting":
                rows = await conn.fetch(
                    "SELECT event_id FROM inbox WHERE consumer = $1", PROJECTION_CONSUMER
                )
                seen = {r["event_id"] for r in rows}
        finally:
            await conn.close()
    return wanted <= seen


async def last_recorded_at(stack: Replayed) -> datetime:
    latest = datetime.min.replace(tzinfo=UTC)
    for svc in SERVICES:
        conn = await asyncpg.connect(stack.running.admin_database_url(svc))
        try:
            value = await conn.fetchval("SELECT max(recorded_at) FROM events")
        finally:
            await conn.close()
        if value is not None:
            latest = max(latest, value)
    return latest


async def live_state(stack: Replayed) -> dict[str, Any]:
    """A fingerprint of everything a replay must not write: every table of the live projection
    (content digest), the inboxes, the relay positions and every event store."""
    state: dict[str, Any] = {}
    for svc in SERVICES:
        conn = await asyncpg.connect(stack.running.admin_database_url(svc))
        try:
            tables = await conn.fetch(
                "SELECT table_schema, table_name FROM information_schema.tables "
                "WHERE table_schema = 'projection' OR (table_schema = 'public' AND "
                "table_name IN ('events', 'inbox', 'relay_positions', 'checkpoints'))"
            )
            for t in tables:
                name = f"{t['table_schema']}.{t['table_name']}"
                state[f"{svc}:{name}"] = await conn.fetchval(
                    f"SELECT count(*)::text || ':' || coalesce(md5(string_agg(x::text, '|' "
                    f"ORDER BY x::text)), '') FROM {name} x"
                )
            state[f"{svc}:schemas"] = sorted(
                r["nspname"]
                for r in await conn.fetch(
                    "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg_%' "
                    "AND nspname <> 'information_schema'"
                )
            )
        finally:
            await conn.close()
    assert "reporting:projection.ledger_issues" in state
    return state


async def end_offsets(stack: Replayed) -> dict[str, int]:
    """The end offset of every partition of every topic of the stack (incl. dead letters and
    audit.checkpoints): any message published anywhere moves one."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=stack.infra.kafka_bootstrap,
        enable_auto_commit=False,
        **client_options(),
    )
    await consumer.start()
    try:
        offsets: dict[str, int] = {}
        for topic in all_topics(stack.topic_prefix):
            partitions = await topic_partitions(consumer, topic)
            assert partitions, f"topic {topic} not found"
            for tp, end in (await consumer.end_offsets(partitions)).items():
                offsets[f"{tp.topic}[{tp.partition}]"] = end
        return offsets
    finally:
        await consumer.stop()


def replay_json(stack: Replayed, *args: str, **env: str) -> dict[str, Any]:
    proc = stack.cli(*args, "--json", **env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


# ---- the scenario ------------------------------------------------------------------------------


async def test_replay_as_of_a_past_moment_equals_the_live_views_of_that_moment(
    stack: Replayed,
) -> None:
    seen: dict[str, Any] = {}
    # ---- activity A ----
    clues_a = [await petition(stack, LINCHUAN, UNIT, "linchuan") for _ in range(3)]
    clues_a.append(await petition(stack, NANCHENG, "南城县某乡", "city"))
    await transfer(stack, clues_a[0])
    issues = await feed_back(
        stack, UNIT, ["惠民资金监管制度执行不到位", "公务用车管理不规范", "“三重一大”决策不规范"]
    )
    await feed_back(stack, OTHER_UNIT, ["工程项目招投标管理不严"])
    await report(stack, issues[0], "progress", 30)
    await report(stack, issues[1], "formal", 100, completed=True)

    async def a_is_live() -> bool:
        views = await live_views(stack)
        lc, ledger = views["row"], views["ledger"]
        seen.update(row=lc, reports=ledger["reports_total"], consumed=await all_consumed(stack))
        return (
            (lc["petitions_received"], lc["clues_registered"], lc["clues_transferred"]) == (3, 3, 1)
            and (lc["issues_fed_back"], lc["rectification_reports"], lc["issues_completed"])
            == (4, 2, 1)
            and ledger["reports_total"] == 2
            and await all_consumed(stack)
        )

    await wait_for(a_is_live, "activity A in the live views", seen=seen)
    started = datetime.now(UTC)
    captured = await live_views(stack)
    await asyncio.sleep(1.0)  # quiet: nothing is recorded between the capture and T
    t = datetime.now(UTC)
    await asyncio.sleep(1.0)
    assert await last_recorded_at(stack) < started  # the capture saw the whole history up to T
    assert captured["ledger"]["issues_total"] == 3
    assert [i["status"] for i in captured["ledger"]["issues"]] == [
        "in_progress",
        "completed",
        "awaiting_report",  # nothing reported yet
    ]

    # ---- activity B ----
    clues_b = [await petition(stack, LINCHUAN, UNIT, "linchuan") for _ in range(2)]
    await petition(stack, NANCHENG, "南城县某乡", "city")
    await transfer(stack, clues_b[0], escalate=True)
    await transfer(stack, clues_a[1])
    [issue_b] = await feed_back(stack, UNIT, ["干部选拔任用程序不规范"])
    await report(stack, issues[0], "formal", 100, completed=True)  # completes issue 1
    await report(stack, issues[2], "progress", 50)
    await report(stack, issue_b, "progress", 20)

    async def b_is_live() -> bool:
        views = await live_views(stack)
        lc, ledger = views["row"], views["ledger"]
        seen.update(row=lc, reports=ledger["reports_total"], consumed=await all_consumed(stack))
        return (
            (lc["petitions_received"], lc["clues_registered"], lc["clues_transferred"]) == (5, 5, 2)
            and (lc["clues_escalated"], lc["issues_fed_back"], lc["issues_completed"]) == (1, 5, 2)
            # the escalated clue is the city office's: its transfer counts for the city itself
            and views["linked"]["city"]["own"]["clues_transferred"] == 1
            and ledger["reports_total"] == 5
            and await all_consumed(stack)
        )

    await wait_for(b_is_live, "activity B in the live views", seen=seen)
    now_live = await live_views(stack)
    assert rows_of(now_live["linked"]) != rows_of(captured["linked"])
    assert now_live["ledger"] != captured["ledger"]

    # ---- the replay as of T (Beijing time on the command line) ----
    before_state = await live_state(stack)
    before_offsets = await end_offsets(stack)
    as_of_t = t.astimezone(BEIJING).isoformat()
    past = replay_json(stack, "--as-of", as_of_t, "--jurisdiction", LINCHUAN, "--unit", UNIT)
    assert rows_of(past["linked"]) == rows_of(captured["linked"])
    assert past["row"] == rows_of({"city": captured["row"], "counties": []})["city"]
    assert past["ledger"] == captured["ledger"]
    assert past["units"] == {OTHER_UNIT: 1, UNIT: 3}
    assert datetime.fromisoformat(past["as_of"]) == t
    assert past["schema"].startswith("asof_") and past["kept"] is False
    services = past["services"]
    assert set(services) == set(SERVICES)
    for svc in ("intake", "clues", "rectification"):  # B came later: only part of the history
        assert 0 < services[svc]["replayed"] < services[svc]["history"], svc
    assert past["applied"] == sum(s["replayed"] for s in services.values())
    assert past["skipped"] == []

    # ---- the same replay over the auditors' HTTP API (history read as xuncha_auditor) ----
    resp = await get(
        stack,
        "/api/v1/audit/replay",
        "auditor",
        as_of=as_of_t,
        jurisdiction=LINCHUAN,
        unit=UNIT,
    )
    assert resp.status_code == 200, resp.text
    over_http = resp.json()
    assert over_http["schema"].startswith("asof_") and over_http["schema"] != past["schema"]
    assert {**over_http, "schema": None} == {**past, "schema": None}

    # ---- the replay as of now equals the current live views ----
    current = replay_json(
        stack,
        "--as-of",
        datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "-j",
        LINCHUAN,
        "-u",
        UNIT,
    )
    assert rows_of(current["linked"]) == rows_of(now_live["linked"])
    assert current["row"] == rows_of({"city": now_live["row"], "counties": []})["city"]
    assert current["ledger"] == now_live["ledger"]
    assert all(s["replayed"] == s["history"] for s in current["services"].values())

    # ---- nothing of the live system moved ----
    assert await end_offsets(stack) == before_offsets
    assert await live_state(stack) == before_state  # no asof_ schema left behind either
    assert not any(name.startswith("asof_") for name in before_state["reporting:schemas"]), (
        before_state["reporting:schemas"]
    )


async def test_replay_needs_no_broker_and_keeps_its_schema_on_request(stack: Replayed) -> None:
    await wait_for(lambda: all_consumed(stack), "the projection to catch up")
    live = await live_views(stack)
    # without Kafka at all (nothing listens on port 1) the replay works: it publishes nothing
    doc = replay_json(
        stack,
        "--as-of",
        datetime.now(UTC).isoformat(),
        "-j",
        LINCHUAN,
        XUNCHA_KAFKA_BOOTSTRAP="127.0.0.1:1",
    )
    assert doc["row"] == rows_of({"city": live["row"], "counties": []})["city"]
    assert "ledger" not in doc

    # the Python API with keep=True: the schema stays, the helpers read it
    as_of = datetime.now(UTC)
    report = await replay_as_of(stack.settings(), as_of, keep=True, jurisdiction=LINCHUAN)
    try:
        assert report.kept and report.schema.startswith("asof_")
        assert rows_of(report.view) == rows_of(live["linked"])
        assert report.row == rows_of({"city": live["row"], "counties": []})["city"]
        conn = await asyncpg.connect(stack.running.admin_database_url("reporting"))
        try:
            ledger = await replayed_ledger(conn, report.schema, LINCHUAN, UNIT, as_of)
            owner = await conn.fetchval(
                "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = $1",
                report.schema,
            )
            assert await replayed_ledger(conn, report.schema, LINCHUAN, "无此单位", as_of) is None
        finally:
            await conn.close()
        assert owner == f"{stack.running.db_prefix}reporting"  # the service role, like rebuilds
        assert ledger is not None
        assert to_jsonable_python(ledger) == live["ledger"]
    finally:
        conn = await asyncpg.connect(stack.running.admin_database_url("reporting"))
        try:
            await conn.execute(f"DROP SCHEMA IF EXISTS {report.schema} CASCADE")
        finally:
            await conn.close()


async def test_replay_before_any_history_and_an_unknown_unit(stack: Replayed) -> None:
    early = replay_json(stack, "--as-of", "2020-01-01T00:00:00+08:00")
    assert all(s["replayed"] == 0 for s in early["services"].values())
    assert sum(s["history"] for s in early["services"].values()) > 0
    assert early["linked"]["city"]["petitions_received"] == 0
    assert len(early["linked"]["counties"]) == 11

    proc = stack.cli("--as-of", datetime.now(UTC).isoformat(), "-j", LINCHUAN, "-u", "无此单位")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "无此单位" in proc.stderr and UNIT in proc.stderr  # names the units that have issues
    assert "Traceback" not in proc.stderr


async def test_human_output_is_a_chinese_table_with_the_history_counts(stack: Replayed) -> None:
    now = datetime.now(UTC).isoformat()
    whole = stack.cli("--as-of", now)
    assert whole.returncode == 0, whole.stdout + whole.stderr
    for label in (
        "上下联动总览",
        "抚州市（合计）",
        "市本级",
        "临川区",
        "信访举报受理",
        "整改完成率",
    ):
        assert label in whole.stdout, label
    for svc in SERVICES:
        assert any(
            line.strip().startswith(svc) and "events of" in line and "in the history" in line
            for line in whole.stdout.splitlines()
        ), svc
    county = stack.cli("--as-of", now, "-j", LINCHUAN)
    assert county.returncode == 0 and "临川区" in county.stdout and "南城县" not in county.stdout
    ledger = stack.cli("--as-of", now, "-j", LINCHUAN, "-u", UNIT)
    assert ledger.returncode == 0, ledger.stdout + ledger.stderr
    for label in ("整改台账", UNIT, "问题清单", "整改报告", "已完成", "整改中", "自报完成率"):
        assert label in ledger.stdout, label
    assert "刘桂兰" not in whole.stdout + county.stdout + ledger.stdout  # never the informant


async def test_live_ledger_endpoint_access_and_errors(stack: Replayed) -> None:
    own_unit = "临川区审计局"  # fed back here, so the test does not need the scenario's data
    await feed_back(stack, own_unit, ["审计发现问题整改跟踪不到位"])
    await wait_for(lambda: all_consumed(stack), "the projection to catch up")
    path = "/api/v1/views/ledger"
    for who in ("city", "auditor", "linchuan"):
        resp = await get(stack, path, who, jurisdiction=LINCHUAN, unit=own_unit)
        assert resp.status_code == 200, (who, resp.text)
        assert resp.json()["jurisdiction_name"] == "临川区" and resp.json()["unit"] == own_unit
        assert resp.json()["issues_total"] >= 1, resp.json()
    # another county's office, a department: 403; no token: 401
    for who in ("nancheng", "discipline"):
        resp = await get(stack, path, who, jurisdiction=LINCHUAN, unit=own_unit)
        assert resp.status_code == 403, (who, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
    async with httpx.AsyncClient(base_url=stack.running.urls["reporting"], timeout=10) as client:
        resp = await client.get(path, params={"jurisdiction": LINCHUAN, "unit": UNIT})
    assert resp.status_code == 401
    # bad parameters: 422 problems
    for params in (
        {"unit": UNIT},
        {"jurisdiction": LINCHUAN},
        {"jurisdiction": "3610", "unit": UNIT},
        {"jurisdiction": "999999", "unit": UNIT},
        {"jurisdiction": LINCHUAN, "unit": "   "},
        {"jurisdiction": LINCHUAN, "unit": "单" * 201},
    ):
        resp = await get(stack, path, "city", **params)
        assert resp.status_code == 422, (params, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
    # a unit without issues: 404
    resp = await get(stack, path, "city", jurisdiction=LINCHUAN, unit="无此单位")
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("application/problem+json")


async def test_live_ledger_units_endpoint_lists_the_units_with_issues(stack: Replayed) -> None:
    """``/api/v1/views/ledger/units``: the index of the 整改台账, with the ledger's access rules."""
    own_unit = "临川区水利局"  # fed back here, so the test does not need the scenario's data
    await feed_back(stack, own_unit, ["河道采砂监管不到位", "水利工程项目资金拨付滞后"])
    await wait_for(lambda: all_consumed(stack), "the projection to catch up")
    path = "/api/v1/views/ledger/units"
    for who in ("city", "auditor", "linchuan"):
        resp = await get(stack, path, who, jurisdiction=LINCHUAN)
        assert resp.status_code == 200, (who, resp.text)
        doc = resp.json()
        assert doc["jurisdiction"] == LINCHUAN and doc["jurisdiction_name"] == "临川区"
        names = [u["unit"] for u in doc["units"]]
        assert names == sorted(names) and len(set(names)) == len(names), doc
        assert {"unit": own_unit, "issues": 2} in doc["units"]
        # each count is the number of issues the unit's ledger lists
        for entry in doc["units"]:
            ledger = await get(
                stack, "/api/v1/views/ledger", who, jurisdiction=LINCHUAN, unit=entry["unit"]
            )
            assert ledger.status_code == 200, ledger.text
            assert entry["issues"] == ledger.json()["issues_total"] > 0
    # the units as a replay of now lists them (the same store query on a rebuilt schema)
    replay = await get(
        stack,
        "/api/v1/audit/replay",
        "auditor",
        as_of=datetime.now(UTC).isoformat(),
        jurisdiction=LINCHUAN,
    )
    assert replay.status_code == 200, replay.text
    live = (await get(stack, path, "city", jurisdiction=LINCHUAN)).json()
    assert {u["unit"]: u["issues"] for u in live["units"]} == replay.json()["units"]
    # the city itself (市本级) and a county without feedbacks: 200 with no units
    for code, name in ((CITY, "抚州市"), (NANCHENG, "南城县")):
        resp = await get(stack, path, "city", jurisdiction=code)
        assert resp.status_code == 200, resp.text
        assert resp.json() == {"jurisdiction": code, "jurisdiction_name": name, "units": []}
    # a county office sees its own county only, a department none: 403; no token: 401
    for who, code in (
        ("linchuan", NANCHENG),
        ("linchuan", CITY),
        ("nancheng", LINCHUAN),
        ("discipline", LINCHUAN),
    ):
        resp = await get(stack, path, who, jurisdiction=code)
        assert resp.status_code == 403, (who, code, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
    async with httpx.AsyncClient(base_url=stack.running.urls["reporting"], timeout=10) as client:
        assert (await client.get(path, params={"jurisdiction": LINCHUAN})).status_code == 401
    # missing, malformed or unknown jurisdiction: 422 problems
    for params in (
        {},
        {"jurisdiction": "3610"},
        {"jurisdiction": "36100a"},
        {"jurisdiction": "999999"},
    ):
        resp = await get(stack, path, "city", **params)
        assert resp.status_code == 422, (params, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert resp.json()["detail"]


async def test_replay_endpoint_is_the_auditors_and_refuses_bad_moments(stack: Replayed) -> None:
    await wait_for(lambda: all_consumed(stack), "the projection to catch up")
    path = "/api/v1/audit/replay"
    now = datetime.now(UTC).isoformat()
    resp = await get(stack, path, "auditor", as_of=now)
    assert resp.status_code == 200, resp.text
    assert rows_of(resp.json()["linked"]) == rows_of((await live_views(stack))["linked"])
    # only the auditor: the offices and departments get 403, no token 401
    for who in ("city", "linchuan", "discipline"):
        resp = await get(stack, path, who, as_of=now)
        assert resp.status_code == 403, (who, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
    async with httpx.AsyncClient(base_url=stack.running.urls["reporting"], timeout=10) as client:
        assert (await client.get(path, params={"as_of": now})).status_code == 401
    # moments without an offset, in the future or not a time; a unit without jurisdiction
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    for params in (
        {},
        {"as_of": "2026-05-01T00:00:00"},
        {"as_of": future},
        {"as_of": "yesterday"},
        {"as_of": now, "unit": UNIT},
        {"as_of": now, "jurisdiction": "999999"},
        {"as_of": "0001-01-01T00:00:00+08:00"},  # before datetime's range once in UTC
    ):
        resp = await get(stack, path, "auditor", **params)
        assert resp.status_code == 422, (params, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
    resp = await get(stack, path, "auditor", as_of=now, jurisdiction=LINCHUAN, unit="无此单位")
    assert resp.status_code == 404, resp.text


async def test_a_county_auditor_replays_its_county_only(stack: Replayed) -> None:
    await wait_for(lambda: all_consumed(stack), "the projection to catch up")
    path = "/api/v1/audit/replay"
    now = datetime.now(UTC).isoformat()
    resp = await get(stack, path, "lc-auditor", as_of=now)
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    # its own county's row, without the city's view or the replay's city-wide counts
    assert doc["row"]["jurisdiction"] == LINCHUAN
    assert not {"linked", "services", "applied", "changed", "skipped"} & set(doc)
    live_row = (await get(stack, "/api/v1/views/linked", jurisdiction=LINCHUAN)).json()
    assert doc["row"] == rows_of({"city": live_row["counties"][0], "counties": []})["city"]
    for params in ({"jurisdiction": NANCHENG}, {"jurisdiction": CITY}):
        resp = await get(stack, path, "lc-auditor", as_of=now, **params)
        assert resp.status_code == 403, (params, resp.text)
        xlsx = "/api/v1/audit/exports/replay.xlsx"
        resp = await get(stack, xlsx, "lc-auditor", as_of=now, **params)
        assert resp.status_code == 403, (params, resp.text)

    # the same as a workbook to file: its county's row only, labelled as 总览 labels it
    import io

    from openpyxl import load_workbook

    resp = await get(stack, "/api/v1/audit/exports/replay.xlsx", "lc-auditor", as_of=now)
    assert resp.status_code == 200, resp.text
    book = load_workbook(io.BytesIO(resp.content))
    assert book.sheetnames == ["汇总", "上下联动总览", "期限状态", "已逾期期限"]
    # the deadlines the page shows: by state (the page's names, then the total), the overdue
    # ones named as 期限预警 names them, the most late first
    states = list(book["期限状态"].iter_rows(min_row=2, values_only=True))
    counted: dict[str, int] = {}
    for d in doc["deadlines"]:
        counted[d["state"]] = counted.get(d["state"], 0) + 1
    assert states[-1] == ("合计", len(doc["deadlines"]))
    names = {"running": "正常", "warning_yellow": "黄色预警", "warning_red": "红色预警",
             "overdue": "已逾期", "met": "按期办结", "met_late": "逾期办结"}  # fmt: skip
    assert dict(states[:-1]) == {names[k]: n for k, n in counted.items()}
    late = list(book["已逾期期限"].iter_rows(values_only=True))
    assert late[0][:6] == (
        "期限事项",
        "期限规则",
        "待办事项",
        "涉及单位或巡察组",
        "到期日",
        "逾期天数",
    )
    overdue = sorted(d["days_late"] for d in doc["deadlines"] if d["state"] == "overdue")
    assert [r[5] for r in late[1:]] == overdue[::-1]
    assert all(r[7] == "临川区" and "_" not in str(r[0]) + str(r[1]) for r in late[1:])
    # a county auditor's workbook leaves out the city-wide counts of the replay
    summary = dict(book["汇总"].iter_rows(min_row=2, values_only=True))
    assert not any(str(k).startswith("已重放事件") for k in summary)
    header, *rows = book["上下联动总览"].iter_rows(values_only=True)
    # the columns of the replay page and of 总览, in their order, the rate included
    assert header == (
        "地区", "信访举报受理", "线索登记", "报市委巡察办", "线索移交", "反馈问题",
        "整改报告", "自报完成", "核实销号", "整改完成率",
    )  # fmt: skip
    assert [r[0] for r in rows] == [doc["row"]["name"]]
    assert rows[0][1:3] == (doc["row"]["petitions_received"], doc["row"]["clues_registered"])
    rate = doc["row"]["completion_rate"]
    assert rows[0][-1] == ("—" if rate is None else f"{rate * 100:.1f}%")
    city = await get(stack, "/api/v1/audit/exports/replay.xlsx", "auditor", as_of=now)
    assert city.status_code == 200, city.text
    names = [
        r[0]
        for r in load_workbook(io.BytesIO(city.content))["上下联动总览"].iter_rows(
            min_row=2, values_only=True
        )
    ]
    assert names[0].endswith("（合计）") and "临川区" in names
    summary = dict(load_workbook(io.BytesIO(city.content))["汇总"].iter_rows(values_only=True))
    assert any(str(k).startswith("已重放事件（巡察组织与信访受理") for k in summary), summary
