"""intake: receipt codes, the petition aggregate and the service layer with in-memory fakes."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid
from datetime import UTC, datetime

import pytest
from xuncha_intake.adapters.receipts import Receipt
from xuncha_intake.domain import model
from xuncha_intake.domain.model import ReceiptStatus
from xuncha_intake.handlers.petitions import IntakeHandlers, PetitionInput, receipt_status_handler
from xuncha_shared.contracts import REGISTRY
from xuncha_shared.contracts.clues import (
    ClueCategory,
    ClueClassified,
    ClueEscalated,
    ClueRegistered,
    ClueTransferred,
)
from xuncha_shared.contracts.common import Channel, Department
from xuncha_shared.contracts.intake import PetitionReceived
from xuncha_shared.crypto import InformantVault, InMemoryKeyStore
from xuncha_shared.domain.commands import Meta
from xuncha_shared.domain.personal_data import InformantIdentity
from xuncha_shared.envelope import Actor, EventEnvelope
from xuncha_shared.eventstore import NewEvent
from xuncha_shared.eventstore.base import seal_events

from tests.support.fakes import (
    InMemoryEventStore,
    InMemoryReceipts,
    fake_aggregates,
)

LINCHUAN = "361002"
ACTOR = Actor(principal_id="county-1", role="county_admin")
CODE_RE = re.compile(r"^XC(-[0-9A-HJKMNP-TV-Z]{4}){5}$")
KEY = b"r" * 32


# ---- receipt codes ---------------------------------------------------------------------------


def test_receipt_codes_are_typable_and_random() -> None:
    codes = {model.new_receipt_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert CODE_RE.match(code), code
        assert not set(code) & set("ILOU")


def test_normalize_accepts_what_people_type() -> None:
    code = "XC-7KQ4-M2PD-9TRA-5HXE-W3NB"
    assert model.normalize_receipt_code(code) == code
    assert model.normalize_receipt_code("xc 7kq4 m2pd 9tra 5hxe w3nb") == code
    assert model.normalize_receipt_code("7KQ4M2PD9TRA5HXEW3NB") == code
    assert model.normalize_receipt_code(code + " ") == code
    # O for 0, I and L for 1
    assert model.normalize_receipt_code("XC-OOOO-IIII-LLLL-0000-0000") == (
        "XC-0000-1111-1111-0000-0000"
    )


def test_codes_handed_out_before_the_lengthening_are_still_codes() -> None:
    legacy = "XC-7KQ4-M2PD-9TRA"
    assert model.normalize_receipt_code(legacy) == legacy
    assert model.normalize_receipt_code("xc7kq4m2pd9tra") == legacy
    assert model.normalize_receipt_code("7KQ4M2PD9TRA") == legacy


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "XC-7KQ4-M2PD",
        "XC-7KQ4-M2PD-9TRA-1234",
        "XC-7KQ4-M2PD-9TRA-1234-5678-9ABC",
        "XC-7KQ4-M2PD-9TU!",
    ],
)
def test_normalize_rejects_non_codes(bad: str) -> None:
    assert model.normalize_receipt_code(bad) is None


def test_receipt_hash_is_an_hmac_under_the_server_key() -> None:
    code = "XC-7KQ4-M2PD-9TRA-5HXE-W3NB"
    digest = hashlib.sha256(code.encode()).hexdigest()
    expected = hmac.new(KEY, digest.encode(), hashlib.sha256).hexdigest()
    assert model.receipt_code_hash(code, KEY) == expected
    assert model.receipt_code_hash(code.lower().replace("-", ""), KEY) == expected
    # without the key, the stored hash is not the code's plain SHA-256, nor another key's HMAC
    assert expected != digest
    assert model.receipt_code_hash(code, b"s" * 32) != expected
    # an unkeyed digest kept before is keyed in place to the same value
    assert model.keyed_digest(digest, KEY) == expected
    with pytest.raises(ValueError, match="receipt code"):
        model.receipt_code_hash("nope", KEY)


def test_receipt_status_only_moves_forward() -> None:
    assert model.status_advances(ReceiptStatus.RECEIVED, ReceiptStatus.REGISTERED)
    assert model.status_advances("registered", "transferred")
    assert not model.status_advances(ReceiptStatus.TRANSFERRED, ReceiptStatus.REGISTERED)
    assert not model.status_advances(ReceiptStatus.REGISTERED, ReceiptStatus.REGISTERED)
    assert set(model.RECEIPT_STATUS_ZH) == set(ReceiptStatus)


# ---- the aggregate ---------------------------------------------------------------------------


def _cmd(jurisdiction: str = LINCHUAN) -> model.RecordPetition:
    return model.RecordPetition(
        petition_id=uuid.uuid4(),
        jurisdiction=jurisdiction,
        unit="临川区某局",
        channel=Channel.LETTER,
        summary="反映某局违规发放津补贴问题",
        receipt_code_hash="a" * 64,
        round_id="4-7",
    )


def test_record_petition_decides_the_current_schema() -> None:
    cmd = _cmd()
    [event] = model.decide_record(model.Petition(), cmd, None)
    assert isinstance(event, PetitionReceived)
    assert event.schema_version == 4
    assert event.petition_id == cmd.petition_id
    assert event.summary == cmd.summary
    assert event.round_id == "4-7"
    assert event.informant is None
    state = model.replay([event])
    assert state.exists
    assert state.jurisdiction == LINCHUAN


def test_record_refuses_unknown_jurisdiction() -> None:
    with pytest.raises(model.InvalidCommand, match="unknown jurisdiction") as info:
        model.decide_record(model.Petition(), _cmd("999999"), None)
    assert info.value.status == 422


def test_record_refuses_a_second_time() -> None:
    cmd = _cmd()
    state = model.replay(model.decide_record(model.Petition(), cmd, None))
    with pytest.raises(model.PetitionAlreadyRecorded):
        model.decide_record(state, cmd, None)


# ---- the service layer -----------------------------------------------------------------------


def _handlers() -> tuple[IntakeHandlers, InMemoryEventStore, InMemoryReceipts, InformantVault]:
    store = InMemoryEventStore()
    receipts = InMemoryReceipts()
    vault = InformantVault(InMemoryKeyStore(), kek=b"k" * 32)
    handlers = IntakeHandlers(
        fake_aggregates(model.PETITION, store), receipts, vault, receipt_key=KEY
    )
    return handlers, store, receipts, vault


META = Meta(actor=ACTOR, correlation_id=uuid.uuid4(), traceparent=None)


async def test_record_petition_seals_informant_and_stores_only_hashes() -> None:
    handlers, store, receipts, vault = _handlers()
    informant = InformantIdentity(name="张三", phone="13800000000", id_number="11010519491231002X")
    recorded = await handlers.record_petition(
        PetitionInput(
            jurisdiction=LINCHUAN,
            unit="临川区某局",
            channel=Channel.VISIT,
            summary="反映违规吃喝问题",
            informant=informant,
        ),
        META,
    )
    [envelope] = await store.read_stream(str(recorded.petition_id))
    assert envelope.event_type == "intake.PetitionReceived"
    assert envelope.schema_version == 4
    assert envelope.stream_type == "petition"
    assert envelope.jurisdiction == LINCHUAN
    assert envelope.actor == ACTOR
    assert envelope.correlation_id == META.correlation_id
    wire = envelope.to_wire().decode()
    for secret in ("张三", "13800000000", "11010519491231002X", recorded.receipt_code):
        assert secret not in wire
    payload = REGISTRY.decode(envelope)
    assert isinstance(payload, PetitionReceived)
    assert payload.receipt_code_hash == model.receipt_code_hash(recorded.receipt_code, KEY)
    assert payload.informant is not None
    assert await vault.open(payload.informant) == informant
    receipt = await receipts.by_hash(None, payload.receipt_code_hash)
    assert receipt is not None
    assert receipt.petition_id == recorded.petition_id
    view = await handlers.receipt_status(recorded.receipt_code.lower())
    assert view is not None
    assert view.status is ReceiptStatus.RECEIVED
    assert view.status_zh == model.RECEIPT_STATUS_ZH[ReceiptStatus.RECEIVED]


async def test_unknown_jurisdiction_writes_nothing() -> None:
    handlers, store, receipts, vault = _handlers()
    with pytest.raises(model.InvalidCommand):
        await handlers.record_petition(
            PetitionInput(
                jurisdiction="999999",
                unit="某局",
                channel=Channel.CALL,
                summary="...",
                informant=InformantIdentity(name="李四"),
            ),
            META,
        )
    assert await store.read_all() == []
    assert receipts.rows == {}
    assert isinstance(vault.keys, InMemoryKeyStore)
    assert vault.keys.keys == {}


async def test_unknown_receipt_code_is_none() -> None:
    handlers, *_ = _handlers()
    assert await handlers.receipt_status("XC-0000-0000-0000") is None
    assert await handlers.receipt_status("XC-0000-0000-0000-0000-0000") is None
    assert await handlers.receipt_status("not a code") is None


def _envelope(payload: object, stream_id: str) -> EventEnvelope:
    [sealed] = seal_events(
        "clue",
        stream_id,
        1,
        "0" * 64,
        [NewEvent(payload, LINCHUAN, ACTOR)],  # type: ignore[arg-type]
        datetime.now(UTC),
    )
    return EventEnvelope.model_validate(json.loads(sealed.to_wire()))


async def test_receipt_status_follows_clue_events() -> None:
    receipts = InMemoryReceipts()
    petition_id, clue_id = uuid.uuid4(), uuid.uuid4()
    await receipts.add(None, Receipt("b" * 64, petition_id, ReceiptStatus.RECEIVED))
    handle = receipt_status_handler(receipts)
    registered = ClueRegistered(
        clue_id=clue_id,
        jurisdiction=LINCHUAN,
        unit="某局",
        summary="...",
        source_petition_id=petition_id,
    )
    await handle(None, _envelope(registered, str(clue_id)), registered)
    assert receipts.rows["b" * 64].status == "registered"
    assert receipts.rows["b" * 64].clue_id == clue_id

    classified = ClueClassified(clue_id=clue_id, category=ClueCategory.INQUIRY)
    await handle(None, _envelope(classified, str(clue_id)), classified)
    assert receipts.rows["b" * 64].status == "registered"

    escalated = ClueEscalated(
        clue_id=clue_id, from_jurisdiction=LINCHUAN, to_jurisdiction="361000", reason="市管干部"
    )
    await handle(None, _envelope(escalated, str(clue_id)), escalated)
    assert receipts.rows["b" * 64].status == "escalated"

    transferred = ClueTransferred(
        clue_id=clue_id,
        department=Department.DISCIPLINE,
        reason="R2",
        jurisdiction="361000",
        unit="某局",
        summary="...",
    )
    await handle(None, _envelope(transferred, str(clue_id)), transferred)
    assert receipts.rows["b" * 64].status == "transferred"

    # a late redelivery of an older event never moves the status back
    await handle(None, _envelope(registered, str(clue_id)), registered)
    assert receipts.rows["b" * 64].status == "transferred"


async def test_clue_events_without_a_receipt_are_ignored() -> None:
    receipts = InMemoryReceipts()
    handle = receipt_status_handler(receipts)
    clue_id = uuid.uuid4()
    registered = ClueRegistered(
        clue_id=clue_id, jurisdiction=LINCHUAN, unit="某局", summary="...", source_petition_id=None
    )
    await handle(None, _envelope(registered, str(clue_id)), registered)
    transferred = ClueTransferred(
        clue_id=clue_id,
        department=Department.AUDIT,
        reason="审计",
        jurisdiction=LINCHUAN,
        unit="某局",
        summary="...",
    )
    await handle(None, _envelope(transferred, str(clue_id)), transferred)
    assert receipts.rows == {}
