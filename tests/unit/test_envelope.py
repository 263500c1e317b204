"""The envelope's canonical encoding and hash chain, recomputed independently."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from xuncha_shared.envelope import GENESIS_HASH, EventEnvelope, canonical_json, format_ts
from xuncha_shared.eventstore.base import seal_events
from xuncha_shared.ids import uuid7, uuid7_time_ms

from tests.support.events import ACTOR, petition


def _sealed(n: int = 3) -> list[EventEnvelope]:
    return seal_events(
        "petition",
        "case-1",
        1,
        GENESIS_HASH,
        [petition() for _ in range(n)],
        datetime(2026, 5, 1, 8, 30, tzinfo=UTC),
    )


def test_hash_is_sha256_of_sorted_compact_json_including_prev_hash():
    e = _sealed(1)[0]
    doc = {
        "event_id": str(e.event_id),
        "event_type": "intake.PetitionReceived",
        "schema_version": 2,
        "stream_type": "petition",
        "stream_id": "case-1",
        "stream_version": 1,
        "occurred_at": "2026-05-01T08:30:00.000000Z",
        "recorded_at": "2026-05-01T08:30:00.000000Z",
        "jurisdiction": "361002",
        "actor": {"principal_id": ACTOR.principal_id, "role": ACTOR.role},
        "correlation_id": str(e.correlation_id),
        "causation_id": None,
        "payload": e.payload,
        "prev_hash": GENESIS_HASH,
    }
    # what an auditor's own tool would do
    raw = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(raw.encode()).hexdigest() == e.hash == e.compute_hash()


def test_chain_links_each_event_to_the_previous_one():
    events = _sealed(3)
    assert events[0].prev_hash == GENESIS_HASH
    assert events[1].prev_hash == events[0].hash
    assert events[2].prev_hash == events[1].hash
    assert len({e.hash for e in events}) == 3


def test_any_change_changes_the_hash():
    e = _sealed(1)[0]
    changed = e.model_copy(update={"payload": {**e.payload, "unit": "别的单位"}})
    assert changed.compute_hash() != e.hash
    moved = e.model_copy(update={"stream_version": 2})
    assert moved.compute_hash() != e.hash


def test_canonical_json_keeps_chinese_and_sorts_keys():
    assert canonical_json({"b": "巡察", "a": 1}) == '{"a":1,"b":"巡察"}'.encode()
    with pytest.raises(ValueError, match="JSON compliant"):
        canonical_json({"x": float("nan")})


def test_timestamps_are_canonical_utc():
    beijing = timezone(timedelta(hours=8))
    assert format_ts(datetime(2026, 5, 1, 8, 0, tzinfo=beijing)) == "2026-05-01T00:00:00.000000Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        format_ts(datetime(2026, 5, 1))


def test_wire_round_trip_keeps_the_hash():
    e = _sealed(1)[0]
    again = EventEnvelope.from_wire(e.to_wire())
    assert again == e
    assert again.compute_hash() == e.hash


def test_envelope_rejects_bad_jurisdiction():
    e = _sealed(1)[0]
    data = json.loads(e.to_wire())
    data["jurisdiction"] = "36100"
    with pytest.raises(ValueError, match="six-digit"):
        EventEnvelope.model_validate(data)


def test_uuid7_is_versioned_and_monotonic():
    ids = [uuid7() for _ in range(5000)]
    assert all(i.version == 7 for i in ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    now_ms = datetime.now(UTC).timestamp() * 1000
    assert abs(uuid7_time_ms(ids[0]) - now_ms) < 60_000
    assert isinstance(ids[0], uuid.UUID)
