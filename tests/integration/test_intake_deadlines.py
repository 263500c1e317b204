"""R8 under the real intake flow, against the real PostgreSQL: a real-name petition starts the
15-working-day acceptance-notice deadline in the transaction that records it (an anonymous one
starts none), and the service's worker, with the service's clock moved, fires
``intake.AcceptanceNoticeOverdue`` once on the petition's stream."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from xuncha_intake.adapters.deadlines import ACCEPTANCE_NOTICE
from xuncha_intake.bootstrap import SPEC
from xuncha_shared.clocks import DeadlineWorker, ManualClock
from xuncha_shared.clocks.clock import CST
from xuncha_shared.domain.principals import Principal, Role

from tests.support.events import envelope_of
from tests.support.principals import LINCHUAN, NANCHENG, OFFICES
from tests.support.service_api import InProcessService, in_process_service

pytestmark = pytest.mark.timeout(180)

RECEIVED_AT = datetime(2026, 9, 29, 10, tzinfo=CST)  # 15 working days, National Day between
CUSTODIAN = Principal(id="lc-custodian", role=Role.CUSTODIAN, jurisdiction=LINCHUAN)
INFORMANT = {"name": "王秀英", "phone": "13907941234", "id_number": "11010519491231002X"}


@pytest.fixture
async def svc(infra: Any) -> AsyncIterator[InProcessService]:
    principals = {
        **OFFICES,
        "custodian": CUSTODIAN,
        "nc_custodian": Principal(id="nc-custodian", role=Role.CUSTODIAN, jurisdiction=NANCHENG),
    }
    async with in_process_service(infra, SPEC, principals, label="id") as service:
        service.ctx.now = ManualClock(RECEIVED_AT)
        yield service


async def petition(svc: InProcessService, **extra: Any) -> str:
    body = {
        "jurisdiction": LINCHUAN,
        "unit": "临川区某局",
        "channel": "letter",
        "summary": "反映问题",
    }
    r = await svc.client.post(
        "/api/v1/petitions", json={**body, **extra}, headers=svc.auth("group")
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_a_real_name_petition_starts_r8_and_its_overdue_fires_once(
    svc: InProcessService,
) -> None:
    petition_id = await petition(svc, informant=INFORMANT)
    row = await svc.ctx.pool.fetchrow(
        "SELECT * FROM deadlines WHERE kind = $1 AND key = $2", ACCEPTANCE_NOTICE.name, petition_id
    )
    assert (row["rule_id"], row["rule_version"]) == ("jianju_2020_acceptance", 1)
    # 29 Sep + 15 working days: 30 Sep, 1–7 Oct off (National Day), Saturday 10 Oct worked
    assert row["due_date"].isoformat() == "2026-10-26"
    assert row["owner"] == LINCHUAN and row["yellow_at"] is None
    worker = DeadlineWorker(svc.ctx.pool, svc.ctx.store, svc.ctx.clocks(), SPEC.deadline_kinds)
    assert svc.ctx.now is not None and isinstance(svc.ctx.now, ManualClock)
    svc.ctx.now.set(datetime(2026, 10, 26, 23, 59, tzinfo=CST))
    assert await worker.fire_due() == []  # the due day itself is still in time
    svc.ctx.now.set(datetime(2026, 10, 27, 0, 0, tzinfo=CST))
    assert [f.stage.value for f in await worker.fire_due()] == ["overdue"]
    svc.ctx.now.advance(timedelta(days=30))
    assert await worker.fire_due() == []
    stream = await svc.ctx.store.read_stream(petition_id)
    assert [e.event_type for e in stream] == [
        "intake.PetitionReceived",
        "intake.AcceptanceNoticeOverdue",
    ]
    assert stream[1].payload["due_date"] == "2026-10-26"
    assert stream[1].jurisdiction == LINCHUAN


async def test_an_anonymous_petition_starts_no_acceptance_notice_deadline(
    svc: InProcessService,
) -> None:
    await petition(svc, channel="online")
    assert await svc.ctx.pool.fetchval("SELECT count(*) FROM deadlines") == 0


async def test_rules_lists_r8(svc: InProcessService) -> None:
    r = await svc.client.get("/api/v1/rules")
    assert [rule["id"] for rule in r.json()["rules"]] == [
        "jianju_2020_acceptance",
        "jianju_2020_result",
        "walk_in_same_day",
        "stationing",
        "weekly_dispatch",
        "biweekly_report",
        "informant_retention",
    ]


async def notify(
    svc: InProcessService, petition_id: str, who: str = "custodian", **body: Any
) -> Any:
    doc = {"kind": "acceptance", "channel": "letter", "sent_on": "2026-10-20", **body}
    return await svc.client.post(
        f"/api/v1/petitions/{petition_id}/notices", json=doc, headers=svc.auth(who)
    )


async def r8_state(svc: InProcessService, petition_id: str) -> str:
    return str(
        await svc.ctx.pool.fetchval(
            "SELECT state FROM deadlines WHERE kind = $1 AND key = $2",
            ACCEPTANCE_NOTICE.name,
            petition_id,
        )
    )


async def test_the_acceptance_notice_satisfies_r8_and_nothing_fires(
    svc: InProcessService,
) -> None:
    petition_id = await petition(svc, informant=INFORMANT)
    assert isinstance(svc.ctx.now, ManualClock)
    svc.ctx.now.set(datetime(2026, 10, 21, 9, tzinfo=CST))
    r = await notify(svc, petition_id)
    assert r.status_code == 201, r.text
    assert r.json()["notices"] == ["acceptance"]
    assert await r8_state(svc, petition_id) == "met"
    stream = await svc.ctx.store.read_stream(petition_id)
    notified = stream[-1]
    assert notified.event_type == "intake.InformantNotified"
    assert notified.payload == {
        "petition_id": petition_id,
        "notice": "acceptance",
        "notice_channel": "letter",
        "sent_on": "2026-10-20",
    }  # nothing of who was told
    assert notified.actor.principal_id == "lc-custodian"
    svc.ctx.now.advance(timedelta(days=60))
    worker = DeadlineWorker(svc.ctx.pool, svc.ctx.store, svc.ctx.clocks(), SPEC.deadline_kinds)
    assert await worker.fire_due() == []
    # no result to tell before the clue is disposed of (409); then one is recorded, not dated
    # before the disposal (422); a second acceptance notice is refused
    assert (await notify(svc, petition_id, kind="result", channel="phone")).status_code == 409
    await dispose(svc, petition_id, "2026-10-22")
    early = await notify(svc, petition_id, kind="result", channel="phone", sent_on="2026-10-21")
    assert early.status_code == 422 and "线索办结日期（2026-10-22）" in early.json()["detail"]
    assert (
        await notify(svc, petition_id, kind="result", channel="phone", sent_on="2026-10-22")
    ).status_code == 201
    assert (await notify(svc, petition_id)).status_code == 409


async def test_a_notice_sent_after_the_due_date_is_met_late(svc: InProcessService) -> None:
    petition_id = await petition(svc, informant=INFORMANT)
    assert isinstance(svc.ctx.now, ManualClock)
    svc.ctx.now.set(datetime(2026, 11, 2, 9, tzinfo=CST))
    r = await notify(svc, petition_id, sent_on="2026-10-27", channel="in_person")
    assert r.status_code == 201, r.text
    assert await r8_state(svc, petition_id) == "met_late"


async def test_notices_are_refused_without_writing(svc: InProcessService) -> None:
    named = await petition(svc, informant=INFORMANT)
    anonymous = await petition(svc, channel="online")
    before = await svc.ctx.pool.fetchval("SELECT count(*) FROM events")
    assert (await notify(svc, named, who="county")).status_code == 403  # not the custodian
    assert (await notify(svc, named, who="nc_custodian")).status_code == 403  # other county
    assert (await notify(svc, anonymous)).status_code == 409
    assert (await notify(svc, str(uuid.uuid4()))).status_code == 404
    assert (await notify(svc, named, sent_on="2026-12-01")).status_code == 422  # future
    before_receipt = await notify(svc, named, sent_on="2026-01-05")
    assert before_receipt.status_code == 422
    assert "早于收到举报的日期" in before_receipt.json()["detail"]
    assert (await notify(svc, named, channel="pigeon")).status_code == 422
    r = await notify(svc, named, kind="maybe")
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem")
    assert await svc.ctx.pool.fetchval("SELECT count(*) FROM events") == before
    assert await r8_state(svc, named) == "running"


# ---- R8's result notice: from the clue's disposal ------------------------------------------


async def dispose(svc: InProcessService, petition_id: str, disposed_on: str) -> None:
    """What the ``intake.result-notices`` consumer does with a ``clues.ClueDisposed`` of the
    petition's clue, in its transaction (the Kafka path is the e2e test's)."""
    from datetime import date

    from xuncha_intake.bootstrap import deadlines
    from xuncha_intake.domain.model import PETITION
    from xuncha_intake.handlers.petitions import result_notice_handler
    from xuncha_shared.contracts.clues import ClueDisposed, Disposition

    payload = ClueDisposed(
        clue_id=uuid.uuid4(),
        disposition=Disposition.TALK_OR_LETTER,
        disposed_on=date.fromisoformat(disposed_on),
        source_petition_id=uuid.UUID(petition_id),
    )
    at = datetime(2026, 9, 29, 11, tzinfo=CST)
    envelope = envelope_of(
        payload,
        stream_type="clue",
        stream_id=payload.clue_id,
        jurisdiction=LINCHUAN,
        at=at,
        stream_version=6,
    )
    petitions = svc.ctx.aggregates(PETITION, reactions=[deadlines.reactions(svc.ctx.clocks())])
    handle = result_notice_handler(petitions)
    for _ in range(2):  # a second disposal decides nothing
        async with svc.ctx.pool.acquire() as conn, conn.transaction():
            await handle(conn, envelope, payload)


async def result_row(svc: InProcessService, petition_id: str) -> Any:
    return await svc.ctx.pool.fetchrow(
        "SELECT * FROM deadlines WHERE kind = 'intake.result_notice' AND key = $1", petition_id
    )


async def test_a_disposal_starts_the_result_notice_and_its_overdue_fires_once(
    svc: InProcessService,
) -> None:
    petition_id = await petition(svc, informant=INFORMANT)
    await dispose(svc, petition_id, "2026-09-29")
    row = await result_row(svc, petition_id)
    assert (row["rule_id"], row["state"], row["owner"]) == (
        "jianju_2020_result",
        "running",
        LINCHUAN,
    )
    assert row["due_date"].isoformat() == "2026-10-26"  # counted from the disposal day
    worker = DeadlineWorker(svc.ctx.pool, svc.ctx.store, svc.ctx.clocks(), SPEC.deadline_kinds)
    assert isinstance(svc.ctx.now, ManualClock)
    svc.ctx.now.set(datetime(2026, 10, 27, 0, 0, tzinfo=CST))
    assert "overdue" in [f.stage.value for f in await worker.fire_due()]
    assert await worker.fire_due() == []
    types = [e.event_type for e in await svc.ctx.store.read_stream(petition_id)]
    assert types.count("intake.ClueDisposalLearned") == 1
    assert types.count("intake.ResultNoticeOverdue") == 1


async def test_the_result_notice_satisfies_it(svc: InProcessService) -> None:
    petition_id = await petition(svc, informant=INFORMANT)
    await dispose(svc, petition_id, "2026-09-29")
    r = await svc.client.post(
        f"/api/v1/petitions/{petition_id}/notices",
        json={"kind": "result", "channel": "phone", "sent_on": "2026-09-29"},
        headers=svc.auth("custodian"),
    )
    assert r.status_code in (200, 201), r.text
    assert (await result_row(svc, petition_id))["state"] == "met"
    svc.ctx.now.advance(timedelta(days=90))  # type: ignore[union-attr]
    worker = DeadlineWorker(svc.ctx.pool, svc.ctx.store, svc.ctx.clocks(), SPEC.deadline_kinds)
    await worker.fire_due()
    types = [e.event_type for e in await svc.ctx.store.read_stream(petition_id)]
    assert "intake.ResultNoticeOverdue" not in types


async def test_an_anonymous_petition_gets_no_result_notice_clock(svc: InProcessService) -> None:
    petition_id = await petition(svc)
    await dispose(svc, petition_id, "2026-09-29")
    assert await result_row(svc, petition_id) is None
    types = [e.event_type for e in await svc.ctx.store.read_stream(petition_id)]
    assert types == ["intake.PetitionReceived", "intake.ClueDisposalLearned"]


# ---- the custodian's to-do: the notices owed --------------------------------------------------


async def due(svc: InProcessService, who: str = "custodian") -> list[tuple[str, str, str, bool]]:
    r = await svc.client.get("/api/v1/informant-notices/due", headers=svc.auth(who))
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["total"] == len(doc["items"])
    return [(i["petition_id"], i["notice"], i["due_date"], i["overdue"]) for i in doc["items"]]


async def test_the_custodian_sees_the_notices_owed_until_each_is_recorded(
    svc: InProcessService,
) -> None:
    acceptance = await petition(svc, informant=INFORMANT)
    result = await petition(svc, informant=INFORMANT, unit="临川区另一局")
    await petition(svc, channel="online")  # anonymous: owed nothing
    assert await due(svc) == [
        (acceptance, "acceptance", "2026-10-26", False),
        (result, "acceptance", "2026-10-26", False),
    ]
    r = await svc.client.get("/api/v1/informant-notices/due", headers=svc.auth("custodian"))
    first = r.json()["items"][0]
    assert (first["unit"], first["channel"], first["jurisdiction_name"]) == (
        "临川区某局",
        "letter",
        "临川区",
    )
    assert all(value not in r.text for value in INFORMANT.values())  # never the reporter

    # told of the acceptance: gone; the other's clue disposed of: its result is owed next
    assert isinstance(svc.ctx.now, ManualClock)
    svc.ctx.now.set(datetime(2026, 10, 21, 9, tzinfo=CST))
    assert (await notify(svc, acceptance)).status_code == 201
    assert (await notify(svc, result)).status_code == 201
    await dispose(svc, result, "2026-10-21")
    assert await due(svc) == [(result, "result", "2026-11-11", False)]

    # overdue, still owed (and flagged) until it is recorded
    svc.ctx.now.set(datetime(2026, 11, 12, 0, 0, tzinfo=CST))
    worker = DeadlineWorker(svc.ctx.pool, svc.ctx.store, svc.ctx.clocks(), SPEC.deadline_kinds)
    await worker.fire_due()
    assert await due(svc) == [(result, "result", "2026-11-11", True)]
    r = await notify(svc, result, kind="result", sent_on="2026-11-12")
    assert r.status_code == 201, r.text
    assert await due(svc) == []

    # 已登记告知: what was recorded, the latest first (a reload of the page keeps it)
    async def recorded(who: str = "custodian") -> list[tuple[str, str]]:
        r = await svc.client.get("/api/v1/informant-notices/recorded", headers=svc.auth(who))
        assert r.status_code == 200, r.text
        mine = (acceptance, result)
        return [
            (i["petition_id"], i["notice"]) for i in r.json()["items"] if i["petition_id"] in mine
        ]

    assert await recorded() == [
        (result, "result"),
        (result, "acceptance"),
        (acceptance, "acceptance"),
    ]
    r = await svc.client.get("/api/v1/informant-notices/recorded", headers=svc.auth("custodian"))
    told = next(i for i in r.json()["items"] if i["petition_id"] == result)
    assert (told["notice_zh"], told["sent_on"], told["unit"]) == (
        "办理结果告知",
        "2026-11-12",
        "临川区另一局",
    )
    assert all(value not in r.text for value in INFORMANT.values())  # never the reporter
    assert await recorded("nc_custodian") == []  # another county's custodian sees none of them
    r = await svc.client.get("/api/v1/informant-notices/recorded", headers=svc.auth("county"))
    assert r.status_code == 403


async def test_the_notices_owed_are_the_custodians_alone_and_of_its_jurisdiction(
    svc: InProcessService,
) -> None:
    await petition(svc, informant=INFORMANT)
    assert await due(svc, "nc_custodian") == []  # another county's custodian: nothing
    for who in ("county", "group"):
        r = await svc.client.get("/api/v1/informant-notices/due", headers=svc.auth(who))
        assert r.status_code == 403, r.text
    r = await svc.client.get(
        "/api/v1/informant-notices/due?jurisdiction=361021", headers=svc.auth("custodian")
    )
    assert r.status_code == 403, r.text
