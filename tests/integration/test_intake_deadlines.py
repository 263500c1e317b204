"""R8 under the real intake flow, against the real PostgreSQL: a real-name petition starts the
15-working-day acceptance-notice deadline in the transaction that records it (an anonymous one
starts none), and the service's worker, with the service's clock moved, fires
``intake.AcceptanceNoticeOverdue`` once on the petition's stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from xuncha_intake.adapters.deadlines import ACCEPTANCE_NOTICE
from xuncha_intake.bootstrap import SPEC
from xuncha_shared.clocks import DeadlineWorker, ManualClock
from xuncha_shared.clocks.clock import CST

from tests.support.principals import LINCHUAN, OFFICES
from tests.support.service_api import InProcessService, in_process_service

pytestmark = pytest.mark.timeout(180)

RECEIVED_AT = datetime(2026, 9, 29, 10, tzinfo=CST)  # 15 working days, National Day between
INFORMANT = {"name": "王秀英", "phone": "13907941234", "id_number": "11010519491231002X"}


@pytest.fixture
async def svc(infra: Any) -> AsyncIterator[InProcessService]:
    async with in_process_service(infra, SPEC, OFFICES, label="id") as service:
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
    assert [rule["id"] for rule in r.json()["rules"]] == ["jianju_2020_acceptance"]
