"""A rebuild or an as-of replay projects history rows (``projection_chunks.ROW_COLUMNS``: only
what the projection reads of each event) into exactly what the whole envelopes give the live
consumer's code path: the same statements, version bumps, applied ids and skipped events, an
old schema version upcast alike (no I/O)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from xuncha_reporting.adapters.deadline_rules import DeadlineRules
from xuncha_reporting.adapters.projection_tables import ProjectionTables
from xuncha_reporting.domain import Change, project
from xuncha_reporting.projection_chunks import (
    ROW_COLUMNS,
    ROW_NAMES,
    Row,
    applied_ids,
    event_from_row,
    project_chunk,
    project_rows,
    row_order,
    sent,
)
from xuncha_shared.contracts import REGISTRY, UnknownEventError
from xuncha_shared.contracts.clues import ClueRegistered, ClueTransferred
from xuncha_shared.contracts.common import Department
from xuncha_shared.contracts.intake import PetitionReceivedV1
from xuncha_shared.contracts.rectification import IssueFedBack
from xuncha_shared.envelope import Actor, EventEnvelope, EventPayload
from xuncha_shared.eventstore.base import NewEvent, seal_events

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
CITY, LINCHUAN = "361000", "361002"


def _sealed(payload: EventPayload, jurisdiction: str, actor: str, minute: int) -> EventEnvelope:
    at = T0 + timedelta(minutes=minute)
    [sealed] = seal_events(
        payload.event_type.split(".")[1].lower(),
        str(uuid.uuid4()),
        1,
        "0" * 64,
        [
            NewEvent(
                payload,
                jurisdiction,
                Actor(principal_id=actor, role="county_admin"),
                occurred_at=at,
            )
        ],
        at + timedelta(seconds=1),
    )
    return sealed


def _row(envelope: EventEnvelope) -> Row:
    """The row ``ROW_COLUMNS`` selects of a stored event (the payload as JSON text)."""
    values = envelope.model_dump() | {
        "principal_id": envelope.actor.principal_id,
        "payload": orjson.dumps(envelope.payload).decode(),
    }
    return tuple(values[name] for name in ROW_NAMES)


def _history() -> list[EventEnvelope]:
    clue_id = uuid.uuid4()
    legacy = PetitionReceivedV1(  # stored at schema version 1: upcast when read
        petition_id=uuid.uuid4(),
        jurisdiction=LINCHUAN,
        unit="临川区某乡",
        channel="visit",
        content="反映惠民资金发放不透明",
        receipt_code_hash="b" * 64,
    )
    registered = ClueRegistered(
        clue_id=clue_id,
        jurisdiction=LINCHUAN,
        source_channel="petition",
        unit="临川区农业农村局",
        summary="惠民资金发放不透明",
    )
    transferred = ClueTransferred(
        clue_id=clue_id,
        jurisdiction=LINCHUAN,
        department=Department.DISCIPLINE,
        unit="临川区农业农村局",
        summary="惠民资金发放不透明",
        reason="涉嫌违纪",
    )
    fed_back = IssueFedBack(
        issue_id=uuid.uuid4(),
        feedback_id=uuid.uuid4(),
        jurisdiction=CITY,
        unit="市财政局",
        description="“三重一大”决策制度执行不严格",
        concerns=[Department.ORGANISATION, Department.FINANCE],
        due_date="2026-06-01",
    )
    events = [
        _sealed(legacy, LINCHUAN, "demo-county-admin", 0),  # a demo principal: the demo mark
        _sealed(registered, LINCHUAN, "county-admin-1", 1),
        _sealed(transferred, LINCHUAN, "county-admin-1", 2),
        _sealed(fed_back, CITY, "city-admin-1", 3),
    ]
    # one the reader has no contract for (a newer version): skipped, as the consumer
    # dead-letters it
    events.append(events[1].model_copy(update={"event_id": uuid.uuid4(), "schema_version": 9}))
    return events


def test_history_rows_project_as_their_whole_envelopes_do() -> None:
    tables = ProjectionTables("rebuild_x", rules=DeadlineRules().pinned(), bulk=True)
    history = _history()

    from_rows = project_rows(tables, [_row(e) for e in history])

    assert from_rows == project_chunk(tables, history)
    # as a worker projects them: sent without their merge moment
    assert project_rows(tables, sent([_row(e) for e in history])) == from_rows
    # and what the live consumer's path gives (``REGISTRY.decode``, ``project``)
    live: list[Change] = []
    for envelope in history[:4]:
        live.extend(project(REGISTRY.upcast(envelope), REGISTRY.decode(envelope)))
    with pytest.raises(UnknownEventError):
        REGISTRY.decode(history[4])
    assert from_rows[0] == tables.statements(live)
    statements, changed, skipped = from_rows
    assert changed == 4
    assert applied_ids((e.event_id for e in history), skipped) == [e.event_id for e in history[:4]]
    assert [event_id for event_id, _ in skipped] == [str(history[4].event_id)]
    assert "newer than this reader knows" in skipped[0][1]
    assert statements  # facts, docs, feed items, ledger rows, deadlines...


def test_a_history_row_carries_what_the_projection_reads_and_no_more() -> None:
    envelope = _history()[1]
    event = event_from_row(_row(envelope))

    assert orjson.loads(event.payload) == envelope.payload
    assert event.actor.principal_id == "county-admin-1"
    assert (event.event_id, event.stream_id, event.occurred_at, event.jurisdiction) == (
        envelope.event_id,
        envelope.stream_id,
        envelope.occurred_at,
        envelope.jurisdiction,
    )
    assert row_order(_row(envelope)) == (envelope.recorded_at, envelope.event_id)
    for name in ROW_NAMES:
        assert name in ROW_COLUMNS
    assert "hash" not in ROW_COLUMNS and "payload::text AS payload" in ROW_COLUMNS
    # a worker is sent each row without its merge moment: the same event
    assert ROW_NAMES[-1] == "recorded_at" and sent([_row(envelope)]) == [_row(envelope)[:-1]]
    assert event_from_row(_row(envelope)[:-1]) == event
    with pytest.raises(ValueError, match="9 columns"):
        event_from_row(_row(envelope)[:-2])


def test_a_payload_its_contract_refuses_is_skipped_from_rows_and_envelopes_alike() -> None:
    tables = ProjectionTables("rebuild_x", rules=DeadlineRules().pinned(), bulk=True)
    good = _history()[1]
    broken = good.model_copy(update={"event_id": uuid.uuid4(), "payload": {"clue_id": "x"}})
    from_rows = project_rows(tables, [_row(good), _row(broken)])
    from_envelopes = project_chunk(tables, [good, broken])
    for _, changed, skipped in (from_rows, from_envelopes):
        assert changed == 1
        assert applied_ids([good.event_id, broken.event_id], skipped) == [good.event_id]
        assert [event_id for event_id, _ in skipped] == [str(broken.event_id)]
        assert skipped[0][1].startswith("ValidationError: ")
