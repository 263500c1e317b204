"""Contract registry and upcasting (no I/O)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from xuncha_shared.contracts import REGISTRY, UnknownEventError, all_topics, topic_for
from xuncha_shared.contracts.intake import (
    PetitionReceived,
    PetitionReceivedV1,
    PetitionReceivedV2,
    PetitionReceivedV3,
)
from xuncha_shared.contracts.rectification import IssueFedBack, IssueFedBackV3
from xuncha_shared.envelope import GENESIS_HASH
from xuncha_shared.eventstore import NewEvent
from xuncha_shared.eventstore.base import seal_events

from tests.support.events import ACTOR


def _legacy_envelope():
    legacy = PetitionReceivedV1(
        petition_id=uuid.uuid4(),
        jurisdiction="361021",
        unit="南城县某乡",
        channel="visit",
        content="反映惠民资金发放不透明",
        receipt_code_hash="b" * 64,
    )
    return seal_events(
        "petition", "p", 1, GENESIS_HASH, [NewEvent(legacy, "361021", ACTOR)], datetime.now(UTC)
    )[0]


def test_v1_is_upcast_to_the_current_schema_on_read():
    env = _legacy_envelope()
    typed = REGISTRY.decode(env)
    assert isinstance(typed, PetitionReceived)
    assert typed.summary == "反映惠民资金发放不透明"
    assert (typed.group_id, typed.unit_id) == (None, None)
    assert REGISTRY.upcast(env).schema_version == PetitionReceived.schema_version == 4
    assert env.schema_version == 1  # the stored envelope is untouched


def test_unknown_type_and_version_are_typed_errors():
    env = _legacy_envelope()
    with pytest.raises(UnknownEventError):
        REGISTRY.decode(env.model_copy(update={"event_type": "intake.Nope"}))
    with pytest.raises(UnknownEventError, match="newer"):
        REGISTRY.decode(env.model_copy(update={"schema_version": 9}))


def test_every_contract_has_a_topic_and_json_schema():
    schemas = REGISTRY.json_schemas()
    assert "intake.PetitionReceived.v2" in schemas
    assert "clues.ClueRegistered.v1" in schemas
    assert "rectification.IssueFedBack.v1" in schemas
    assert "rectification.RectificationReported.v1" in schemas
    assert topic_for("petition") == "intake.petition.v1"
    assert topic_for("clue", "t1.") == "t1.clues.clue.v1"
    assert "t1.clues.clue.v1.dlq" in all_topics("t1.")
    with pytest.raises(KeyError):
        topic_for("nope")


def test_v2_is_upcast_without_group_or_unit():
    v2 = PetitionReceivedV2(
        petition_id=uuid.uuid4(),
        jurisdiction="361021",
        unit="南城县某局",
        channel="letter",
        summary="反映问题",
        receipt_code_hash="c" * 64,
        round_id="4-7",
    )
    env = seal_events(
        "petition", "p2", 1, GENESIS_HASH, [NewEvent(v2, "361021", ACTOR)], datetime.now(UTC)
    )[0]
    assert env.schema_version == 2
    typed = REGISTRY.decode(env)
    assert isinstance(typed, PetitionReceived)
    assert (typed.round_id, typed.group_id, typed.unit_id) == ("4-7", None, None)
    assert typed.summary_numbers is None


def test_v3_is_upcast_to_v4_without_sealed_summary_numbers():
    """Schema 3 refused an anonymous petition's numbers: none were sealed (R11)."""
    v3 = PetitionReceivedV3(
        petition_id=uuid.uuid4(),
        jurisdiction="361021",
        unit="南城县某局",
        channel="letter",
        summary="反映问题",
        receipt_code_hash="d" * 64,
    )
    env = seal_events(
        "petition", "p3", 1, GENESIS_HASH, [NewEvent(v3, "361021", ACTOR)], datetime.now(UTC)
    )[0]
    assert env.schema_version == 3
    typed = REGISTRY.decode(env)
    assert isinstance(typed, PetitionReceived)
    assert (typed.informant, typed.summary_numbers) == (None, None)


def test_an_issue_fed_back_at_schema_3_reads_without_a_round_name():
    """Schema 4 names a round intake does not plan (a provincial review's); a stored schema 3
    feedback names none and keeps everything else."""
    v3 = IssueFedBackV3(
        issue_id=uuid.uuid4(),
        feedback_id=uuid.uuid4(),
        jurisdiction="361000",
        unit="市某局",
        description="问题",
        round_id=uuid.uuid4(),
        unit_id=uuid.uuid4(),
        topics=["公务接待"],
    )
    env = seal_events(
        "issue", "i3", 1, GENESIS_HASH, [NewEvent(v3, "361000", ACTOR)], datetime.now(UTC)
    )[0]
    assert env.schema_version == 3
    typed = REGISTRY.decode(env)
    assert isinstance(typed, IssueFedBack) and typed.schema_version == 5
    assert typed.round_name is None
    assert (typed.round_id, typed.topics) == (v3.round_id, ["公务接待"])
    assert typed.problem_id is None  # v4 -> v5: no problem named
