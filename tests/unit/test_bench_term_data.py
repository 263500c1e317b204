"""The synthetic term of ``bench.term`` speaks the real contracts and chains its streams as the
store does."""

from __future__ import annotations

import itertools
import json
from collections import Counter, defaultdict

from xuncha_shared.contracts import REGISTRY
from xuncha_shared.envelope import GENESIS_HASH, EventEnvelope

from bench.common import INSERT_COLUMNS
from bench.term_data import JURISDICTIONS, Generated, generate, shape_for, tasks_of

#: what a term must hold (the mix the benchmark promises)
REQUIRED = {
    "intake.RoundPlanned", "intake.GroupFormed", "intake.GroupStationed", "intake.StationingEnded",
    "intake.IndividualTalkRecorded", "intake.PetitionReceived", "intake.InformantNotified",
    "intake.AcceptanceNoticeOverdue", "clues.ClueRegistered", "clues.ClueClassified",
    "clues.ClueVerified", "clues.ClueTransferred", "clues.ClueAcknowledged",
    "clues.TransferResultReported", "clues.ClueDisposed", "clues.DeadlineWarningRaised",
    "clues.TransferResultOverdue", "clues.InspectionReportHeard", "rectification.IssueFedBack",
    "rectification.PlanSubmitted", "rectification.PlanApproved", "rectification.IssuePlanned",
    "rectification.RectificationReported", "rectification.RectificationVerified",
    "rectification.IssueClosedOut", "rectification.DeadlineWarningRaised",
    "reporting.ShareItemAcknowledged",
}  # fmt: skip


def _envelopes() -> tuple[list[tuple[str, EventEnvelope]], Generated]:
    total = Generated()
    found: list[tuple[str, EventEnvelope]] = []
    for task in tasks_of(shape_for(1500)):
        rows, out = generate(task)
        total.add(out)
        for service, service_rows in rows.items():
            for row in service_rows:
                values = dict(zip(INSERT_COLUMNS, row, strict=True))
                values["actor"] = json.loads(values["actor"])
                values["payload"] = json.loads(values["payload"])
                found.append((service, EventEnvelope.model_validate(values)))
    return found, total


def test_a_term_parses_with_the_current_contracts_and_chains_like_the_store() -> None:
    envelopes, generated = _envelopes()
    assert len(envelopes) == generated.total >= 1500
    streams: dict[str, list[EventEnvelope]] = defaultdict(list)
    for service, envelope in envelopes:
        assert envelope.service == service
        # the current schema version, and the payload parses with its model
        assert envelope.schema_version == REGISTRY.current_version(envelope.event_type)
        REGISTRY.model(envelope.event_type).model_validate(envelope.payload)
        assert envelope.compute_hash() == envelope.hash
        streams[envelope.stream_id].append(envelope)
    for chain in streams.values():
        chain.sort(key=lambda e: e.stream_version)
        assert [e.stream_version for e in chain] == list(range(1, len(chain) + 1))
        assert chain[0].prev_hash == GENESIS_HASH
        for before, after in itertools.pairwise(chain):
            assert after.prev_hash == before.hash
            assert after.recorded_at >= before.recorded_at

    types = Counter(e.event_type for _, e in envelopes)
    assert set(types) >= REQUIRED
    assert {e.jurisdiction for _, e in envelopes} == set(JURISDICTIONS)
    expected = Counter[str]()
    for counts in generated.expected.values():
        expected.update(counts)
    assert expected["petitions_received"] == types["intake.PetitionReceived"]
    assert expected["clues_registered"] == types["clues.ClueRegistered"]
    assert expected["issues_fed_back"] == types["rectification.IssueFedBack"]
    assert expected["clues_transferred"] == types["clues.ClueTransferred"]


def test_shapes_grow_with_the_target() -> None:
    small, full = shape_for(20_000), shape_for(2_000_000)
    assert full.rounds == 10  # two a year for five years
    assert small.rounds * small.units < full.rounds * full.units
    assert full.issues <= 32
