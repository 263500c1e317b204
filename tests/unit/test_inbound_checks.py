"""What a consumer refuses before applying anything (xuncha_shared.inbound_checks), and the
Kafka ACL table of each service principal (xuncha_shared.provision.acls)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from xuncha_shared.envelope import GENESIS_HASH, EventEnvelope
from xuncha_shared.eventstore.base import seal_events
from xuncha_shared.inbound_checks import (
    RejectedEvent,
    checked_envelope,
    inbound_problem,
    topic_owner,
)
from xuncha_shared.provision import acls

from tests.support.events import petition

PETITIONS = "t1.intake.petition.v1"


def sealed() -> EventEnvelope:
    return seal_events(
        "petition", "case-1", 1, GENESIS_HASH, [petition()], datetime(2026, 5, 1, tzinfo=UTC)
    )[0]


def test_a_sealed_event_on_its_own_topic_passes() -> None:
    event = sealed()
    assert inbound_problem(event, PETITIONS) is None
    assert checked_envelope(event.to_wire(), PETITIONS) == event


def test_a_changed_payload_or_chain_field_is_refused() -> None:
    event = sealed()
    for change in (
        {"payload": {**event.payload, "unit": "别的单位"}},
        {"prev_hash": "1" * 64},
        {"jurisdiction": "361021"},
        {"actor": event.actor.model_copy(update={"principal_id": "someone-else"})},
    ):
        with pytest.raises(RejectedEvent, match="hash mismatch"):
            checked_envelope(event.model_copy(update=change).to_wire(), PETITIONS)


def test_an_event_on_another_service_s_topic_is_refused_even_when_sealed() -> None:
    event = sealed()
    assert "not owned by clues" in (inbound_problem(event, "t1.clues.clue.v1") or "")
    wrong_stream = event.model_copy(update={"stream_type": "issue"})
    wrong_stream = wrong_stream.model_copy(update={"hash": wrong_stream.compute_hash()})
    assert "does not belong" in (inbound_problem(wrong_stream, PETITIONS) or "")


def test_topic_owners_ignore_the_prefix_and_dead_letters() -> None:
    assert topic_owner("intake.petition.v1") == ("intake", "petition")
    assert topic_owner("t1.e2eab.clues.clue.v1") == ("clues", "clue")
    assert topic_owner("clues.clue.v1.dlq") is None
    assert topic_owner("something.else") is None


def _allowed(service: str, prefix: str = "") -> dict[tuple[int, str], set[int]]:
    table: dict[tuple[int, str], set[int]] = {}
    for acl in acls.service_acls(service, prefix):
        table.setdefault((acl.resource_type, acl.resource_name), set()).add(acl.operation)
    return table


def test_each_service_writes_only_its_own_topics() -> None:
    intake = _allowed("intake", "p.")
    assert acls.WRITE in intake[(acls.TOPIC, "p.intake.petition.v1")]
    assert acls.WRITE not in intake.get((acls.TOPIC, "p.clues.clue.v1"), set())
    assert acls.READ in intake[(acls.TOPIC, "p.clues.clue.v1")]  # it consumes clues
    assert (acls.TOPIC, "p.rectification.issue.v1") not in intake
    writers = {
        service
        for service in ("intake", "clues", "rectification", "reporting")
        if acls.WRITE in _allowed(service).get((acls.TOPIC, "clues.clue.v1"), set())
    }
    assert writers == {"clues"}


def test_groups_are_prefixed_by_the_service() -> None:
    groups = [a for a in acls.service_acls("reporting", "p.") if a.resource_type == acls.GROUP]
    assert [(g.resource_name, g.pattern, g.operation) for g in groups] == [
        ("p.reporting.", acls.PREFIXED, acls.READ)
    ]
