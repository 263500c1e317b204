"""The clues API against the real PostgreSQL and Kafka, together with intake.

Both services run in this process with their real composition (schema, consumers on FastStream
brokers, outbox relays, HTTP apps): a petition posted to intake reaches the clues service over
Kafka and becomes a clue; the clue's escalation and transfer travel back to intake and move the
petition's receipt status. The module has its own databases and topics.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer
from xuncha_clues.adapters.read_model import STATUS_SINCE_SQL
from xuncha_clues.bootstrap import SPEC as CLUES
from xuncha_intake.bootstrap import SPEC as INTAKE
from xuncha_shared import provision
from xuncha_shared.auth.tokens import create_token_in
from xuncha_shared.contracts.clues import clue_id_for_petition
from xuncha_shared.contracts.common import Department
from xuncha_shared.contracts.topics import topic_for
from xuncha_shared.eventstore import envelope_from_record
from xuncha_shared.eventstore.postgres import ENVELOPE_COLUMNS
from xuncha_shared.http.app import create_app
from xuncha_shared.kafka import client_options
from xuncha_shared.relay import OutboxRelay
from xuncha_shared.runtime import ServiceSpec, service_context
from xuncha_shared.settings import Settings

from tests.support.principals import CITY, LINCHUAN, NANCHENG, OFFICES, PROBLEM, department
from tests.support.service_api import service_settings

pytestmark = pytest.mark.timeout(240)


PRINCIPALS = {
    "dept": department("jw", Department.DISCIPLINE),
    **OFFICES,
}


@dataclass
class Stack:
    intake: httpx.AsyncClient
    clues: httpx.AsyncClient
    intake_pool: asyncpg.Pool
    clues_pool: asyncpg.Pool
    tokens: dict[str, str]
    settings: Settings
    register_consumer: Any

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def clue_events(self, clue_id: uuid.UUID | str | None = None) -> int:
        if clue_id is None:
            return int(await self.clues_pool.fetchval("SELECT count(*) FROM events"))
        return int(
            await self.clues_pool.fetchval(
                "SELECT count(*) FROM events WHERE stream_id = $1", str(clue_id)
            )
        )


async def wait_for(
    predicate: Callable[[], Awaitable[bool]], what: str, timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def settings_for(
    service: str, infra: Any, dbs: dict[str, Any], prefix: str, topics: str
) -> Settings:
    return service_settings(service, infra, dbs, prefix, topics, relay_poll_ms=10)


@pytest.fixture(scope="module")
async def stack(infra: Any) -> AsyncIterator[Stack]:
    run = uuid.uuid4().hex[:6]
    prefix = f"{infra.db_prefix}cl{run}_"
    topics = f"{infra.topic_prefix}cl{run}."
    dbs = await provision.create_service_databases(infra.pg_admin_url, prefix, ["intake", "clues"])
    await provision.provision_topics(infra.kafka_bootstrap, topics)
    stop = asyncio.Event()
    async with contextlib.AsyncExitStack() as exits:
        clients: dict[str, httpx.AsyncClient] = {}
        pools: dict[str, asyncpg.Pool] = {}
        tasks: list[asyncio.Task[None]] = []
        consumers: dict[str, Any] = {}
        for spec in (INTAKE, CLUES):
            assert isinstance(spec, ServiceSpec)
            settings = settings_for(spec.name, infra, dbs, prefix, topics)
            ctx = await exits.enter_async_context(service_context(spec, settings))
            assert spec.build_api is not None
            assert spec.build_consumers is not None
            spec.build_consumers(ctx.broker, ctx)
            await ctx.broker.start()
            exits.push_async_callback(ctx.broker.stop)
            relay = OutboxRelay(
                ctx.pool,
                bootstrap=infra.kafka_bootstrap,
                service=spec.name,
                topic_prefix=topics,
                poll_interval=0.01,
            )
            tasks.append(asyncio.create_task(relay.run(stop)))
            app = create_app(spec.name, title=spec.title)
            spec.build_api(app, ctx)
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url=f"http://{spec.name}"
            )
            exits.push_async_callback(client.aclose)
            clients[spec.name] = client
            pools[spec.name] = ctx.pool
            consumers.update(ctx.consumers)

        async def stop_relays() -> None:
            stop.set()
            await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 30)

        exits.push_async_callback(stop_relays)
        tokens = {
            name: await create_token_in([pools["intake"], pools["clues"]], p)
            for name, p in PRINCIPALS.items()
        }
        yield Stack(
            intake=clients["intake"],
            clues=clients["clues"],
            intake_pool=pools["intake"],
            clues_pool=pools["clues"],
            tokens=tokens,
            settings=settings_for("clues", infra, dbs, prefix, topics),
            register_consumer=consumers["clues.register-from-petitions"],
        )
    await provision.drop_prefixed_databases(infra.pg_admin_url, prefix)
    await provision.delete_prefixed_topics(infra.kafka_bootstrap, topics)


# ---- helpers -------------------------------------------------------------------------------


async def new_clue(
    stack: Stack, jurisdiction: str = LINCHUAN, who: str = "county"
) -> tuple[str, str, str]:
    """Post a petition to intake and wait until the clues service registered its clue.
    Returns (petition id, receipt code, clue id)."""
    resp = await stack.intake.post(
        "/api/v1/petitions",
        json={
            "jurisdiction": jurisdiction,
            "unit": "某局",
            "channel": "visit",
            "summary": "反映某局领导干部违规吃喝问题",
            "informant": {"name": "王秀英", "phone": "13907941234"},
        },
        headers=stack.auth(who),
    )
    assert resp.status_code == 201, resp.text
    petition_id = resp.json()["id"]
    clue_id = str(clue_id_for_petition(uuid.UUID(petition_id)))

    async def registered() -> bool:
        return await stack.clue_events(clue_id) > 0

    await wait_for(registered, f"clue of petition {petition_id}")
    return petition_id, resp.json()["receipt_code"], clue_id


async def classify(stack: Stack, clue_id: str, who: str = "county", **body: Any) -> httpx.Response:
    doc = {"category": "further_inquiry", "cadre_level": "section", **body}
    return await stack.clues.post(
        f"/api/v1/clues/{clue_id}/classify", json=doc, headers=stack.auth(who)
    )


async def transfer(
    stack: Stack, clue_id: str, department: str = "discipline_commission", who: str = "county"
) -> httpx.Response:
    return await stack.clues.post(
        f"/api/v1/clues/{clue_id}/transfer",
        json={"department": department, "reason": "按规定移交"},
        headers=stack.auth(who),
    )


def assert_problem(resp: httpx.Response, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    doc: dict[str, Any] = resp.json()
    assert doc["status"] == status
    return doc


async def receipt_status(stack: Stack, code: str) -> str:
    resp = await stack.intake.get(f"/api/v1/receipts/{code}")
    assert resp.status_code == 200, resp.text
    return str(resp.json()["status"])


# ---- tests ---------------------------------------------------------------------------------


async def test_petition_becomes_clue_over_kafka(stack: Stack) -> None:
    petition_id, code, clue_id = await new_clue(stack)
    petition_event = await stack.intake_pool.fetchrow(
        "SELECT event_id, correlation_id FROM events WHERE stream_id = $1", petition_id
    )
    clue_event = await stack.clues_pool.fetchrow(
        "SELECT * FROM events WHERE stream_id = $1", clue_id
    )
    assert petition_event is not None
    assert clue_event is not None
    assert clue_event["event_type"] == "clues.ClueRegistered"
    assert clue_event["stream_type"] == "clue"
    assert clue_event["jurisdiction"] == LINCHUAN
    assert clue_event["causation_id"] == petition_event["event_id"]
    assert clue_event["correlation_id"] == petition_event["correlation_id"]
    assert clue_event["actor"]["role"] == "system"
    assert clue_event["payload"]["source_petition_id"] == petition_id
    # no personal data crossed over
    assert "王秀英" not in (
        await stack.clues_pool.fetchval("SELECT string_agg(e::text, '') FROM events e")
    )

    resp = await stack.clues.get(f"/api/v1/clues/{clue_id}", headers=stack.auth("county"))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["view"] == "full"
    assert body["status"] == "registered"
    assert body["source_petition_id"] == petition_id

    async def receipt_registered() -> bool:
        return await receipt_status(stack, code) == "registered"

    await wait_for(receipt_registered, "receipt status registered")


async def test_duplicate_petition_delivery_makes_one_clue(stack: Stack) -> None:
    petition_id, _, clue_id = await new_clue(stack)
    row = await stack.intake_pool.fetchrow(
        f"SELECT {ENVELOPE_COLUMNS} FROM events WHERE stream_id = $1", petition_id
    )
    assert row is not None
    wire = envelope_from_record(row).to_wire()
    duplicates = stack.register_consumer.duplicates
    producer = AIOKafkaProducer(
        bootstrap_servers=stack.settings.kafka_bootstrap, **client_options(stack.settings)
    )
    await producer.start()
    try:
        await producer.send_and_wait(
            topic_for("petition", stack.settings.topic_prefix), wire, key=petition_id.encode()
        )
    finally:
        await producer.stop()

    async def dropped() -> bool:
        return bool(stack.register_consumer.duplicates > duplicates)

    await wait_for(dropped, "the duplicate to be dropped by the inbox")
    assert await stack.clue_events(clue_id) == 1


async def test_classify_and_transfer_then_no_second_transfer(stack: Stack) -> None:
    _, code, clue_id = await new_clue(stack)
    resp = await classify(stack, clue_id, who="group", topics=["四风"])
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "classified"
    assert resp.json()["suggested_departments"] == ["discipline_commission"]
    resp = await transfer(stack, clue_id)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "transferred"
    assert body["department"] == "discipline_commission"
    assert body["department_zh"] == "纪委监委"
    before = await stack.clue_events()
    doc = assert_problem(await transfer(stack, clue_id, "organisation"), 409)
    assert "already transferred" in doc["detail"]
    assert await stack.clue_events() == before
    row = await stack.clues_pool.fetchrow(
        "SELECT * FROM events WHERE stream_id = $1 AND event_type = 'clues.ClueTransferred'",
        clue_id,
    )
    assert row is not None
    assert row["actor"] == {"principal_id": "lc-office", "role": "county_admin"}
    assert row["payload"]["jurisdiction"] == LINCHUAN

    async def receipt_transferred() -> bool:
        return await receipt_status(stack, code) == "transferred"

    await wait_for(receipt_transferred, "receipt status transferred")


async def test_r12_city_managed_clue(stack: Stack) -> None:
    _, code, clue_id = await new_clue(stack)
    resp = await classify(
        stack, clue_id, city_managed=True, cadre_level="division", topics=["四风"]
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["needs_escalation"] is True
    before = await stack.clue_events()
    doc = assert_problem(await transfer(stack, clue_id), 409)
    assert "R12" in doc["detail"]
    assert "市管干部" in doc["detail"]
    assert await stack.clue_events() == before

    resp = await stack.clues.post(
        f"/api/v1/clues/{clue_id}/escalate",
        json={"reason": "涉及市管干部，报市委巡察办"},
        headers=stack.auth("county"),
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["view"] == "stub"  # the county hands it over and keeps a stub
    assert resp.json()["escalated_to"] == CITY

    stub = (await stack.clues.get(f"/api/v1/clues/{clue_id}", headers=stack.auth("county"))).json()
    assert stub["view"] == "stub"
    assert set(stub) == {
        "view", "id", "jurisdiction", "status", "status_zh", "escalated_to",
        "registered_at", "updated_at",
    }  # fmt: skip
    handed_over = stub["updated_at"]  # the stub's time: when the clue took its status
    full = await stack.clues.get(f"/api/v1/clues/{clue_id}", headers=stack.auth("city"))
    assert full.json()["view"] == "full"
    assert full.json()["escalation_reason"] == "涉及市管干部，报市委巡察办"

    assert_problem(await transfer(stack, clue_id), 403)  # no longer the county's
    # the city office checks it for itself (速查/核查) before it decides; the county cannot
    check = {"method": "verification", "outcome": "基本属实", "notes": "市委巡察办调阅账目"}
    url = f"/api/v1/clues/{clue_id}/verify"
    assert_problem(await stack.clues.post(url, json=check, headers=stack.auth("county")), 403)
    resp = await stack.clues.post(url, json=check, headers=stack.auth("city"))
    assert resp.status_code == 200, resp.text
    assert (resp.json()["status"], resp.json()["verifications"]) == ("escalated", 1)
    stub = (await stack.clues.get(f"/api/v1/clues/{clue_id}", headers=stack.auth("county"))).json()
    assert stub["status"] == "escalated" and "verifications" not in stub
    # nor does its time move: the city's check is not the county's to follow
    assert stub["updated_at"] == handed_over < resp.json()["updated_at"]
    for sort in ("-updated_at", "updated_at"):
        listed = await stack.clues.get(f"/api/v1/clues?sort={sort}", headers=stack.auth("county"))
        assert listed.status_code == 200, listed.text
        [item] = [i for i in listed.json()["items"] if i["id"] == clue_id]
        assert (item["view"], item["updated_at"]) == ("stub", handed_over)
    resp = await transfer(stack, clue_id, who="city")
    assert resp.status_code == 200, resp.text
    stub = (await stack.clues.get(f"/api/v1/clues/{clue_id}", headers=stack.auth("county"))).json()
    # a new status is shown with its time
    assert (stub["status"], stub["updated_at"]) == ("transferred", resp.json()["updated_at"])
    rows = await stack.clues_pool.fetch(
        "SELECT event_type, jurisdiction FROM events WHERE stream_id = $1 ORDER BY stream_version",
        clue_id,
    )
    assert [(r["event_type"], r["jurisdiction"]) for r in rows] == [
        ("clues.ClueRegistered", LINCHUAN),
        ("clues.ClueClassified", LINCHUAN),
        ("clues.ClueEscalated", LINCHUAN),
        ("clues.ClueVerified", CITY),
        ("clues.ClueTransferred", CITY),
    ]

    # the county's list shows the escalated clue as a stub, the city's in full
    listed = await stack.clues.get("/api/v1/clues", headers=stack.auth("county"))
    [item] = [i for i in listed.json()["items"] if i["id"] == clue_id]
    assert item["view"] == "stub"
    assert item["unit"] is None
    assert item["updated_at"] == stub["updated_at"]
    # a row listed before the column came: the migration finds the time from the events
    await stack.clues_pool.execute(
        "UPDATE clue_view SET status_since = NULL WHERE clue_id = $1", uuid.UUID(clue_id)
    )
    await stack.clues_pool.execute(STATUS_SINCE_SQL)
    listed = await stack.clues.get("/api/v1/clues", headers=stack.auth("county"))
    [item] = [i for i in listed.json()["items"] if i["id"] == clue_id]
    assert item["updated_at"] == stub["updated_at"]
    listed = await stack.clues.get(f"/api/v1/clues?jurisdiction={CITY}", headers=stack.auth("city"))
    [item] = [i for i in listed.json()["items"] if i["id"] == clue_id]
    assert item["view"] == "full"
    assert item["department"] == "discipline_commission"

    async def receipt_transferred() -> bool:
        return await receipt_status(stack, code) == "transferred"

    await wait_for(receipt_transferred, "receipt status transferred")


async def test_multi_county_clue_needs_escalation(stack: Stack) -> None:
    _, _, clue_id = await new_clue(stack)
    resp = await classify(stack, clue_id, counties=[LINCHUAN, NANCHENG], topics=["惠民资金"])
    assert resp.status_code == 200, resp.text
    doc = assert_problem(await transfer(stack, clue_id, "finance", who="city"), 409)
    assert "spans counties" in doc["detail"]


async def test_wrong_route_is_422_and_writes_nothing(stack: Stack) -> None:
    _, _, clue_id = await new_clue(stack)
    assert (await classify(stack, clue_id, topics=["民主集中制"])).status_code == 200
    before = await stack.clue_events()
    doc = assert_problem(await transfer(stack, clue_id, "audit"), 422)
    assert "Art. 28" in doc["detail"]
    assert "organisation" in doc["detail"]
    assert await stack.clue_events() == before
    assert (await transfer(stack, clue_id, "organisation")).status_code == 200


async def test_transfer_before_classification_is_409(stack: Stack) -> None:
    _, _, clue_id = await new_clue(stack)
    doc = assert_problem(await transfer(stack, clue_id), 409)
    assert "classified" in doc["detail"]


async def test_unknown_clue_is_404(stack: Stack) -> None:
    missing = uuid.uuid4()
    assert_problem(
        await stack.clues.get(f"/api/v1/clues/{missing}", headers=stack.auth("city")), 404
    )
    assert_problem(await transfer(stack, str(missing), who="city"), 404)
    assert_problem(await classify(stack, str(missing)), 404)
    resp = await stack.clues.get("/api/v1/clues/not-a-uuid", headers=stack.auth("city"))
    assert_problem(resp, 422)


async def test_auth_and_roles(stack: Stack) -> None:
    _, _, clue_id = await new_clue(stack)
    before = await stack.clue_events()
    resp = await stack.clues.post(f"/api/v1/clues/{clue_id}/classify", json={"category": "inquiry"})
    assert_problem(resp, 401)
    assert_problem(await classify(stack, clue_id, who="auditor"), 403)
    assert_problem(await classify(stack, clue_id, who="dept"), 403)
    # another county's clue answers exactly like an unknown one (no existence oracle)
    foreign = assert_problem(await classify(stack, clue_id, who="other"), 404)
    unknown_id = str(uuid.uuid4())
    unknown = assert_problem(await classify(stack, unknown_id, who="other"), 404)
    assert foreign["detail"] == unknown["detail"].replace(unknown_id, clue_id)
    assert foreign["type"] == unknown["type"] and foreign["title"] == unknown["title"]
    assert LINCHUAN not in foreign["detail"]
    assert_problem(await transfer(stack, clue_id, who="group"), 403)
    assert await stack.clue_events() == before
    # reads: the auditor reads everything, a department only what was transferred to it (a
    # clue not transferred to it is the uniform 404), another county nothing
    assert (
        await stack.clues.get(f"/api/v1/clues/{clue_id}", headers=stack.auth("auditor"))
    ).status_code == 200
    assert_problem(
        await stack.clues.get(f"/api/v1/clues/{clue_id}", headers=stack.auth("dept")), 404
    )
    foreign = assert_problem(
        await stack.clues.get(f"/api/v1/clues/{clue_id}", headers=stack.auth("other")), 404
    )
    unknown = assert_problem(
        await stack.clues.get(f"/api/v1/clues/{unknown_id}", headers=stack.auth("other")), 404
    )
    assert foreign["detail"] == unknown["detail"].replace(unknown_id, clue_id)
    refused = assert_problem(
        await stack.clues.get(
            f"/api/v1/clues?jurisdiction={LINCHUAN}", headers=stack.auth("other")
        ),
        403,
    )
    assert LINCHUAN not in refused["detail"]  # a refusal never names the foreign jurisdiction
    listed = await stack.clues.get("/api/v1/clues", headers=stack.auth("other"))
    assert listed.status_code == 200
    assert all(i["id"] != clue_id for i in listed.json()["items"])


@pytest.mark.parametrize(
    ("body", "expect"),
    [
        ({"category": "important"}, "body.category"),
        ({"category": "inquiry", "counties": ["36102"]}, "body.counties"),
        ({"category": "inquiry", "counties": ["361099"]}, "unknown county"),
        ({"category": "inquiry", "counties": [CITY]}, "unknown county"),
        ({"category": "inquiry", "colour": "red"}, "body.colour"),
    ],
)
async def test_bad_classification_is_422_and_writes_nothing(
    stack: Stack, body: dict[str, Any], expect: str
) -> None:
    _, _, clue_id = await new_clue(stack)
    before = await stack.clue_events()
    resp = await stack.clues.post(
        f"/api/v1/clues/{clue_id}/classify", json=body, headers=stack.auth("county")
    )
    doc = assert_problem(resp, 422)
    assert expect in doc["detail"]
    assert await stack.clue_events() == before


async def test_bad_transfer_and_escalation_bodies(stack: Stack) -> None:
    _, _, clue_id = await new_clue(stack)
    before = await stack.clue_events()
    resp = await stack.clues.post(
        f"/api/v1/clues/{clue_id}/transfer",
        json={"department": "police", "reason": "x"},
        headers=stack.auth("county"),
    )
    assert "body.department" in assert_problem(resp, 422)["detail"]
    resp = await stack.clues.post(
        f"/api/v1/clues/{clue_id}/escalate", json={"reason": "  "}, headers=stack.auth("county")
    )
    assert "body.reason" in assert_problem(resp, 422)["detail"]
    assert await stack.clue_events() == before


@pytest.mark.parametrize("query", ["offset=" + str(2**70), "offset=99999999999999999999"])
async def test_an_offset_beyond_the_bound_is_422(stack: Stack, query: str) -> None:
    resp = await stack.clues.get(f"/api/v1/clues?{query}", headers=stack.auth("county"))
    doc = assert_problem(resp, 422)
    assert [e["field"] for e in doc["errors"]] == ["query.offset"]


async def test_a_nul_in_classify_topics_is_422(stack: Stack) -> None:
    _, _, clue_id = await new_clue(stack)
    resp = await stack.clues.post(
        f"/api/v1/clues/{clue_id}/classify",
        json={"category": "inquiry", "topics": ["四风\x00"]},
        headers=stack.auth("county"),
    )
    assert "body.topics.0" in assert_problem(resp, 422)["detail"]
