"""The relay's wire value, assembled from a row without decoding its JSON, parses to the same
envelope as ``to_wire()`` of the decoded envelope."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

from xuncha_shared.envelope import GENESIS_HASH, EventEnvelope
from xuncha_shared.eventstore.base import NewEvent, seal_events
from xuncha_shared.ids import uuid7
from xuncha_shared.relay import kafka_headers, row_headers, wire_from_row

from tests.support.events import ACTOR, petition


def _row(e: EventEnvelope) -> dict[str, object]:
    """What ``_RELAY_READ_SQL`` returns: jsonb as PostgreSQL's text (``", "``/``": "``)."""
    row = dict(e.__dict__)
    row["actor"] = json.dumps(e.actor.model_dump(), ensure_ascii=False)
    row["payload"] = json.dumps(e.payload, ensure_ascii=False)
    return row


def test_wire_from_row_parses_to_the_envelope_of_to_wire() -> None:
    recorded = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)
    events = [
        petition(),
        NewEvent(
            payload=petition().payload,
            jurisdiction="361002",
            actor=ACTOR,
            causation_id=uuid7(),
            traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01",
            occurred_at=datetime(2026, 4, 30, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=8))),
        ),
    ]
    sealed = seal_events("petition", '案件-"1"\\', 1, GENESIS_HASH, events, recorded)
    for i, e in enumerate(sealed):
        stored = e.model_copy(update={"global_position": 100 + i, "tx_id": 7})
        wire = wire_from_row(_row(stored))
        assert EventEnvelope.from_wire(wire) == EventEnvelope.from_wire(stored.to_wire())
        assert EventEnvelope.from_wire(wire) == stored
        assert EventEnvelope.from_wire(wire).compute_hash() == stored.hash
        assert row_headers(_row(stored), stored.traceparent) == kafka_headers(
            stored, stored.traceparent
        )
