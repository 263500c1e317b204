"""R23's retention rule under the real intake flow, against the real PostgreSQL: the clue's
disposal (``intake.ClueDisposalLearned``) of a real-name petition starts the retention clock;
with the service's clock moved past the period the deadline worker destroys the reporter's data
key and appends ``intake.InformantIdentityErased`` (trigger ``retention``) in one transaction,
once; reads answer 410 afterwards, the history verifies and the auditors' list shows it. The
custodian's erasure before the period cancels the clock. Nothing sleeps: the clock is moved."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from xuncha_intake.adapters import deadlines
from xuncha_intake.adapters.deadlines import RETENTION
from xuncha_intake.adapters.retention import RETENTION_ENV, retention_key
from xuncha_intake.bootstrap import SPEC
from xuncha_intake.domain.model import PETITION
from xuncha_intake.handlers.petitions import result_notice_handler
from xuncha_shared.audit.chain import verify_database
from xuncha_shared.clocks import DeadlineWorker, ManualClock
from xuncha_shared.clocks.clock import CST
from xuncha_shared.contracts.clues import ClueDisposed, Disposition
from xuncha_shared.domain.principals import Principal, Role

from tests.support.events import envelope_of
from tests.support.principals import LINCHUAN, OFFICES
from tests.support.service_api import InProcessService, in_process_service

pytestmark = pytest.mark.timeout(180)

RECEIVED_AT = datetime(2026, 9, 29, 10, tzinfo=CST)
INFORMANT = {"name": "王秀英", "phone": "13907941234", "id_number": "11010519491231002X"}
ERASED = "intake.InformantIdentityErased"
PRINCIPALS = {
    **OFFICES,
    "custodian": Principal(id="lc-custodian", role=Role.CUSTODIAN, jurisdiction=LINCHUAN),
}


@pytest.fixture
async def svc(infra: Any, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[InProcessService]:
    monkeypatch.delenv(RETENTION_ENV, raising=False)  # the rule's own period: 24 months
    async with in_process_service(infra, SPEC, PRINCIPALS, label="ret") as service:
        service.ctx.now = ManualClock(RECEIVED_AT)
        yield service


def clock(svc: InProcessService) -> ManualClock:
    assert isinstance(svc.ctx.now, ManualClock)
    return svc.ctx.now


def worker(svc: InProcessService, kinds: Any = None, concurrency: int = 4) -> DeadlineWorker:
    return DeadlineWorker(
        svc.ctx.pool,
        svc.ctx.store,
        svc.ctx.clocks(),
        kinds or SPEC.deadline_kinds,
        concurrency=concurrency,
    )


async def petition(
    svc: InProcessService, *, informant: bool = True, summary: str = "反映某局违规发放津补贴问题"
) -> str:
    body: dict[str, Any] = {
        "jurisdiction": LINCHUAN,
        "unit": "临川区某局",
        "channel": "letter",
        "summary": summary,
    }
    if informant:
        body["informant"] = INFORMANT
    r = await svc.client.post("/api/v1/petitions", json=body, headers=svc.auth("group"))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def dispose(svc: InProcessService, petition_id: str, disposed_on: str) -> None:
    """What the ``intake.result-notices`` consumer does with ``clues.ClueDisposed`` of the
    petition's clue, in its transaction (the Kafka path is the result notice's e2e test's)."""
    payload = ClueDisposed(
        clue_id=uuid.uuid4(),
        disposition=Disposition.TALK_OR_LETTER,
        disposed_on=date.fromisoformat(disposed_on),
        source_petition_id=uuid.UUID(petition_id),
    )
    at = svc.ctx.now()
    envelope = envelope_of(
        payload,
        stream_type="clue",
        stream_id=payload.clue_id,
        jurisdiction=LINCHUAN,
        at=at,
        stream_version=6,
    )
    petitions = svc.ctx.aggregates(PETITION, reactions=[deadlines.reactions(svc.ctx.clocks())])
    async with svc.ctx.pool.acquire() as conn, conn.transaction():
        await result_notice_handler(petitions)(conn, envelope, payload)


async def person_of(svc: InProcessService, petition_id: str) -> str:
    payload = await svc.ctx.pool.fetchval(
        "SELECT payload FROM events WHERE stream_id = $1 AND stream_version = 1", petition_id
    )
    return str(payload["informant"]["person_id"])


async def retention_row(svc: InProcessService, petition_id: str) -> Any:
    return await svc.ctx.pool.fetchrow(
        "SELECT * FROM deadlines WHERE kind = $1 AND aggregate_id = $2", RETENTION.name, petition_id
    )


async def key_row(svc: InProcessService, person_id: str) -> Any:
    return await svc.ctx.pool.fetchrow(
        "SELECT * FROM informant_keys WHERE person_id = $1", uuid.UUID(person_id)
    )


async def notice_states(svc: InProcessService, petition_id: str) -> dict[str, Any]:
    """The petition's R8 deadlines: kind -> (state, ended_at)."""
    rows = await svc.ctx.pool.fetch(
        "SELECT kind, state, ended_at FROM deadlines WHERE aggregate_id = $1 AND kind = ANY($2)",
        petition_id,
        ["intake.acceptance_notice", "intake.result_notice"],
    )
    return {r["kind"]: (r["state"], r["ended_at"]) for r in rows}


async def owed(svc: InProcessService) -> set[tuple[str, str]]:
    """The custodian's list of notices owed: (petition, notice)."""
    r = await svc.client.get("/api/v1/informant-notices/due", headers=svc.auth("custodian"))
    assert r.status_code == 200, r.text
    return {(i["petition_id"], i["notice"]) for i in r.json()["items"]}


async def read_identity(svc: InProcessService, petition_id: str) -> Any:
    return await svc.client.post(
        f"/api/v1/petitions/{petition_id}/informant",
        json={"reason": "核实举报人身份以便回访"},
        headers=svc.auth("custodian"),
    )


async def test_the_retention_period_after_the_disposal_erases_the_identity_once(
    svc: InProcessService,
) -> None:
    petition_id = await petition(svc)
    person_id = await person_of(svc, petition_id)
    assert await retention_row(svc, petition_id) is None  # nothing before the disposal
    await dispose(svc, petition_id, "2026-09-29")
    row = await retention_row(svc, petition_id)
    assert row["key"] == retention_key(petition_id, person_id)
    assert (row["rule_id"], row["rule_version"], row["state"]) == (
        "informant_retention",
        1,
        "running",
    )
    assert row["started_on"] == date(2026, 9, 29)
    assert row["due_date"] == date(2028, 9, 29)  # 24 calendar months from the disposal day
    assert row["owner"] == LINCHUAN and row["yellow_at"] is None and row["red_at"] is None
    disposal = (await svc.ctx.store.read_stream(petition_id))[-1]
    assert disposal.event_type == "intake.ClueDisposalLearned"
    assert row["started_by"] == disposal.event_id

    w = worker(svc)
    clock(svc).set(datetime(2027, 1, 4, 9, tzinfo=CST))
    fired = await w.fire_due()  # R8's acceptance and result notices, never told: overdue
    assert row["deadline_id"] not in {f.deadline_id for f in fired}
    assert (await key_row(svc, person_id))["wrapped_key"] is not None
    assert (await read_identity(svc, petition_id)).status_code == 200  # still readable

    clock(svc).set(datetime(2028, 9, 29, 23, 59, tzinfo=CST))
    assert await w.fire_due() == []  # the due day itself still keeps it
    clock(svc).set(datetime(2028, 9, 30, 0, 0, tzinfo=CST))
    [firing] = await w.fire_due()
    assert (firing.deadline_id, firing.stage.value) == (row["deadline_id"], "overdue")
    clock(svc).advance(timedelta(days=400))
    assert await w.fire_due() == []  # once

    key = await key_row(svc, person_id)
    assert key["wrapped_key"] is None and key["erased_at"] is not None
    stream = await svc.ctx.store.read_stream(petition_id)
    [erased] = [e for e in stream if e.event_type == ERASED]
    assert erased.event_id == firing.event_id
    assert erased.payload["trigger"] == "retention"
    assert erased.payload["petition_id"] == petition_id
    assert erased.payload["person_id"] == person_id
    assert "2028-09-29" in erased.payload["reason"]
    assert "informant_retention v1" in erased.payload["reason"]
    assert "个人信息保护法" in erased.payload["legal_basis"]
    assert "第四十七条" in erased.payload["legal_basis"]
    assert set(erased.payload) == {"petition_id", "person_id", "trigger", "reason", "legal_basis"}
    stored = json.dumps(erased.payload, ensure_ascii=False)
    assert not any(value in stored for value in INFORMANT.values())  # no personal data
    assert (erased.actor.principal_id, erased.actor.role) == ("system", "system")
    assert erased.occurred_at == datetime(2028, 9, 30, tzinfo=CST)
    assert erased.causation_id == disposal.event_id
    assert erased.jurisdiction == LINCHUAN
    done = await retention_row(svc, petition_id)
    assert (done["state"], done["overdue_event_id"]) == ("overdue", erased.event_id)
    # the R8 notices never given can be given no more: cancelled as of the erasure
    assert await notice_states(svc, petition_id) == {
        "intake.acceptance_notice": ("cancelled", erased.occurred_at),
        "intake.result_notice": ("cancelled", erased.occurred_at),
    }

    read = await read_identity(svc, petition_id)
    assert read.status_code == 410, read.text  # as after the custodian's erasure
    assert not any(value in read.text for value in INFORMANT.values())
    last = (await svc.ctx.store.read_stream(petition_id))[-1]  # the read is recorded too
    assert (last.event_type, last.payload["outcome"]) == (
        "intake.InformantIdentityRead",
        "key_erased",
    )
    again = await svc.client.post(
        f"/api/v1/petitions/{petition_id}/informant/erasure",
        json={"reason": "举报人书面申请删除", "legal_basis": "《个人信息保护法》第四十七条"},
        headers=svc.auth("custodian"),
    )
    assert again.status_code == 409 and "erased already" in again.json()["detail"]

    async with svc.ctx.pool.acquire() as conn:
        report = await verify_database(conn, "intake")
    assert report.intact, report

    # the auditors' list of erasures (reporting reads intake's events as the auditor role)
    from xuncha_reporting.entrypoints.audit import identity_reads

    rows = await svc.ctx.pool.fetch(
        identity_reads._IDENTITY_READS_SQL,
        identity_reads.IDENTITY_ERASED_EVENT,
        "3610__",
        None,
        100,
    )
    [listed] = [
        out
        for out in (identity_reads._identity_read_out(r) for r in rows)
        if out.petition_id == petition_id
    ]
    assert (listed.trigger, listed.actor.role) == ("retention", "system")
    assert listed.legal_basis == erased.payload["legal_basis"]


async def test_the_custodians_erasure_before_the_period_cancels_the_clock(
    svc: InProcessService,
) -> None:
    petition_id = await petition(svc)
    await dispose(svc, petition_id, "2026-09-29")
    clock(svc).set(datetime(2026, 11, 2, 9, tzinfo=CST))
    assert {(petition_id, "acceptance"), (petition_id, "result")} <= await owed(svc)
    r = await svc.client.post(
        f"/api/v1/petitions/{petition_id}/informant/erasure",
        json={
            "reason": "举报人书面申请删除其个人信息",
            "legal_basis": "《个人信息保护法》第四十七条",
        },
        headers=svc.auth("custodian"),
    )
    assert r.status_code == 200, r.text
    row = await retention_row(svc, petition_id)
    assert row["state"] == "cancelled"
    assert str(row["ended_by"]) == r.json()["erasure_event_id"]
    # nobody can be told any more (R8): the notices owed are cancelled, off the custodian's list
    erased_at = datetime.fromisoformat(r.json()["erased_at"])
    assert await notice_states(svc, petition_id) == {
        "intake.acceptance_notice": ("cancelled", erased_at),
        "intake.result_notice": ("cancelled", erased_at),
    }
    assert not {n for n in await owed(svc) if n[0] == petition_id}
    clock(svc).set(datetime(2029, 1, 1, tzinfo=CST))
    fired = await worker(svc).fire_due()
    assert row["deadline_id"] not in {f.deadline_id for f in fired}
    assert {state for state, _ in (await notice_states(svc, petition_id)).values()} == {
        "cancelled"
    }  # and never fire
    stream = await svc.ctx.store.read_stream(petition_id)
    assert [e.payload["trigger"] for e in stream if e.event_type == ERASED] == ["custodian"]


async def test_no_clock_for_an_anonymous_or_already_erased_identity(
    svc: InProcessService,
) -> None:
    anonymous = await petition(svc, informant=False)
    await dispose(svc, anonymous, "2026-09-29")
    assert await retention_row(svc, anonymous) is None
    erased = await petition(svc)
    r = await svc.client.post(
        f"/api/v1/petitions/{erased}/informant/erasure",
        json={
            "reason": "举报人书面申请删除其个人信息",
            "legal_basis": "《个人信息保护法》第四十七条",
        },
        headers=svc.auth("custodian"),
    )
    assert r.status_code == 200, r.text
    await dispose(svc, erased, "2026-09-29")  # disposed after the custodian's erasure
    assert await retention_row(svc, erased) is None
    # nor a result notice: nobody can be told (R8)
    assert "intake.result_notice" not in await notice_states(svc, erased)


async def test_an_anonymous_petitions_sealed_numbers_are_erased_after_the_period(
    svc: InProcessService,
) -> None:
    """An anonymous petition has no identity, but the numbers taken out of its summary are
    sealed (R11): they are kept for the same period after the disposal, then their key is
    destroyed and the erasure recorded, as a reporter's identity would be."""
    petition_id = await petition(svc, informant=False, summary="反映问题，联系电话13907941234")
    payload = await svc.ctx.pool.fetchval(
        "SELECT payload FROM events WHERE stream_id = $1 AND stream_version = 1", petition_id
    )
    assert payload["informant"] is None
    person = str(payload["summary_numbers"]["person_id"])
    await dispose(svc, petition_id, "2026-09-29")
    row = await retention_row(svc, petition_id)
    assert row is not None and row["key"] == retention_key(petition_id, person)
    assert row["due_date"] == date(2028, 9, 29)
    clock(svc).set(datetime(2028, 9, 30, 0, 1, tzinfo=CST))
    [firing] = await worker(svc).fire_due()  # no R8 notices: an anonymous reporter has none
    assert (firing.deadline_id, firing.stage.value) == (row["deadline_id"], "overdue")
    assert (await key_row(svc, person))["wrapped_key"] is None
    erasures = await svc.ctx.pool.fetch(
        "SELECT payload FROM events WHERE stream_id = $1 AND event_type = $2", petition_id, ERASED
    )
    assert [e["payload"]["person_id"] for e in erasures] == [person]
    assert (await read_identity(svc, petition_id)).status_code == 410


async def test_the_deployments_period_and_the_rules_listing(
    svc: InProcessService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(RETENTION_ENV, "6")
    petition_id = await petition(svc)
    await dispose(svc, petition_id, "2026-08-31")
    row = await retention_row(svc, petition_id)
    assert (row["rule_id"], row["rule_version"]) == ("informant_retention", 1)
    assert row["due_date"] == date(2027, 2, 28)  # 6 calendar months, clamped to February's end
    # the running service lists the period it started with (the rule's 24 months here)
    rules = (await svc.client.get("/api/v1/rules")).json()["rules"]
    [rule] = [r for r in rules if r["id"] == "informant_retention"]
    assert (rule["kind"], rule["amount"], rule["r_ids"]) == ("calendar_months", 24, ["R23"])


async def test_the_key_and_the_event_commit_together_or_not_at_all(
    svc: InProcessService,
) -> None:
    petition_id = await petition(svc)
    person_id = await person_of(svc, petition_id)
    await dispose(svc, petition_id, "2026-09-29")
    clock(svc).set(datetime(2028, 9, 30, tzinfo=CST))
    appended: list[Any] = []

    async def fail_after_erasing(conn: Any, d: Any) -> None:
        await deadlines.erase_retained_key(conn, d)
        raise RuntimeError("the worker dies after destroying the key")

    failing = [replace(RETENTION, effect=fail_after_erasing)]
    with pytest.raises(RuntimeError):
        await worker(svc, failing, concurrency=1).fire_due()
    assert (await key_row(svc, person_id))["wrapped_key"] is not None  # rolled back
    assert (await retention_row(svc, petition_id))["state"] == "running"
    types = [e.event_type for e in await svc.ctx.store.read_stream(petition_id)]
    assert ERASED not in types
    appended.extend(await worker(svc, [RETENTION]).fire_due())
    assert len(appended) == 1
    assert (await key_row(svc, person_id))["wrapped_key"] is None
    assert (await retention_row(svc, petition_id))["state"] == "overdue"


async def waiting_for_a_lock(svc: InProcessService) -> None:
    """Until a transaction of the service's database waits for a row lock (a condition, not a
    time: the test goes on as soon as PostgreSQL says so)."""
    for _ in range(3000):
        waiting = await svc.ctx.pool.fetchval(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        if waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("no transaction ever waited for the worker's lock")


async def test_the_custodian_erasing_while_the_worker_erases_makes_one_erasure(
    svc: InProcessService,
) -> None:
    petition_id = await petition(svc)
    await dispose(svc, petition_id, "2026-09-29")
    clock(svc).set(datetime(2028, 9, 30, 8, tzinfo=CST))
    holding, release = asyncio.Event(), asyncio.Event()

    async def before_commit(_: Any) -> None:  # the key destroyed, the event appended: hold
        holding.set()
        await release.wait()

    paused = DeadlineWorker(
        svc.ctx.pool,
        svc.ctx.store,
        svc.ctx.clocks(),
        [RETENTION],
        concurrency=1,
        before_commit=before_commit,
    )
    firing = asyncio.create_task(paused.fire_due())
    await asyncio.wait_for(holding.wait(), 60)
    erasing = asyncio.create_task(
        svc.client.post(
            f"/api/v1/petitions/{petition_id}/informant/erasure",
            json={
                "reason": "举报人书面申请删除其个人信息",
                "legal_basis": "《个人信息保护法》第四十七条",
            },
            headers=svc.auth("custodian"),
        )
    )
    await waiting_for_a_lock(svc)  # the custodian's erasure waits for the key row
    release.set()
    fired, response = await firing, await erasing
    assert len(fired) == 1
    assert response.status_code == 409, response.text  # the retry finds it erased already
    stream = await svc.ctx.store.read_stream(petition_id)
    assert [e.payload["trigger"] for e in stream if e.event_type == ERASED] == ["retention"]
    async with svc.ctx.pool.acquire() as conn:
        assert (await verify_database(conn, "intake")).intact


async def test_a_deadlock_with_the_custodians_transaction_is_retried_not_raised(
    svc: InProcessService,
) -> None:
    """The custodian's erasure takes the key row, then the deadline's; the worker the other way
    round. PostgreSQL breaks the deadlock by rolling one back: the worker's batch runs again
    (finding the row taken), or the custodian's transaction fails (and the worker erases)."""
    from asyncpg.exceptions import DeadlockDetectedError
    from xuncha_shared.crypto import PostgresKeyStore

    petition_id = await petition(svc)
    person_id = uuid.UUID(await person_of(svc, petition_id))
    await dispose(svc, petition_id, "2026-09-29")
    clock(svc).set(datetime(2028, 9, 30, 8, tzinfo=CST))
    key = retention_key(petition_id, person_id)
    custodian_won = False
    async with svc.ctx.pool.acquire() as conn:
        try:
            async with conn.transaction():
                await PostgresKeyStore().erase(person_id, conn=conn)  # the key row first
                firing = asyncio.create_task(worker(svc, [RETENTION], concurrency=1).fire_due())
                await waiting_for_a_lock(svc)  # the worker's effect waits for the key row
                await svc.ctx.clocks().cancel(conn, RETENTION.name, key)  # then the deadline
            custodian_won = True
        except DeadlockDetectedError:  # PostgreSQL chose the custodian as the victim
            assert not custodian_won  # so the worker must have erased (asserted below)
    fired = await firing  # never raises the deadlock
    row = await retention_row(svc, petition_id)
    if custodian_won:
        assert fired == [] and row["state"] == "cancelled"
    else:
        assert len(fired) == 1 and row["state"] == "overdue"
    assert (await key_row(svc, str(person_id)))["wrapped_key"] is None
