"""The auditors' read-only HTTP API of the reporting service (``/api/v1/audit/*``) and the
read-only database role behind it (``xuncha_auditor``), against the real PostgreSQL and Kafka.

The module provisions its own set of service databases (its own prefix: the auditor's grants
must hold for prefixed test databases too) and topics, appends real events with the services'
own roles, signs real checkpoints, and reads everything over HTTP with real bearer tokens. The
reporting app is its real composition (``SPEC.build_api``), served in-process.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from xuncha_reporting.bootstrap import SPEC
from xuncha_reporting.entrypoints.audit import (
    POOLS_KEY,
    AuditorPools,
    build_audit_router,
)
from xuncha_shared import crypto, provision
from xuncha_shared.audit.checkpoints import (
    Checkpoint,
    Signer,
    create_checkpoint,
    load_signer,
    sign_checkpoint,
    store_checkpoint,
)
from xuncha_shared.audit.checkpoints import history_digest as digest_now
from xuncha_shared.auth.demo import demo_principals
from xuncha_shared.auth.tokens import create_token_in
from xuncha_shared.contracts.clues import ClueRegistered
from xuncha_shared.contracts.intake import (
    IdentityReadOutcome,
    InformantIdentityRead,
    PetitionReceived,
)
from xuncha_shared.crypto import encrypt_identity
from xuncha_shared.db import create_pool
from xuncha_shared.domain.personal_data import InformantIdentity
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.envelope import Actor
from xuncha_shared.eventstore import NO_STREAM, NewEvent, PostgresEventStore
from xuncha_shared.http.app import create_app
from xuncha_shared.http.responses import PROBLEM_CONTENT_TYPE
from xuncha_shared.relay import OutboxRelay
from xuncha_shared.runtime import service_context
from xuncha_shared.settings import AUDITOR_ROLE, SERVICES, Settings, database_url_for

from tests.support.service_api import service_settings

pytestmark = pytest.mark.timeout(240)

CITY = "361000"
LINCHUAN = "361002"
NANCHENG = "361021"
OFFICE = Actor(principal_id="office-lc", role="county_admin")
CUSTODIAN = Actor(principal_id="custodian-1", role="informant_custodian")
INFORMANT = InformantIdentity(
    name="李春花", phone="13907940000", address="抚州市临川区某街道", employer="某局"
)
ENDPOINTS = (
    "/api/v1/audit/verify?kafka=false",
    "/api/v1/audit/history/some-stream",
    "/api/v1/audit/exports/history.xlsx?stream_id=some-stream",
    "/api/v1/audit/checkpoints",
    "/api/v1/audit/identity-reads",
)


@dataclass
class Env:
    settings: Settings  # the reporting service's
    admin_url: str
    prefix: str
    pools: dict[str, asyncpg.Pool]  # each service's own role
    app: Any
    client: httpx.AsyncClient
    tokens: dict[str, str]
    ctx: Any
    case: dict[str, Any] = field(default_factory=dict)

    def auth(self, who: str = "auditor") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def admin_db(self, service: str) -> str:
        return database_url_for(self.admin_url, f"{self.prefix}{service}")

    async def get(self, path: str, who: str = "auditor", **params: Any) -> httpx.Response:
        return await self.client.get(path, params=params or None, headers=self.auth(who))


def _petition(jurisdiction: str) -> PetitionReceived:
    pid = uuid.uuid4()
    return PetitionReceived(
        petition_id=pid,
        jurisdiction=jurisdiction,
        unit="临川区某局",
        channel="letter",
        summary="反映该局违规发放津补贴",
        informant=encrypt_identity(b"k" * 32, uuid.uuid4(), INFORMANT),
        receipt_code_hash=hashlib.sha256(pid.bytes).hexdigest(),
    )


async def _seed(env: Env) -> dict[str, Any]:
    """Two petitions with an identity read each (Linchuan, Nancheng), a clue caused by the
    first, and a signed checkpoint of every service."""
    intake = PostgresEventStore(env.pools["intake"])
    case: dict[str, Any] = {"reads": []}
    for jurisdiction, outcome, reason in (
        (LINCHUAN, IdentityReadOutcome.DISCLOSED, "纪委审查需要核实举报人身份"),
        (NANCHENG, IdentityReadOutcome.KEY_ERASED, "核实举报人是否为当事人亲属"),
    ):
        pet = _petition(jurisdiction)
        [received] = await intake.append(
            "petition",
            str(pet.petition_id),
            NO_STREAM,
            [NewEvent(pet, jurisdiction, OFFICE)],
        )
        read = InformantIdentityRead(
            petition_id=pet.petition_id,
            person_id=pet.informant.person_id,
            reason=reason,
            outcome=outcome,
        )
        [read_event] = await intake.append(
            "petition",
            str(pet.petition_id),
            1,
            [
                NewEvent(
                    read,
                    jurisdiction,
                    CUSTODIAN,
                    correlation_id=received.correlation_id,
                    causation_id=received.event_id,
                )
            ],
        )
        case["reads"].append((jurisdiction, pet, read_event))
        if jurisdiction == LINCHUAN:
            case["petition"], case["received"] = pet, received
    pet, received = case["petition"], case["received"]
    clue_id = uuid.uuid4()
    [clue_event] = await PostgresEventStore(env.pools["clues"]).append(
        "clue",
        str(clue_id),
        NO_STREAM,
        [
            NewEvent(
                ClueRegistered(
                    clue_id=clue_id,
                    jurisdiction=LINCHUAN,
                    unit="临川区某局",
                    summary="违规发放津补贴",
                    source_petition_id=pet.petition_id,
                ),
                LINCHUAN,
                OFFICE,
                correlation_id=received.correlation_id,
                causation_id=received.event_id,
            )
        ],
    )
    case["clue_event"] = clue_event
    case["checkpoints"] = {
        s: await create_checkpoint(env.pools[s], s, load_signer(s, env.settings)) for s in SERVICES
    }
    return case


@pytest.fixture(scope="module")
async def env(infra, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Env]:
    run = uuid.uuid4().hex[:6]
    prefix = f"{infra.db_prefix}au{run}_"
    topic_prefix = f"{infra.topic_prefix}au{run}."
    dbs = await provision.create_service_databases(infra.pg_admin_url, prefix)
    await provision.provision_topics(infra.kafka_bootstrap, topic_prefix)
    settings = service_settings(
        "reporting",
        infra,
        dbs,
        prefix,
        topic_prefix,
        state_dir=str(tmp_path_factory.mktemp("audit-api-state")),
    )
    try:
        async with contextlib.AsyncExitStack() as stack:
            pools: dict[str, asyncpg.Pool] = {}
            for svc in ("intake", "clues", "rectification"):
                pools[svc] = await create_pool(dbs[svc].url, max_size=4)
                stack.push_async_callback(pools[svc].close)
            ctx = await stack.enter_async_context(service_context(SPEC, settings))
            pools["reporting"] = ctx.pool
            app = create_app("reporting", title=SPEC.title)
            app.state.ctx = ctx
            assert SPEC.build_api
            SPEC.build_api(app, ctx)
            stack.push_async_callback(ctx.extras[POOLS_KEY].close)
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://reporting"
            )
            stack.push_async_callback(client.aclose)
            principals: dict[str, Principal] = {
                role.value: p for role, p in demo_principals(CITY, LINCHUAN).items()
            }
            principals["county_auditor"] = Principal(
                id="aud-nc", role=Role.AUDITOR, jurisdiction=NANCHENG
            )
            tokens = {name: await create_token_in([ctx.pool], p) for name, p in principals.items()}
            e = Env(settings, infra.pg_admin_url, prefix, pools, app, client, tokens, ctx)
            e.case = await _seed(e)
            yield e
    finally:
        await provision.drop_prefixed_databases(infra.pg_admin_url, prefix)
        await provision.delete_prefixed_topics(infra.kafka_bootstrap, topic_prefix)


def _problem(resp: httpx.Response, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM_CONTENT_TYPE)
    doc: dict[str, Any] = resp.json()
    assert doc["status"] == status
    return doc


# ---- who may ask ---------------------------------------------------------------------------


async def test_without_a_token_every_endpoint_answers_401(env: Env):
    for path in ENDPOINTS:
        resp = await env.client.get(path)
        _problem(resp, 401)
        assert resp.headers["www-authenticate"].startswith("Bearer")
        bad = await env.client.get(path, headers={"Authorization": "Bearer xc_" + "A" * 43})
        _problem(bad, 401)


async def test_every_other_role_gets_403(env: Env):
    others = [r for r in Role if r is not Role.AUDITOR]
    assert others, "there must be roles other than the auditor"
    for role in others:
        for path in ENDPOINTS:
            doc = _problem(await env.client.get(path, headers=env.auth(role.value)), 403)
            assert role.value in doc["detail"]


# ---- verify --------------------------------------------------------------------------------


async def test_verify_reports_a_clean_history_intact(env: Env):
    resp = await env.get("/api/v1/audit/verify", kafka="false")
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert doc["intact"] is True, doc
    assert doc["kafka_checked"] is False
    assert doc["problem_count"] == 0 and doc["first_broken"] is None
    by_service = {s["service"]: s for s in doc["services"]}
    assert set(by_service) == set(SERVICES)
    assert (by_service["intake"]["streams"], by_service["intake"]["events"]) == (2, 4)
    assert (by_service["clues"]["streams"], by_service["clues"]["events"]) == (1, 1)
    assert by_service["intake"]["database"] == f"{env.prefix}intake"
    for s in by_service.values():
        assert s["intact"] is True and s["problems"] == []
        assert s["kafka"] is None
        assert s["checkpoints"]["verified"] >= 1, s
        assert s["checkpoints"]["failed"] == 0
    latest = by_service["intake"]["checkpoints"]["latest"]
    assert latest["key_id"] == env.case["checkpoints"]["intake"].key_id


async def test_verify_names_stream_and_version_after_an_update_by_the_superuser(env: Env):
    pet = env.case["petition"]
    admin = await asyncpg.connect(env.admin_db("intake"))
    try:
        original = await admin.fetchval(
            "SELECT payload::text FROM events WHERE stream_id = $1 AND stream_version = 2",
            str(pet.petition_id),
        )
        await admin.execute(
            "UPDATE events SET payload = jsonb_set(payload, '{reason}', '\"篡改后的理由\"') "
            "WHERE stream_id = $1 AND stream_version = 2",
            str(pet.petition_id),
        )
        try:
            resp = await env.get("/api/v1/audit/verify", kafka="false")
        finally:
            await admin.execute(
                "UPDATE events SET payload = $2::jsonb WHERE stream_id = $1 AND stream_version = 2",
                str(pet.petition_id),
                original,
            )
    finally:
        await admin.close()
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert doc["intact"] is False
    assert doc["first_broken"] == {
        "service": "intake",
        "database": f"{env.prefix}intake",
        "stream_id": str(pet.petition_id),
        "stream_version": 2,
    }
    intake = next(s for s in doc["services"] if s["service"] == "intake")
    assert intake["intact"] is False and intake["problem_count"] >= 1
    chain = [p for p in intake["problems"] if p["kind"] == "chain"]
    assert [(p["stream_id"], p["stream_version"]) for p in chain] == [(str(pet.petition_id), 2)]
    assert "content changed" in chain[0]["message"]
    assert all(s["intact"] for s in doc["services"] if s["service"] != "intake")

    again = await env.get("/api/v1/audit/verify", kafka="false")
    assert again.json()["intact"] is True, "the payload was restored"


async def test_a_county_bound_auditor_verifies_only_its_county_s_streams(env: Env):
    """A county-bound auditor's verify covers the chains of its county's streams only, and its
    answer names nothing of another county: a break in Linchuan's petition is not in Nancheng's
    answer (the city auditor sees it), a break in Nancheng's petition is."""
    linchuan = env.case["petition"]
    [nancheng] = [pet for j, pet, _ in env.case["reads"] if j == NANCHENG]
    doc = (await env.get("/api/v1/audit/verify", "county_auditor", kafka="false")).json()
    assert doc["scope"] == NANCHENG and doc["intact"] is True, doc
    by_service = {s["service"]: s for s in doc["services"]}
    assert (by_service["intake"]["streams"], by_service["intake"]["events"]) == (1, 2)
    assert (by_service["clues"]["streams"], by_service["clues"]["events"]) == (0, 0)
    for s in by_service.values():  # whole-database facts are left out
        assert s["kafka"] is None and s["max_position"] == 0 and s["unexplained_holes"] == []
        assert s["checkpoints"]["checked"] == 0 and s["checkpoints"]["latest"] is None
    assert any(f"bound to jurisdiction {NANCHENG}" in n for n in doc["notes"])

    admin = await asyncpg.connect(env.admin_db("intake"))
    try:
        for pet in (linchuan, nancheng):
            original = await admin.fetchval(
                "SELECT payload::text FROM events WHERE stream_id = $1 AND stream_version = 2",
                str(pet.petition_id),
            )
            await admin.execute(
                "UPDATE events SET payload = jsonb_set(payload, '{reason}', '\"篡改\"') "
                "WHERE stream_id = $1 AND stream_version = 2",
                str(pet.petition_id),
            )
            try:
                county = await env.get("/api/v1/audit/verify", "county_auditor", kafka="false")
                city = await env.get("/api/v1/audit/verify", kafka="false")
            finally:
                await admin.execute(
                    "UPDATE events SET payload = $2::jsonb "
                    "WHERE stream_id = $1 AND stream_version = 2",
                    str(pet.petition_id),
                    original,
                )
            assert county.status_code == 200 and city.status_code == 200, county.text
            assert city.json()["first_broken"]["stream_id"] == str(pet.petition_id)
            if pet is linchuan:
                assert county.json()["intact"] is True, county.text
                assert str(linchuan.petition_id) not in county.text
            else:
                assert county.json()["intact"] is False
                assert county.json()["first_broken"]["stream_id"] == str(nancheng.petition_id)
    finally:
        await admin.close()


async def test_a_county_bound_auditor_sees_no_checkpoint_of_whole_databases(env: Env):
    doc = (await env.get("/api/v1/audit/checkpoints", "county_auditor")).json()
    assert doc["scope"] == NANCHENG and doc["intact"] is True, doc
    assert [s["service"] for s in doc["services"]] == list(SERVICES)
    for s in doc["services"]:
        assert s["intact"] is True and s["checkpoints"] == [] and s["problems"] == []
    city = (await env.get("/api/v1/audit/checkpoints")).json()
    assert city["scope"] is None and all(s["checkpoints"] for s in city["services"])


async def test_verify_with_kafka_compares_the_published_copy(env: Env):
    stop = asyncio.Event()
    relays = [
        asyncio.create_task(
            OutboxRelay(
                env.pools[s],
                bootstrap=env.settings.kafka_bootstrap,
                service=s,
                topic_prefix=env.settings.topic_prefix,
            ).run(stop)
        )
        for s in ("intake", "clues")
    ]
    try:
        deadline = time.monotonic() + 60
        for s in ("intake", "clues"):
            while True:
                published = await env.pools[s].fetchval(
                    "SELECT global_position FROM relay_positions WHERE relay = $1", f"{s}.relay"
                )
                last = await env.pools[s].fetchval("SELECT max(global_position) FROM events")
                if published == last:
                    break
                assert time.monotonic() < deadline, f"the {s} relay did not publish"
                await asyncio.sleep(0.1)
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*relays, return_exceptions=True), 30)

    resp = await env.get("/api/v1/audit/verify")  # kafka defaults to true
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert doc["kafka_checked"] is True
    assert doc["intact"] is True, doc
    by_service = {s["service"]: s for s in doc["services"]}
    assert by_service["intake"]["kafka"]["matched"] == 4
    assert by_service["intake"]["kafka"]["not_yet_published"] == 0
    assert by_service["clues"]["kafka"]["matched"] == 1
    assert by_service["intake"]["kafka"]["relay_position"]["global_position"] >= 4
    topics = by_service["intake"]["kafka"]["topics"]
    assert topics and all(t.startswith(env.settings.topic_prefix) for t in topics)


# ---- history -------------------------------------------------------------------------------


async def test_history_of_a_real_stream(env: Env):
    pet, received = env.case["petition"], env.case["received"]
    resp = await env.get(f"/api/v1/audit/history/{pet.petition_id}")
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert doc["stream_id"] == str(pet.petition_id)
    assert doc["correlation_ids"] == [str(received.correlation_id)]
    assert isinstance(doc["names"], dict)  # the rounds, groups and units named, when known
    own = [e for e in doc["events"] if e["in_stream"]]
    assert [(e["service"], e["stream_version"]) for e in own] == [("intake", 1), ("intake", 2)]
    assert [e["event_type"] for e in own] == [
        "intake.PetitionReceived",
        "intake.InformantIdentityRead",
    ]
    linked = [e for e in doc["events"] if not e["in_stream"]]
    assert [(e["service"], e["event_id"]) for e in linked] == [
        ("clues", str(env.case["clue_event"].event_id))
    ]
    assert linked[0]["caused_by"] == 1
    # informant data only as a notice; the auditor role cannot read informant_keys, and says so
    assert own[0]["payload"]["informant"] == "举报人信息已加密"
    # each event's fields in Chinese (案件历史's 详情), from the redacted payload
    assert "举报人：举报人信息已加密" in own[0]["details_zh"]
    assert own[1]["reasons_zh"] == own[1]["payload"]["reason"]
    assert pet.informant.ciphertext not in resp.text
    assert any("informant_keys" in note for note in doc["notes"]), doc["notes"]


async def test_history_as_a_workbook(env: Env):
    """案件历史.xlsx: each event a row with its fields in Chinese, nothing of the informant; the
    same 404 for another jurisdiction's case."""
    import io

    from openpyxl import load_workbook

    pet = env.case["petition"]
    resp = await env.get("/api/v1/audit/exports/history.xlsx", stream_id=str(pet.petition_id))
    assert resp.status_code == 200, resp.text
    assert "attachment" in resp.headers["content-disposition"]
    book = load_workbook(io.BytesIO(resp.content))
    assert book.sheetnames[:2] == ["汇总", "事件"]
    summary = {r[0]: r[1] for r in book["汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary["案件编号"] == str(pet.petition_id)
    assert (summary["本案事件"], summary["关联事件"]) == (2, 1)
    rows = list(book["事件"].iter_rows(values_only=True))
    assert rows[0][:4] == ("序号", "时间（北京时间）", "本案/关联", "事件")
    assert sorted(r[2] for r in rows[1:]) == ["关联", "本案", "本案"]
    [linked] = [r for r in rows[1:] if r[2] == "关联"]
    assert linked[12] == 1  # the clue was caused by event 1, the petition
    # every operation the summary lists is an event's own 操作编号 in 事件, and back
    operations = rows[0].index("操作编号")
    assert set(summary["操作编号"].split("、")) == {r[operations] for r in rows[1:]}
    text = "".join(str(cell) for row in rows for cell in row if cell is not None)
    assert "举报人信息已加密" in text
    assert pet.informant.ciphertext not in text and INFORMANT.name not in text
    assert "身份查阅" in book.sheetnames  # the custodian's read of this petition
    _problem(
        await env.get(
            "/api/v1/audit/exports/history.xlsx", "county_auditor", stream_id=str(pet.petition_id)
        ),
        404,
    )


async def test_history_of_an_unknown_stream_is_404(env: Env):
    doc = _problem(await env.get("/api/v1/audit/history/no-such-stream"), 404)
    assert "no-such-stream" in doc["detail"]


async def test_history_outside_the_auditors_jurisdiction_is_404(env: Env):
    pet = env.case["petition"]  # Linchuan's; this auditor is Nancheng's
    # answered exactly like a stream no service has (no existence oracle)
    foreign = _problem(
        await env.get(f"/api/v1/audit/history/{pet.petition_id}", "county_auditor"), 404
    )
    unknown_id = str(uuid.uuid4())
    unknown = _problem(await env.get(f"/api/v1/audit/history/{unknown_id}", "county_auditor"), 404)
    assert foreign["detail"] == unknown["detail"].replace(unknown_id, str(pet.petition_id))
    nancheng = next(p for j, p, _ in env.case["reads"] if j == NANCHENG)
    resp = await env.get(f"/api/v1/audit/history/{nancheng.petition_id}", "county_auditor")
    assert resp.status_code == 200, resp.text


# ---- checkpoints ---------------------------------------------------------------------------


async def test_checkpoints_of_every_service_verify(env: Env):
    resp = await env.get("/api/v1/audit/checkpoints")
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert doc["intact"] is True, doc
    assert [s["service"] for s in doc["services"]] == list(SERVICES)
    for s in doc["services"]:
        made: Checkpoint = env.case["checkpoints"][s["service"]]
        assert made.key_id in doc["trusted_keys"]
        [cp] = [c for c in s["checkpoints"] if c["signature"] == made.signature]
        assert cp == {
            **cp,
            "service": s["service"],
            "database": f"{env.prefix}{s['service']}",
            "head": {"tx_id": made.head.tx_id, "global_position": made.head.global_position},
            "event_count": made.event_count,
            "digest": made.digest,
            "key_id": made.key_id,
            "created_at": made.created_at,
            "verified": True,
            "status": "verified",
            "stored_digest": made.digest,
        }


async def test_a_checkpoint_by_an_untrusted_key_does_not_verify(env: Env):
    rogue = Signer.generate("intake")
    async with env.pools["intake"].acquire() as conn:
        digest = await digest_now(conn)
        forged = sign_checkpoint(rogue, database=f"{env.prefix}intake", digest=digest)
        await store_checkpoint(conn, forged)
    try:
        doc = (await env.get("/api/v1/audit/checkpoints")).json()
    finally:
        await env.pools["intake"].execute(
            "DELETE FROM checkpoints WHERE signature = $1", forged.signature
        )
    assert doc["intact"] is False
    intake = next(s for s in doc["services"] if s["service"] == "intake")
    [cp] = [c for c in intake["checkpoints"] if c["signature"] == forged.signature]
    assert cp["verified"] is False and cp["status"] == "failed"
    assert "not trusted" in cp["detail"]
    assert any(rogue.key_id in p["message"] for p in intake["problems"])


# ---- identity reads ------------------------------------------------------------------------


async def test_identity_reads_list_who_read_without_any_identity(env: Env):
    resp = await env.get("/api/v1/audit/identity-reads")
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert doc["jurisdiction"] == CITY and doc["truncated"] is False
    assert doc["count"] == 2
    by_code = {r["jurisdiction"]: r for r in doc["reads"]}
    for jurisdiction, pet, event in env.case["reads"]:
        r = by_code[jurisdiction]
        assert r["event_id"] == str(event.event_id)
        assert r["stream_id"] == str(pet.petition_id)
        assert r["stream_version"] == 2
        assert r["petition_id"] == str(pet.petition_id)
        assert r["actor"] == {
            "principal_id": "custodian-1",
            "role": "informant_custodian",
            "role_label": "举报人信息保管员",
        }
        assert r["reason"] == event.payload["reason"]
        assert r["outcome"] == event.payload["outcome"]
        assert datetime.fromisoformat(r["occurred_at"]) == event.occurred_at
        # never the identity, nor the sealed data's id
        assert str(pet.informant.person_id) not in resp.text
    assert by_code[LINCHUAN]["outcome_label"] == "已披露给查阅人"
    for secret in (INFORMANT.name, INFORMANT.phone, "ciphertext"):
        assert secret not in resp.text


async def test_identity_reads_filters(env: Env):
    async def codes(who: str = "auditor", **params: Any) -> list[str]:
        resp = await env.get("/api/v1/audit/identity-reads", who, **params)
        assert resp.status_code == 200, resp.text
        return sorted(r["jurisdiction"] for r in resp.json()["reads"])

    assert await codes(jurisdiction=LINCHUAN) == [LINCHUAN]
    assert await codes(jurisdiction=CITY) == [LINCHUAN, NANCHENG]
    assert await codes("county_auditor") == [NANCHENG]
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert await codes(since=future) == []
    assert await codes(since="2020-01-01") == [LINCHUAN, NANCHENG]  # Beijing time
    first = min(e.occurred_at for _, _, e in env.case["reads"])
    last = max(e.occurred_at for _, _, e in env.case["reads"])
    if first < last:
        assert len(await codes(since=last.isoformat())) == 1
    limited = (await env.get("/api/v1/audit/identity-reads", limit=1)).json()
    assert (limited["count"], limited["truncated"]) == (1, True)
    doc = _problem(
        await env.get("/api/v1/audit/identity-reads", "county_auditor", jurisdiction=LINCHUAN),
        403,
    )
    assert LINCHUAN not in doc["detail"]  # a refusal never names the foreign jurisdiction


@pytest.mark.parametrize(
    ("path", "params", "field_name"),
    [
        ("/api/v1/audit/identity-reads", {"since": "yesterday"}, "query.since"),
        ("/api/v1/audit/identity-reads", {"since": "2026-13-45"}, "query.since"),
        # the edges of the date range (a 500 before: the database's UTC overflowed)
        ("/api/v1/audit/identity-reads", {"since": "0001-01-01T00:00:00"}, "query.since"),
        ("/api/v1/audit/identity-reads", {"since": "9999-12-31T23:59:59-12:00"}, "query.since"),
        ("/api/v1/audit/identity-reads", {"jurisdiction": "36100\x00"}, "query"),
        ("/api/v1/audit/identity-reads", {"jurisdiction": "abc"}, "query.jurisdiction"),
        ("/api/v1/audit/identity-reads", {"jurisdiction": "999999"}, "query.jurisdiction"),
        ("/api/v1/audit/identity-reads", {"limit": "0"}, "query.limit"),
        ("/api/v1/audit/identity-reads", {"limit": "many"}, "query.limit"),
        ("/api/v1/audit/verify", {"kafka": "maybe"}, "query.kafka"),
        ("/api/v1/audit/history/" + "x" * 201, {}, "path.stream_id"),
    ],
)
async def test_bad_parameters_are_422_problems(env: Env, path, params, field_name):
    doc = _problem(await env.get(path, **params), 422)
    assert [e["field"] for e in doc["errors"]] == [field_name]


# ---- the read-only database role -----------------------------------------------------------


async def test_the_auditor_role_reads_the_history_and_cannot_write_nor_read_keys(env: Env):
    for service in SERVICES:
        conn = await asyncpg.connect(env.settings.audit_database_url(service))
        try:
            assert await conn.fetchval("SELECT current_user") == AUDITOR_ROLE
            assert await conn.fetchval("SELECT count(*) FROM events") >= 0
            assert await conn.fetchval("SELECT count(*) FROM checkpoints") >= 1
            await conn.fetchval("SELECT count(*) FROM relay_positions")
            for statement in (
                "INSERT INTO events (event_id, event_type, schema_version, stream_type, stream_id,"
                " stream_version, occurred_at, recorded_at, jurisdiction, actor, correlation_id,"
                " payload, prev_hash, hash) VALUES (gen_random_uuid(), 'x', 1, 'x', 'forged', 1,"
                " now(), now(), '361002', '{}', gen_random_uuid(), '{}', repeat('0', 64),"
                " repeat('0', 64))",
                "UPDATE events SET payload = '{}'",
                "DELETE FROM events",
                "TRUNCATE events",
                "DELETE FROM checkpoints",
                "UPDATE relay_positions SET global_position = 0",
                "SELECT * FROM informant_keys",
                "SELECT person_id, erased_at FROM informant_keys",
                "SELECT * FROM auth_tokens",
                "SELECT nextval(pg_get_serial_sequence('events', 'global_position'))",
                "CREATE TABLE public.auditor_was_here (x int)",
            ):
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.execute(statement)
        finally:
            await conn.close()


async def test_tables_the_service_creates_later_are_not_readable_by_the_auditor(env: Env):
    """Explicit grants per table, no default privileges: a table a service adds later (it may
    be sensitive) stays unreadable, provisioning again included (docs/security.md)."""
    await env.pools["clues"].execute(
        "CREATE TABLE public.later_table (x int); INSERT INTO public.later_table VALUES (7)"
    )
    try:
        conn = await asyncpg.connect(env.settings.audit_database_url("clues"))
        try:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.fetchval("SELECT x FROM public.later_table")
            await provision.create_service_databases(env.admin_url, env.prefix, ("clues",))
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.fetchval("SELECT x FROM public.later_table")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("DELETE FROM public.later_table")
        finally:
            await conn.close()
    finally:
        await env.pools["clues"].execute("DROP TABLE public.later_table")


async def test_the_role_reads_nothing_of_a_database_it_was_not_provisioned_for(env: Env, fresh_db):
    # fresh_db is open to PUBLIC (CONNECT) but granted nothing: its events stay unreadable
    url = database_url_for(env.settings.audit_database_url("intake"), fresh_db.name)
    conn = await asyncpg.connect(url)
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.fetchval("SELECT count(*) FROM events")
    finally:
        await conn.close()


async def test_provisioning_again_keeps_the_grants_and_the_denials(env: Env):
    await provision.create_service_databases(env.admin_url, env.prefix, ("intake",))
    conn = await asyncpg.connect(env.settings.audit_database_url("intake"))
    try:
        assert await conn.fetchval("SELECT count(*) FROM events") == 4
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("SELECT * FROM informant_keys")
    finally:
        await conn.close()


async def test_provisioning_revokes_informant_keys_even_when_recreated(env: Env):
    """Were informant_keys ever recreated by the service, it is unreadable by the auditor, and
    stays so when provisioning runs again."""
    svc = env.pools["rectification"]
    await svc.execute(f"DROP TABLE informant_keys; {crypto.SCHEMA}")
    conn = await asyncpg.connect(env.settings.audit_database_url("rectification"))
    try:
        privileges = "SELECT has_table_privilege('informant_keys', 'SELECT')"
        assert await conn.fetchval(privileges) is False  # no default privileges hand it out
        await provision.create_service_databases(env.admin_url, env.prefix, ("rectification",))
        assert await conn.fetchval(privileges) is False
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("SELECT * FROM informant_keys")
    finally:
        await conn.close()


# ---- failures and the pools' life cycle ----------------------------------------------------


async def test_a_role_that_cannot_connect_gives_503(env: Env):
    wrong = env.settings.model_copy(update={"auditor_password": "not-the-password"})
    pools = AuditorPools(wrong)
    app = create_app("reporting", title="audit only")
    app.include_router(build_audit_router(env.ctx, pools))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://reporting"
    ) as client:
        try:
            for path in ENDPOINTS:
                resp = await client.get(path, headers=env.auth())
                doc = _problem(resp, 503)
                assert AUDITOR_ROLE in doc["detail"], doc
                assert "not-the-password" not in resp.text
        finally:
            await pools.close()


async def test_the_pools_are_opened_lazily_and_closed_with_the_app(env: Env):
    pools: AuditorPools = env.ctx.extras[POOLS_KEY]
    await pools.close()
    assert pools.open_services == []
    async with env.app.router.lifespan_context(env.app):
        resp = await env.get("/api/v1/audit/identity-reads")
        assert resp.status_code == 200
        assert pools.open_services == ["intake"]
        assert json.loads(resp.text)["count"] == 2
    assert pools.open_services == []
