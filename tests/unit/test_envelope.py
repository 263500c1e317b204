"""The envelope's canonical encoding and hash chain, recomputed independently."""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, ClassVar

import pytest
from xuncha_shared.envelope import (
    GENESIS_HASH,
    Actor,
    EventEnvelope,
    EventPayload,
    canonical_json,
    chain_hash,
    format_ts,
    hashed_document,
    trusted_envelope,
)
from xuncha_shared.eventstore.base import NewEvent, seal_events
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
        "schema_version": 4,
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


class _Varied(EventPayload):
    event_type: ClassVar[str] = "test.VariedThing"
    schema_version: ClassVar[int] = 3

    note: str
    data: dict[str, Any]
    items: tuple[Any, ...] = ()
    count: int | None = None


_VARIED_PAYLOADS = [
    _Varied(note="", data={}),
    _Varied(
        note="举报人反映某村干部侵占集体土地补偿款", data={"z": 1, "a": {"b": [1, 2, {"y": None}]}}
    ),
    _Varied(
        note='quote " backslash \\ tab \t newline \n \u2028 emoji 🙂',
        data={"嵌套": {"键": "值", "list": ["甲", "乙", {"深": {"更深": True}}]}, "": False},
        items=(None, 0, -5, 10**18, "x"),
        count=7,
    ),
    _Varied(note="ascii", data={"B": 1, "a": 2, "_": {"Z": [], "z": {}}}, count=0),
]


@pytest.mark.parametrize("stream_id", ["case-1", '案件-"7"\\x', "s" * 200])
def test_fast_seal_hash_equals_chain_hash_of_hashed_document(stream_id: str) -> None:
    recorded = datetime(2026, 5, 1, 8, 30, 0, 123456, tzinfo=UTC)
    other_actor = Actor(principal_id="审查员-张三", role="reviewer")
    cause = uuid7()
    events = [
        NewEvent(
            payload=payload,
            jurisdiction="361002",
            actor=ACTOR if i % 2 else other_actor,
            correlation_id=None if i % 3 else uuid7(),
            causation_id=None if i % 2 else cause,
            occurred_at=[
                None,
                recorded,
                datetime(2026, 4, 30, 23, 0, tzinfo=timezone(timedelta(hours=8))),
                recorded - timedelta(days=3, microseconds=1),
            ][i % 4],
            traceparent="00-" + "1" * 32 + "-" + "2" * 16 + "-01" if i % 2 else None,
        )
        for i, payload in enumerate(_VARIED_PAYLOADS * 3)
    ]
    prev = "ab" * 32
    sealed = seal_events("petition", stream_id, 5, prev, events, recorded)
    for e in sealed:
        doc = hashed_document(
            event_id=e.event_id,
            event_type=e.event_type,
            schema_version=e.schema_version,
            stream_type=e.stream_type,
            stream_id=e.stream_id,
            stream_version=e.stream_version,
            occurred_at=e.occurred_at,
            recorded_at=e.recorded_at,
            jurisdiction=e.jurisdiction,
            actor=e.actor,
            correlation_id=e.correlation_id,
            causation_id=e.causation_id,
            payload=e.payload,
            prev_hash=prev,
        )
        assert e.prev_hash == prev
        assert e.hash == chain_hash(doc) == e.compute_hash()
        prev = e.hash
    # the envelopes are complete and valid: a validating round trip gives the same values
    for e in sealed:
        assert EventEnvelope.from_wire(e.to_wire()) == e
        assert EventEnvelope.model_validate(e.model_dump()) == e


def test_format_ts_is_strftime_of_the_utc_time() -> None:
    """The canonical timestamp text every stored hash depends on: exactly
    ``strftime("%Y-%m-%dT%H:%M:%S.%fZ")`` of the UTC time, whatever the offset or microseconds."""
    rng = random.Random(7)
    samples = [
        datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC),  # strftime's unpadded year
        datetime(2026, 5, 1, 0, 0, tzinfo=timezone(timedelta(hours=8))),
        datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ]
    for _ in range(2000):
        samples.append(
            datetime(
                rng.randint(1000, 9998),
                rng.randint(1, 12),
                rng.randint(1, 28),
                rng.randint(0, 23),
                rng.randint(0, 59),
                rng.randint(0, 59),
                rng.choice([0, rng.randint(0, 999_999)]),
                tzinfo=timezone(timedelta(minutes=rng.randint(-720, 720))),
            )
        )
    for value in samples:
        assert format_ts(value) == value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with pytest.raises(ValueError, match="timezone-aware"):
        format_ts(datetime(2026, 5, 1))


def test_a_trusted_envelope_is_the_validated_one() -> None:
    """``trusted_envelope`` (the readers' fast path, no validation) builds what validation
    builds: equal, the same dump and wire form, copies and hashes alike."""
    e = _sealed(1)[0]
    values = {name: getattr(e, name) for name in EventEnvelope.model_fields}
    fast = trusted_envelope(dict(values))
    assert type(fast) is EventEnvelope
    assert fast == e and e == fast
    assert fast.model_dump() == e.model_dump()
    assert fast.to_wire() == e.to_wire()
    assert fast.model_fields_set == e.model_fields_set
    assert fast.__pydantic_extra__ is None and fast.__pydantic_private__ is None
    assert fast.compute_hash() == e.hash
    moved = fast.model_copy(update={"global_position": 7})
    assert moved.global_position == 7 and fast.global_position == e.global_position
    with pytest.raises(ValueError, match="frozen"):
        fast.stream_version = 2  # type: ignore[misc]
