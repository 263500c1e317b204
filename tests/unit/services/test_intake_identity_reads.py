"""Who looked: the informant custodian's reads of reporter identities (domain §7), with the
in-memory fakes: the pure decision, the service layer (record before reveal, retry on a lost
race, crypto-shredding), the consumers of intake's topic, and every other write refusing the
custodian."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from xuncha_clues.domain.model import CLUE
from xuncha_clues.entrypoints.api import build_router as clues_router
from xuncha_clues.handlers import ClueHandlers, register_from_petitions
from xuncha_intake.domain import model
from xuncha_intake.domain.model import PETITION
from xuncha_intake.entrypoints.api import build_router as intake_router
from xuncha_intake.handlers.petitions import IntakeHandlers, PetitionInput, receipt_status_handler
from xuncha_rectification.entrypoints.api import build_router as rectification_router
from xuncha_reporting.domain.access import (
    ensure_feed_acker,
    ensure_feed_reader,
    linked_view_scope,
)
from xuncha_reporting.domain.projection import project
from xuncha_shared.contracts import REGISTRY
from xuncha_shared.contracts.common import Channel, Department, SealedPersonalData
from xuncha_shared.contracts.intake import (
    IdentityReadOutcome,
    InformantIdentityRead,
    PetitionReceived,
)
from xuncha_shared.contracts.names_zh import EVENT_NAMES_ZH
from xuncha_shared.crypto import InformantVault, InMemoryKeyStore, TamperedDataError
from xuncha_shared.domain.commands import Meta
from xuncha_shared.domain.errors import DomainError, InvalidCommand, NotAllowed
from xuncha_shared.domain.personal_data import InformantIdentity
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.envelope import EventEnvelope, EventPayload, now_utc
from xuncha_shared.eventstore import ConcurrencyError, NewEvent
from xuncha_shared.http.app import create_app
from xuncha_shared.http.dependencies import AuthDependencies

from tests.support.fakes import (
    InMemoryClueReadModel,
    InMemoryEventStore,
    InMemoryIssueReadModel,
    InMemoryReceipts,
    fake_aggregates,
    no_transaction,
    rectification_handlers,
)

CITY = "361000"
LINCHUAN = "361002"
NANCHENG = "361021"
REASON = "核实举报人身份以便回访"
INFORMANT = InformantIdentity(name="王秀英", phone="13907941234", id_number="11010519491231002X")

CUSTODIAN = Principal(id="custodian-fz", role=Role.CUSTODIAN, jurisdiction=CITY)
COUNTY_CUSTODIAN = Principal(id="custodian-lc", role=Role.CUSTODIAN, jurisdiction=LINCHUAN)
OTHER_COUNTY_CUSTODIAN = Principal(id="custodian-nc", role=Role.CUSTODIAN, jurisdiction=NANCHENG)
OTHERS = {
    "city": Principal(id="city-office", role=Role.CITY_ADMIN, jurisdiction=CITY),
    "county": Principal(id="lc-office", role=Role.COUNTY_ADMIN, jurisdiction=LINCHUAN),
    "group": Principal(id="lc-group", role=Role.GROUP_MEMBER, jurisdiction=LINCHUAN),
    "auditor": Principal(id="auditor", role=Role.AUDITOR, jurisdiction=CITY),
    "dept": Principal(
        id="jw", role=Role.DEPARTMENT, jurisdiction=CITY, department=Department.DISCIPLINE
    ),
}
RECORDER = Meta(actor=OTHERS["county"].actor(), correlation_id=uuid.uuid4())


def meta(principal: Principal) -> Meta:
    return Meta(actor=principal.actor(), correlation_id=uuid.uuid4())


# ---- the pure decision -----------------------------------------------------------------------


def _recorded(informant: bool = True, jurisdiction: str = LINCHUAN) -> model.Petition:
    cmd = model.RecordPetition(
        petition_id=uuid.uuid4(),
        jurisdiction=jurisdiction,
        unit="临川区某局",
        channel=Channel.LETTER,
        summary="反映某局违规发放津补贴问题",
        receipt_code_hash="a" * 64,
    )
    sealed = (
        SealedPersonalData(person_id=uuid.uuid4(), nonce="AAAA", ciphertext="AAAA")
        if informant
        else None
    )
    return model.replay(model.decide_record(model.Petition(), cmd, sealed))


def test_a_read_is_decided_with_the_sealed_person_id_and_the_stripped_reason() -> None:
    state = _recorded()
    assert state.informant is not None
    cmd = model.ReadIdentity(petition_id=state.petition_id or uuid.uuid4(), reason=f"  {REASON} ")
    [event] = model.decide_identity_read(state, cmd, CUSTODIAN, IdentityReadOutcome.DISCLOSED)
    assert isinstance(event, InformantIdentityRead)
    assert event.event_type == "intake.InformantIdentityRead"
    assert event.schema_version == 1
    assert event.petition_id == state.petition_id
    assert event.person_id == state.informant.person_id
    assert event.reason == REASON
    assert event.outcome is IdentityReadOutcome.DISCLOSED
    after = model.replay([*_events_of(state), event])
    assert after.identity_reads == 1
    assert after.version == 2
    assert after.has_informant


def _events_of(state: model.Petition) -> list[EventPayload]:
    assert state.petition_id and state.jurisdiction and state.unit and state.channel
    return [
        PetitionReceived(
            petition_id=state.petition_id,
            jurisdiction=state.jurisdiction,
            unit=state.unit,
            channel=state.channel,
            summary=state.summary or "x",
            informant=state.informant,
            receipt_code_hash="a" * 64,
        )
    ]


@pytest.mark.parametrize("reason", ["", "   ", "核实", "abc", "  ab  ", "x" * 501])
def test_a_reason_of_fewer_than_4_or_more_than_500_characters_is_refused(reason: str) -> None:
    with pytest.raises(InvalidCommand, match="4 to 500") as info:
        model.validate_read_reason(reason)
    assert info.value.status == 422


@pytest.mark.parametrize(
    ("reason", "kind"),
    [
        ("电话回访举报人，告知受理情况，联系13900001111", "电话号码"),
        ("核实身份证 36100219800101123X 的持有人", "身份证号"),
    ],
)
def test_a_reason_carrying_a_phone_or_id_number_is_refused_naming_the_kind_only(
    reason: str, kind: str
) -> None:
    """R11: the reason stays in clear in the audit log; the number must not ride along."""
    with pytest.raises(InvalidCommand, match="must not carry a phone or ID number") as info:
        model.validate_read_reason(reason)
    assert info.value.status == 422
    assert kind in str(info.value) and "13900001111" not in str(info.value)
    assert "36100219800101123X" not in str(info.value)
    kept = "电话回访举报人，告知受理情况"
    assert model.validate_read_reason(kept) == kept


def test_reasons_at_the_bounds_are_accepted() -> None:
    assert model.validate_read_reason(" 核实身份 ") == "核实身份"
    assert model.validate_read_reason("y" * 500) == "y" * 500
    with pytest.raises(ValueError, match="at least 4"):
        InformantIdentityRead(
            petition_id=uuid.uuid4(),
            person_id=uuid.uuid4(),
            reason=" ab ",
            outcome=IdentityReadOutcome.DISCLOSED,
        )


@pytest.mark.parametrize("who", sorted(OTHERS))
def test_no_other_role_may_read(who: str) -> None:
    state = _recorded()
    cmd = model.ReadIdentity(petition_id=uuid.uuid4(), reason=REASON)
    with pytest.raises(NotAllowed, match="informant_custodian") as info:
        model.identity_to_read(state, cmd, OTHERS[who])
    assert info.value.status == 403


def test_refusals_unknown_other_jurisdiction_anonymous() -> None:
    cmd = model.ReadIdentity(petition_id=uuid.uuid4(), reason=REASON)
    with pytest.raises(model.UnknownPetition) as unknown:
        model.identity_to_read(model.Petition(), cmd, CUSTODIAN)
    assert unknown.value.status == 404
    # another jurisdiction's petition answers exactly like an unknown one (no existence oracle)
    with pytest.raises(model.UnknownPetition) as foreign:
        model.identity_to_read(_recorded(), cmd, OTHER_COUNTY_CUSTODIAN)
    assert foreign.value.status == 404
    assert foreign.value.detail == unknown.value.detail
    assert "361002" not in foreign.value.detail
    with pytest.raises(model.UnknownPetition):  # a county custodian does not read the city's
        model.identity_to_read(_recorded(jurisdiction=CITY), cmd, COUNTY_CUSTODIAN)
    # another county's anonymous petition: the same 404, so nothing is learnt about it
    with pytest.raises(model.UnknownPetition):
        model.identity_to_read(_recorded(informant=False), cmd, OTHER_COUNTY_CUSTODIAN)
    with pytest.raises(model.AnonymousPetition, match="anonymous") as anonymous:
        model.identity_to_read(_recorded(informant=False), cmd, COUNTY_CUSTODIAN)
    assert anonymous.value.status == 409
    # the city's custodian reads the counties' petitions, the county's its own
    assert model.identity_to_read(_recorded(), cmd, CUSTODIAN) is not None
    assert model.identity_to_read(_recorded(), cmd, COUNTY_CUSTODIAN) is not None


def test_the_event_is_registered_with_a_chinese_name() -> None:
    assert REGISTRY.known("intake.InformantIdentityRead", 1)
    assert REGISTRY.current_version("intake.InformantIdentityRead") == 1
    assert REGISTRY.model("intake.InformantIdentityRead") is InformantIdentityRead
    assert EVENT_NAMES_ZH["intake.InformantIdentityRead"] == "查阅举报人身份"


# ---- the service layer -----------------------------------------------------------------------


class Intake:
    def __init__(self, store: InMemoryEventStore | None = None, **kw: Any) -> None:
        self.store = store or InMemoryEventStore()
        self.keys = InMemoryKeyStore()
        self.vault = InformantVault(self.keys, kek=b"k" * 32)
        petitions = fake_aggregates(
            PETITION, self.store, unit_of_work=kw.get("transaction", no_transaction)
        )
        self.handlers = IntakeHandlers(petitions, InMemoryReceipts(), self.vault)

    async def petition(self, informant: InformantIdentity | None = INFORMANT) -> uuid.UUID:
        recorded = await self.handlers.record_petition(
            PetitionInput(
                jurisdiction=LINCHUAN,
                unit="临川区某局",
                channel=Channel.LETTER,
                summary="反映某局违规发放津补贴问题",
                informant=informant,
            ),
            RECORDER,
        )
        return recorded.petition_id

    async def stream(self, petition_id: uuid.UUID) -> list[EventEnvelope]:
        return await self.store.read_stream(str(petition_id))

    async def count(self) -> int:
        return len(await self.store.read_all())


async def test_custodian_reads_the_identity_and_the_read_is_an_event() -> None:
    intake = Intake()
    petition_id = await intake.petition()
    correlation = uuid.uuid4()
    read = await intake.handlers.read_informant(
        petition_id,
        f" {REASON} ",
        CUSTODIAN,
        Meta(actor=CUSTODIAN.actor(), correlation_id=correlation),
    )
    assert read.outcome is IdentityReadOutcome.DISCLOSED
    assert read.identity == INFORMANT
    assert "王秀英" not in repr(read)
    received, stored = await intake.stream(petition_id)
    assert stored == read.envelope
    assert read.read_event_id == stored.event_id
    assert read.read_at == stored.occurred_at
    assert stored.event_type == "intake.InformantIdentityRead"
    assert stored.stream_type == "petition"
    assert stored.stream_version == 2
    assert stored.jurisdiction == LINCHUAN
    assert stored.actor.principal_id == "custodian-fz"
    assert stored.actor.role == "informant_custodian"
    assert stored.correlation_id == correlation
    assert stored.prev_hash == received.hash
    payload = REGISTRY.decode(stored)
    assert isinstance(payload, InformantIdentityRead)
    assert payload.reason == REASON
    assert payload.petition_id == petition_id
    sealed = REGISTRY.decode(received).informant  # type: ignore[attr-defined]
    assert payload.person_id == sealed.person_id
    wire = stored.to_wire().decode()
    for secret in ("王秀英", "13907941234", "11010519491231002X"):
        assert secret not in wire
    # a second read is a second event
    again = await intake.handlers.read_informant(
        petition_id, "复核举报人身份", COUNTY_CUSTODIAN, meta(COUNTY_CUSTODIAN)
    )
    assert again.envelope.stream_version == 3
    assert (await intake.handlers.load(petition_id)).identity_reads == 2


async def test_after_crypto_shredding_the_attempt_is_recorded_and_nothing_disclosed() -> None:
    intake = Intake()
    petition_id = await intake.petition()
    [received] = await intake.stream(petition_id)
    person_id = received.payload["informant"]["person_id"]
    assert await intake.vault.erase(uuid.UUID(person_id))
    read = await intake.handlers.read_informant(petition_id, REASON, CUSTODIAN, meta(CUSTODIAN))
    assert read.outcome is IdentityReadOutcome.KEY_ERASED
    assert read.identity is None
    _, stored = await intake.stream(petition_id)
    assert stored.payload == {
        "petition_id": str(petition_id),
        "person_id": person_id,
        "reason": REASON,
        "outcome": "key_erased",
    }


@pytest.mark.parametrize(
    ("reader", "reason", "anonymous", "error"),
    [
        (CUSTODIAN, "短", False, InvalidCommand),
        (OTHERS["auditor"], REASON, False, NotAllowed),
        (OTHERS["city"], REASON, False, NotAllowed),
        (OTHER_COUNTY_CUSTODIAN, REASON, False, model.UnknownPetition),
        (CUSTODIAN, REASON, True, model.AnonymousPetition),
    ],
)
async def test_refusals_record_nothing(
    reader: Principal, reason: str, anonymous: bool, error: type[Exception]
) -> None:
    intake = Intake()
    petition_id = await intake.petition(None if anonymous else INFORMANT)
    before = await intake.count()
    with pytest.raises(error):
        await intake.handlers.read_informant(petition_id, reason, reader, meta(reader))
    assert await intake.count() == before


async def test_unknown_petition_is_404_and_records_nothing() -> None:
    intake = Intake()
    unknown = uuid.uuid4()
    with pytest.raises(model.UnknownPetition) as info:
        await intake.handlers.read_informant(unknown, REASON, CUSTODIAN, meta(CUSTODIAN))
    assert info.value.status == 404
    assert await intake.count() == 0


async def test_tampered_ciphertext_raises_and_records_nothing() -> None:
    intake = Intake()
    petition_id = await intake.petition()
    [received] = await intake.stream(petition_id)
    person_id = uuid.UUID(received.payload["informant"]["person_id"])
    stored_key = intake.keys.keys[person_id]
    assert stored_key.wrapped_key is not None
    wrapped = bytearray(stored_key.wrapped_key)
    wrapped[-1] ^= 1
    intake.keys.keys[person_id] = type(stored_key)(
        person_id, bytes(wrapped), stored_key.kek_id, None
    )
    with pytest.raises(TamperedDataError):
        await intake.handlers.read_informant(petition_id, REASON, CUSTODIAN, meta(CUSTODIAN))
    assert await intake.count() == 1


class RacingStore(InMemoryEventStore):
    """Before each of the first ``races`` appends of a read, another custodian's read wins."""

    def __init__(self, races: int) -> None:
        super().__init__()
        self.races = races
        self.expected: list[int] = []

    async def append(
        self,
        stream_type: str,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        *,
        conn: Any = None,
    ) -> list[EventEnvelope]:
        if any(isinstance(e.payload, InformantIdentityRead) for e in events):
            self.expected.append(expected_version)
            if self.races:
                self.races -= 1
                rival = NewEvent(
                    events[0].payload, events[0].jurisdiction, COUNTY_CUSTODIAN.actor()
                )
                await super().append(stream_type, stream_id, expected_version, [rival])
        return await super().append(stream_type, stream_id, expected_version, events, conn=conn)


async def test_a_lost_race_is_retried_once_at_the_new_version() -> None:
    store = RacingStore(races=1)
    intake = Intake(store)
    petition_id = await intake.petition()
    read = await intake.handlers.read_informant(petition_id, REASON, CUSTODIAN, meta(CUSTODIAN))
    assert read.identity == INFORMANT
    assert store.expected == [1, 2]
    versions = [(e.stream_version, e.actor.principal_id) for e in await intake.stream(petition_id)]
    assert versions == [(1, "lc-office"), (2, "custodian-lc"), (3, "custodian-fz")]


async def test_two_lost_races_give_up_without_disclosing() -> None:
    store = RacingStore(races=2)
    intake = Intake(store)
    petition_id = await intake.petition()
    with pytest.raises(ConcurrencyError):
        await intake.handlers.read_informant(petition_id, REASON, CUSTODIAN, meta(CUSTODIAN))
    assert store.expected == [1, 2]
    actors = [e.actor.principal_id for e in await intake.stream(petition_id)]
    assert "custodian-fz" not in actors


async def test_no_identity_leaves_when_the_commit_fails() -> None:
    commits: list[str] = []
    fail_commit = False

    @asynccontextmanager
    async def transaction() -> AsyncIterator[None]:
        yield None
        if fail_commit:
            commits.append("failed")
            raise ConnectionError("connection lost during COMMIT")
        commits.append("committed")

    intake = Intake(transaction=transaction)
    petition_id = await intake.petition()
    fail_commit = True
    with pytest.raises(ConnectionError):
        await intake.handlers.read_informant(petition_id, REASON, CUSTODIAN, meta(CUSTODIAN))
    assert commits == ["committed", "failed"]


# ---- consumers of intake's topic ignore the read ------------------------------------------


async def _read_envelope() -> tuple[EventEnvelope, InformantIdentityRead]:
    intake = Intake()
    petition_id = await intake.petition()
    read = await intake.handlers.read_informant(petition_id, REASON, CUSTODIAN, meta(CUSTODIAN))
    envelope = EventEnvelope.from_wire(read.envelope.to_wire())
    payload = REGISTRY.decode(envelope)  # registered: consumers decode it, never dead-letter
    assert isinstance(payload, InformantIdentityRead)
    return envelope, payload


async def test_clues_registers_no_clue_from_a_read() -> None:
    envelope, payload = await _read_envelope()
    store = InMemoryEventStore()
    read_model = InMemoryClueReadModel()
    handlers = ClueHandlers(fake_aggregates(CLUE, store, read_model), read_model)
    handle = register_from_petitions(handlers)
    await handle(None, envelope, payload)
    assert await store.read_all() == []


async def test_reporting_projects_nothing_from_a_read() -> None:
    envelope, payload = await _read_envelope()
    assert project(envelope, payload) == []


async def test_receipt_status_ignores_a_read() -> None:
    envelope, payload = await _read_envelope()
    receipts = InMemoryReceipts()
    await receipt_status_handler(receipts)(None, envelope, payload)
    assert receipts.rows == {}


# ---- over HTTP: the custodian reads identities and does nothing else ------------------------


class DictAuthenticator:
    def __init__(self, principals: dict[str, Principal]) -> None:
        self.principals = principals

    async def authenticate(self, bearer: str) -> Principal | None:
        return self.principals.get(bearer)


PRINCIPALS = {"custodian": CUSTODIAN, **OTHERS}


def _client(build: Any) -> httpx.AsyncClient:
    app: FastAPI = create_app("test", title="test")
    app.include_router(build(AuthDependencies(DictAuthenticator(PRINCIPALS))))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def bearer(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {who}"}


async def test_intake_over_http_custodian_only() -> None:
    intake = Intake()
    petition_id = await intake.petition()
    url = f"/api/v1/petitions/{petition_id}/informant"
    async with _client(lambda deps: intake_router(intake.handlers, deps)) as client:
        for who in OTHERS:
            refused = await client.post(url, json={"reason": REASON}, headers=bearer(who))
            assert refused.status_code == 403, who
            assert refused.headers["content-type"].startswith("application/problem+json")
        record = await client.post(
            "/api/v1/petitions",
            json={"jurisdiction": LINCHUAN, "unit": "某局", "channel": "call", "summary": "..."},
            headers=bearer("custodian"),
        )
        assert record.status_code == 403
        assert await intake.count() == 1
        ok = await client.post(url, json={"reason": REASON}, headers=bearer("custodian"))
        assert ok.status_code == 200, ok.text
        assert ok.headers["cache-control"] == "no-store"
        body = ok.json()
        assert body["name"] == "王秀英"
        assert body["id_number"] == "11010519491231002X"
        assert body["petition_id"] == str(petition_id)
        assert await intake.count() == 2

        [received, _] = await intake.stream(petition_id)
        await intake.vault.erase(uuid.UUID(received.payload["informant"]["person_id"]))
        gone = await client.post(url, json={"reason": REASON}, headers=bearer("custodian"))
        assert gone.status_code == 410
        assert gone.headers["content-type"].startswith("application/problem+json")
        doc = gone.json()
        assert doc["type"].endswith("/identity-erased")
        [*_, last] = await intake.stream(petition_id)
        assert doc["read_event_id"] == str(last.event_id)
        assert last.payload["outcome"] == "key_erased"
        assert "王秀英" not in gone.text


async def test_the_custodian_may_not_write_or_read_clues() -> None:
    read_model = InMemoryClueReadModel()
    handlers = ClueHandlers(fake_aggregates(CLUE, InMemoryEventStore(), read_model), read_model)
    clue = uuid.uuid4()
    async with _client(lambda deps: clues_router(handlers, deps)) as client:
        responses = [
            await client.get("/api/v1/clues", headers=bearer("custodian")),
            await client.get(f"/api/v1/clues/{clue}", headers=bearer("custodian")),
            await client.post(
                f"/api/v1/clues/{clue}/classify",
                json={"category": "inquiry"},
                headers=bearer("custodian"),
            ),
            await client.post(
                f"/api/v1/clues/{clue}/escalate",
                json={"reason": "涉及市管干部"},
                headers=bearer("custodian"),
            ),
            await client.post(
                f"/api/v1/clues/{clue}/transfer",
                json={"department": "discipline_commission", "reason": "R2"},
                headers=bearer("custodian"),
            ),
        ]
    assert [r.status_code for r in responses] == [403] * 5
    assert all("informant_custodian" in r.json()["detail"] for r in responses)


async def test_the_custodian_may_not_write_or_read_rectification() -> None:
    issues = InMemoryIssueReadModel()
    handlers = rectification_handlers(InMemoryEventStore(), issues, now_utc)
    issue = uuid.uuid4()
    async with _client(lambda deps: rectification_router(handlers, deps)) as client:
        responses = [
            await client.post(
                "/api/v1/feedbacks",
                json={"jurisdiction": LINCHUAN, "unit": "某局", "issues": []},
                headers=bearer("custodian"),
            ),
            await client.post(
                f"/api/v1/rectifications/{issue}/reports",
                json={"kind": "progress", "content": "x"},
                headers=bearer("custodian"),
            ),
            await client.get(f"/api/v1/rectifications/{issue}", headers=bearer("custodian")),
            await client.get("/api/v1/rectifications", headers=bearer("custodian")),
        ]
    assert [r.status_code for r in responses] == [403] * 4
    assert all("informant_custodian" in r.json()["detail"] for r in responses)


@pytest.mark.parametrize("custodian", [CUSTODIAN, COUNTY_CUSTODIAN])
def test_the_custodian_may_not_acknowledge_or_read_reporting(custodian: Principal) -> None:
    for check in (
        lambda: ensure_feed_acker(custodian, Department.DISCIPLINE),
        lambda: ensure_feed_reader(custodian, Department.DISCIPLINE),
        lambda: linked_view_scope(custodian, None),
    ):
        with pytest.raises(DomainError) as info:
            check()
        assert info.value.status == 403
