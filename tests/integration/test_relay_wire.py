"""The relay's Kafka value, assembled by PostgreSQL from the stored columns (``wire`` of the
relay's read), parses to exactly the stored envelope and keeps its hash; its headers equal
``kafka_headers`` of that envelope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from xuncha_shared.envelope import EventEnvelope
from xuncha_shared.eventstore import NO_STREAM, NewEvent, PostgresEventStore
from xuncha_shared.eventstore.base import START
from xuncha_shared.ids import uuid7
from xuncha_shared.relay import OutboxRelay, kafka_headers, row_headers

from tests.support.events import ACTOR, petition, read_all_settled


async def test_wire_built_by_the_database_parses_to_the_stored_envelope(fresh_db, infra):
    store = PostgresEventStore(fresh_db.pool)
    awkward = NewEvent(
        payload=petition(summary='反映"某局"\\违规\n发放津补贴 \u2028 😀').payload,
        jurisdiction="361002",
        actor=ACTOR,
        causation_id=uuid7(),
        traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01",
        # a whole second (no microseconds) in another offset
        occurred_at=datetime(2026, 4, 30, 1, 2, 3, tzinfo=timezone(timedelta(hours=8))),
    )
    await store.append("petition", '案件-"1"\\', NO_STREAM, [petition(), awkward])
    await store.append("petition", "plain", NO_STREAM, [petition()])
    stored = await read_all_settled(store, 3)  # an older open transaction may hold them back
    assert len(stored) == 3

    relay = OutboxRelay(fresh_db.pool, bootstrap=infra.kafka_bootstrap, service="wire-test")
    rows = await relay.read_rows(START)
    assert [r["event_id"] for r in rows] == [str(e.event_id) for e in stored]
    for row, envelope in zip(rows, stored, strict=True):
        assert isinstance(row["wire"], bytes)
        parsed = EventEnvelope.from_wire(row["wire"])
        assert parsed == envelope
        assert parsed.compute_hash() == envelope.hash
        assert parsed.recorded_at.tzinfo is not None
        assert parsed.occurred_at == envelope.occurred_at.astimezone(UTC)
        assert row_headers(row, row["traceparent"]) == kafka_headers(envelope, envelope.traceparent)
    assert EventEnvelope.from_wire(rows[1]["wire"]).causation_id == stored[1].causation_id
    assert EventEnvelope.from_wire(rows[0]["wire"]).causation_id is None
