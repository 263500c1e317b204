"""The deadlines view's R8 notices once a reporter's identity is erased (R23), against the real
PostgreSQL: the changes of the real projection function applied to a schema of their own. A
notice still owed (running or overdue) no longer applies and leaves the view, as intake cancels
it; a notice given before the erasure stays, met; a disposal learnt after the erasure adds no
result notice to the list. One petition that was never erased keeps its rows throughout."""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from xuncha_reporting.adapters.projection_tables import ProjectionTables
from xuncha_reporting.domain.deadlines import deadline_item
from xuncha_reporting.domain.projection import project
from xuncha_shared.clocks.clock import CST
from xuncha_shared.contracts import REGISTRY
from xuncha_shared.contracts import intake as c
from xuncha_shared.contracts.common import SealedPersonalData
from xuncha_shared.envelope import Actor, EventEnvelope, EventPayload
from xuncha_shared.eventstore.base import NewEvent, seal_events

from tests.support.principals import LINCHUAN
from tests.support.projection_schema import projection_schema

pytestmark = pytest.mark.timeout(120)

T0 = datetime(2026, 10, 12, 9, tzinfo=CST)
TODAY = date(2026, 12, 1)
ACCEPTANCE, RESULT = "intake.acceptance_notice", "intake.result_notice"
CUSTODIAN = Actor(principal_id="custodian-1", role="informant_custodian")


def env(payload: EventPayload, petition_id: uuid.UUID, at: datetime) -> EventEnvelope:
    [sealed] = seal_events(
        "petition", str(petition_id), 1, "0" * 64,
        [NewEvent(payload, LINCHUAN, CUSTODIAN, occurred_at=at)], at,
    )  # fmt: skip
    return sealed


def received(petition_id: uuid.UUID) -> c.PetitionReceived:
    return c.PetitionReceived(
        petition_id=petition_id,
        jurisdiction=LINCHUAN,
        unit="临川区农业农村局",
        channel="letter",
        summary="反映该局违规发放惠民资金问题",
        informant=SealedPersonalData(
            person_id=uuid.uuid4(),
            nonce=base64.b64encode(b"n" * 12).decode(),
            ciphertext=base64.b64encode(b"CIPHERTEXT-OF-INFORMANT").decode(),
        ),
        receipt_code_hash=hashlib.sha256(petition_id.bytes).hexdigest(),
    )


def disposed(petition_id: uuid.UUID) -> c.ClueDisposalLearned:
    return c.ClueDisposalLearned(
        petition_id=petition_id,
        clue_id=uuid.uuid4(),
        disposition="talk_or_letter",
        disposed_on=date(2026, 10, 20),
    )


def notified(petition_id: uuid.UUID, notice: c.NoticeKind, sent_on: date) -> c.InformantNotified:
    return c.InformantNotified(
        petition_id=petition_id,
        notice=notice,
        notice_channel=c.NoticeChannel.LETTER,
        sent_on=sent_on,
    )


def overdue(petition_id: uuid.UUID) -> c.AcceptanceNoticeOverdue:
    return c.AcceptanceNoticeOverdue(
        deadline_id=uuid.uuid4(),
        rule_id="jianju_2020_acceptance",
        rule_version=1,
        due_date=date(2026, 11, 2),
        petition_id=petition_id,
    )


def erased(petition_id: uuid.UUID) -> c.InformantIdentityErased:
    return c.InformantIdentityErased(
        petition_id=petition_id,
        person_id=uuid.uuid4(),
        trigger=c.ErasureTrigger.CUSTODIAN,
        reason="举报人书面申请删除其个人信息",
        legal_basis="《个人信息保护法》第四十七条",
    )


@pytest.fixture
async def db(infra: Any) -> AsyncIterator[tuple[asyncpg.Connection, str]]:
    async with projection_schema(infra.pg_admin_url, "ren") as opened:
        yield opened


async def test_an_erased_reporter_is_owed_no_notice_any_more(
    db: tuple[asyncpg.Connection, str],
) -> None:
    conn, schema = db
    tables = ProjectionTables(schema)
    kept, told, owed, late = (uuid.uuid4() for _ in range(4))
    day = timedelta(days=1)
    events = [
        # never erased: both notices owed (running: no firing projected)
        env(received(kept), kept, T0),
        env(disposed(kept), kept, T0 + 8 * day),
        # told of the acceptance, then erased before the result was told
        env(received(told), told, T0),
        env(notified(told, c.NoticeKind.ACCEPTANCE, date(2026, 10, 14)), told, T0 + 2 * day),
        env(disposed(told), told, T0 + 8 * day),
        env(erased(told), told, T0 + 20 * day),
        # erased while the acceptance notice was owed (its overdue fired first)
        env(received(owed), owed, T0),
        env(overdue(owed), owed, T0 + 22 * day),
        env(erased(owed), owed, T0 + 30 * day),
        # erased, then its clue's disposal learnt
        env(received(late), late, T0),
        env(erased(late), late, T0 + 1 * day),
        env(disposed(late), late, T0 + 8 * day),
    ]
    await tables.apply(conn, [ch for e in events for ch in project(e, REGISTRY.decode(e))])

    rows = await tables.deadline_rows(conn, LINCHUAN)
    got = {(r["key"], r["kind"]): deadline_item(r, TODAY)["state"] for r in rows}
    assert got == {
        (str(kept), ACCEPTANCE): "running",
        (str(kept), RESULT): "running",
        (str(told), ACCEPTANCE): "met",  # given before the erasure: stays
    }
    # the open reads (期限预警's warned and overdue work) leave them out too
    open_rows = await tables.deadline_rows(conn, LINCHUAN, open_only=True)
    assert {(r["key"], r["kind"]) for r in open_rows} == {
        (str(kept), ACCEPTANCE),
        (str(kept), RESULT),
    }
