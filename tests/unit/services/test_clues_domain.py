"""clues: the clue aggregate (R2 routes, R12 escalation) and the service layer in memory."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

import pytest
from xuncha_clues.domain import model
from xuncha_clues.domain.clue import Clue, ClueStatus, Office, UnknownClue
from xuncha_clues.domain.commands import ClassifyClue, EscalateClue, RegisterClue, TransferClue
from xuncha_clues.domain.routing import (
    allowed_departments,
    is_leading_cadre,
    suggested_departments,
)
from xuncha_clues.handlers import (
    CONSUMER_ACTOR,
    ClueHandlers,
    register_from_petitions,
)
from xuncha_shared.contracts import REGISTRY
from xuncha_shared.contracts.clues import (
    CadreLevel,
    ClueCategory,
    ClueClassified,
    ClueEscalated,
    ClueRegistered,
    ClueTransferred,
    clue_id_for_petition,
)
from xuncha_shared.contracts.common import Channel, Department
from xuncha_shared.contracts.intake import PetitionReceived
from xuncha_shared.domain.commands import Meta
from xuncha_shared.domain.errors import NotAllowed
from xuncha_shared.envelope import Actor, EventEnvelope
from xuncha_shared.eventstore import ConcurrencyError, NewEvent
from xuncha_shared.eventstore.base import seal_events

from tests.support.fakes import (
    InMemoryClueReadModel,
    InMemoryEventStore,
    fake_aggregates,
)

CITY = "361000"
LINCHUAN = "361002"
NANCHENG = "361021"
COUNTY = Office(jurisdiction=LINCHUAN, city_wide=False)
OTHER_COUNTY = Office(jurisdiction=NANCHENG, city_wide=False)
CITY_OFFICE = Office(jurisdiction=CITY, city_wide=True)
ACTOR = Actor(principal_id="county-1", role="county_admin")


def registered(jurisdiction: str = LINCHUAN) -> Clue:
    cmd = RegisterClue(
        clue_id=uuid.uuid4(), jurisdiction=jurisdiction, unit="临川区某局", summary="违规发放津补贴"
    )
    return model.replay(model.decide_register(Clue(), cmd))


def apply(state: Clue, events: list) -> Clue:  # type: ignore[type-arg]
    for event in events:
        model.evolve(state, event)
    return state


def classified(
    *, city_managed: bool = False, counties: tuple[str, ...] = (), topics: tuple[str, ...] = ()
) -> Clue:
    state = registered()
    cmd = ClassifyClue(
        category=ClueCategory.FURTHER_INQUIRY,
        cadre_level=CadreLevel.SECTION,
        city_managed=city_managed,
        counties=counties,
        topics=topics,
    )
    return apply(state, model.decide_classify(state, cmd, COUNTY))


# ---- ids and registration --------------------------------------------------------------------


def test_clue_id_is_deterministic_per_petition() -> None:
    petition = uuid.uuid4()
    assert clue_id_for_petition(petition) == clue_id_for_petition(petition)
    assert clue_id_for_petition(petition) != clue_id_for_petition(uuid.uuid4())


def test_register_is_idempotent() -> None:
    state = registered()
    assert state.status is ClueStatus.REGISTERED
    assert state.clue_id is not None
    cmd = RegisterClue(clue_id=state.clue_id, jurisdiction=LINCHUAN, unit="x", summary="y")
    assert model.decide_register(state, cmd) == []


def test_register_refuses_unknown_jurisdiction() -> None:
    cmd = RegisterClue(clue_id=uuid.uuid4(), jurisdiction="999999", unit="x", summary="y")
    with pytest.raises(model.InvalidCommand, match="unknown jurisdiction"):
        model.decide_register(Clue(), cmd)


# ---- classification --------------------------------------------------------------------------


def test_classify_records_category_and_flags() -> None:
    state = classified(city_managed=True, counties=(NANCHENG, LINCHUAN, NANCHENG), topics=("四风",))
    assert state.status is ClueStatus.CLASSIFIED
    assert state.counties == [LINCHUAN, NANCHENG]
    assert state.needs_escalation


@pytest.mark.parametrize("bad", ["999999", CITY, "341102"])
def test_classify_refuses_unknown_or_non_county_codes(bad: str) -> None:
    state = registered()
    with pytest.raises(model.InvalidCommand) as info:
        model.decide_classify(
            state, ClassifyClue(category=ClueCategory.INQUIRY, counties=(bad,)), COUNTY
        )
    assert info.value.status == 422


def test_classify_by_another_county_is_forbidden() -> None:
    with pytest.raises(NotAllowed):
        model.decide_classify(
            registered(), ClassifyClue(category=ClueCategory.INQUIRY), OTHER_COUNTY
        )


def test_city_office_may_classify_county_clues() -> None:
    state = registered()
    [event] = model.decide_classify(
        state, ClassifyClue(category=ClueCategory.REFERENCE), CITY_OFFICE
    )
    assert isinstance(event, ClueClassified)


# ---- R12 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("city_managed", "counties", "needs"),
    [
        (False, (), False),
        (False, (LINCHUAN,), False),
        (True, (), True),
        (False, (NANCHENG,), True),  # the home county and another one
        (False, (LINCHUAN, NANCHENG), True),
    ],
)
def test_needs_escalation(city_managed: bool, counties: tuple[str, ...], needs: bool) -> None:
    assert classified(city_managed=city_managed, counties=counties).needs_escalation is needs


def test_city_clues_never_need_escalation() -> None:
    state = registered(CITY)
    cmd = ClassifyClue(category=ClueCategory.INQUIRY, city_managed=True)
    apply(state, model.decide_classify(state, cmd, CITY_OFFICE))
    assert not state.needs_escalation
    with pytest.raises(model.RuleViolation, match="already the city office"):
        model.decide_escalate(state, EscalateClue(reason="x"), CITY_OFFICE)


def test_county_cannot_transfer_city_managed_clue_before_escalation() -> None:
    state = classified(city_managed=True, topics=("四风",))
    with pytest.raises(model.RuleViolation, match="escalated to the city office") as info:
        model.decide_transfer(state, TransferClue(Department.DISCIPLINE, "R2"), COUNTY)
    assert info.value.status == 409
    assert "市管干部" in info.value.detail


def test_multi_county_clue_cannot_be_transferred_by_anyone_before_escalation() -> None:
    state = classified(counties=(LINCHUAN, NANCHENG))
    for office in (COUNTY, CITY_OFFICE):
        with pytest.raises(model.RuleViolation, match="spans counties"):
            model.decide_transfer(state, TransferClue(Department.AUDIT, "x"), office)


def test_escalation_hands_the_clue_to_the_city() -> None:
    state = classified(city_managed=True, topics=("四风",))
    [event] = model.decide_escalate(state, EscalateClue(reason="涉及市管干部"), COUNTY)
    assert isinstance(event, ClueEscalated)
    assert (event.from_jurisdiction, event.to_jurisdiction) == (LINCHUAN, CITY)
    assert model.event_jurisdiction(state, event) == LINCHUAN
    apply(state, [event])
    assert state.status is ClueStatus.ESCALATED
    assert state.owner == CITY
    # the county sees a stub only and can no longer act
    assert not state.visible_in_full_to(COUNTY)
    assert state.visible_in_full_to(CITY_OFFICE)
    with pytest.raises(NotAllowed, match="escalated"):
        model.decide_transfer(state, TransferClue(Department.DISCIPLINE, "x"), COUNTY)
    with pytest.raises(NotAllowed):
        model.decide_escalate(state, EscalateClue(reason="again"), COUNTY)
    with pytest.raises(model.RuleViolation, match="already escalated"):
        model.decide_escalate(state, EscalateClue(reason="again"), CITY_OFFICE)
    # the city transfers; its events carry the city's jurisdiction
    [transfer] = model.decide_transfer(
        state, TransferClue(Department.DISCIPLINE, "R2"), CITY_OFFICE
    )
    assert isinstance(transfer, ClueTransferred)
    assert transfer.jurisdiction == CITY
    assert model.event_jurisdiction(state, transfer) == CITY


def test_escalate_by_another_county_is_forbidden() -> None:
    with pytest.raises(NotAllowed):
        model.decide_escalate(classified(city_managed=True), EscalateClue("x"), OTHER_COUNTY)


# ---- transfer and R2 -------------------------------------------------------------------------


def test_transfer_requires_classification() -> None:
    with pytest.raises(model.RuleViolation, match="classified"):
        model.decide_transfer(registered(), TransferClue(Department.DISCIPLINE, "x"), COUNTY)


def test_transfer_happy_path_and_no_second_transfer() -> None:
    state = classified(topics=("四风", "微腐败"))
    [event] = model.decide_transfer(state, TransferClue(Department.DISCIPLINE, "作风问题"), COUNTY)
    assert isinstance(event, ClueTransferred)
    assert (event.jurisdiction, event.unit, event.summary) == (LINCHUAN, state.unit, state.summary)
    apply(state, [event])
    assert state.status is ClueStatus.TRANSFERRED
    with pytest.raises(model.RuleViolation, match="already transferred") as info:
        model.decide_transfer(state, TransferClue(Department.ORGANISATION, "again"), COUNTY)
    assert info.value.status == 409
    with pytest.raises(model.RuleViolation):
        model.decide_classify(state, ClassifyClue(category=ClueCategory.INQUIRY), COUNTY)
    with pytest.raises(model.RuleViolation):
        model.decide_escalate(state, EscalateClue("late"), COUNTY)


@pytest.mark.parametrize(
    ("topics", "department", "ok"),
    [
        (("民主集中制",), Department.ORGANISATION, True),
        (("民主集中制",), Department.AUDIT, False),
        (("选人用人",), Department.DISCIPLINE, False),
        (("四风",), Department.DISCIPLINE, True),
        (("四风",), Department.ORGANISATION, False),
        (("四风", "选人用人"), Department.ORGANISATION, True),
        (("四风", "选人用人"), Department.FINANCE, False),
        (("惠民资金",), Department.FINANCE, True),
        (("惠民资金",), Department.AUDIT, True),  # no fixed Art. 28 route: office decides
        (("四风", "惠民资金"), Department.AUDIT, True),
        ((), Department.PETITIONS, True),
    ],
)
def test_r2_routes(topics: tuple[str, ...], department: Department, ok: bool) -> None:
    state = classified(topics=topics)
    if ok:
        assert model.decide_transfer(state, TransferClue(department, "r"), COUNTY)
    else:
        with pytest.raises(model.InvalidCommand, match=r"Art\. 28") as info:
            model.decide_transfer(state, TransferClue(department, "r"), COUNTY)
        assert info.value.status == 422


def test_suggested_departments_follow_r2_order() -> None:
    assert suggested_departments(["惠民资金", "选人用人", "四风"]) == [
        Department.DISCIPLINE,
        Department.ORGANISATION,
        Department.FINANCE,
    ]
    assert allowed_departments(["惠民资金"]) is None
    assert allowed_departments([]) is None


def test_a_leading_cadres_clue_is_suggested_to_the_discipline_commission_too() -> None:
    assert suggested_departments(["惠民资金"], leading_cadre=True) == [
        Department.DISCIPLINE,
        Department.FINANCE,
    ]
    # a route Art. 28 fixes stays as it is: nothing suggested that a transfer would be refused
    assert suggested_departments(["选人用人"], leading_cadre=True) == [Department.ORGANISATION]
    assert allowed_departments(["选人用人"]) == [Department.ORGANISATION]
    assert suggested_departments([], leading_cadre=True) == []  # no topic yet: no route
    assert is_leading_cadre("division", False) and is_leading_cadre(None, True)
    assert not is_leading_cadre("section", False) and not is_leading_cadre(None, False)


# ---- service layer with in-memory fakes -----------------------------------------------------


def _petition_envelope(jurisdiction: str = LINCHUAN) -> tuple[EventEnvelope, PetitionReceived]:
    pid = uuid.uuid4()
    payload = PetitionReceived(
        petition_id=pid,
        jurisdiction=jurisdiction,
        unit="临川区某局",
        channel=Channel.LETTER,
        summary="反映某局违规发放津补贴问题",
        receipt_code_hash=hashlib.sha256(pid.bytes).hexdigest(),
        round_id="4-7",
    )
    [sealed] = seal_events(
        "petition",
        str(pid),
        1,
        "0" * 64,
        [
            NewEvent(
                payload,
                jurisdiction,
                Actor(principal_id="intake-user", role="county_admin"),
                traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            )
        ],
        datetime.now(UTC),
    )
    return sealed, payload


def _handlers() -> tuple[ClueHandlers, InMemoryEventStore, InMemoryClueReadModel]:
    store, views = InMemoryEventStore(), InMemoryClueReadModel()
    return ClueHandlers(fake_aggregates(model.CLUE, store, views), views), store, views


async def test_register_from_petition_is_idempotent_and_caused_by_it() -> None:
    handlers, store, views = _handlers()
    handle = register_from_petitions(handlers)
    envelope, payload = _petition_envelope()
    await handle(None, envelope, payload)
    await handle(None, envelope, payload)  # a redelivery past the inbox decides nothing
    clue_id = clue_id_for_petition(payload.petition_id)
    [stored] = await store.read_stream(str(clue_id))
    assert stored.event_type == "clues.ClueRegistered"
    assert stored.stream_type == "clue"
    assert stored.jurisdiction == LINCHUAN
    assert stored.causation_id == envelope.event_id
    assert stored.correlation_id == envelope.correlation_id
    assert stored.traceparent == envelope.traceparent
    assert stored.actor == CONSUMER_ACTOR
    event = REGISTRY.decode(stored)
    assert isinstance(event, ClueRegistered)
    assert event.source_petition_id == payload.petition_id
    assert event.source_event_id == envelope.event_id
    assert event.round_id == "4-7"
    [row] = await views.list(LINCHUAN)
    assert row.clue_id == clue_id
    assert row.status == "registered"


async def test_service_layer_classify_escalate_transfer() -> None:
    handlers, store, views = _handlers()
    envelope, payload = _petition_envelope()
    await register_from_petitions(handlers)(None, envelope, payload)
    clue_id = clue_id_for_petition(payload.petition_id)
    meta = Meta(actor=ACTOR, correlation_id=uuid.uuid4())
    state = await handlers.classify(
        clue_id,
        ClassifyClue(category=ClueCategory.FURTHER_INQUIRY, city_managed=True, topics=("四风",)),
        COUNTY,
        meta,
    )
    assert state.version == 2
    with pytest.raises(model.RuleViolation):
        await handlers.transfer(clue_id, TransferClue(Department.DISCIPLINE, "x"), COUNTY, meta)
    await handlers.escalate(clue_id, EscalateClue("市管干部"), COUNTY, meta)
    city_meta = Meta(actor=Actor(principal_id="city-1", role="city_admin"))
    state = await handlers.transfer(
        clue_id, TransferClue(Department.DISCIPLINE, "移交纪委监委"), CITY_OFFICE, city_meta
    )
    assert state.status is ClueStatus.TRANSFERRED
    envelopes = await store.read_stream(str(clue_id))
    assert [e.event_type for e in envelopes] == [
        "clues.ClueRegistered",
        "clues.ClueClassified",
        "clues.ClueEscalated",
        "clues.ClueTransferred",
    ]
    assert [e.jurisdiction for e in envelopes] == [LINCHUAN, LINCHUAN, LINCHUAN, CITY]
    assert envelopes[1].correlation_id == meta.correlation_id
    assert envelopes[3].actor.role == "city_admin"
    assert (await handlers.load(clue_id)).registered_at == envelopes[0].recorded_at
    # the list: the county sees its clue (as a stub, see the API), the city finds it by owner
    [row] = await views.list(CITY)
    assert (row.owner, row.status, row.department) == (CITY, "transferred", "discipline_commission")
    assert [r.clue_id for r in await views.list(LINCHUAN)] == [clue_id]
    assert [r.clue_id for r in await views.list("3610__")] == [clue_id]
    assert await views.list(NANCHENG) == []


async def test_unknown_clue_is_404() -> None:
    handlers, *_ = _handlers()
    with pytest.raises(UnknownClue) as info:
        await handlers.get(uuid.uuid4())
    assert info.value.status == 404
    with pytest.raises(UnknownClue):
        await handlers.classify(
            uuid.uuid4(), ClassifyClue(category=ClueCategory.INQUIRY), COUNTY, Meta(actor=ACTOR)
        )


async def test_concurrent_change_is_a_concurrency_error() -> None:
    handlers, store, _ = _handlers()
    envelope, payload = _petition_envelope()
    await register_from_petitions(handlers)(None, envelope, payload)
    clue_id = clue_id_for_petition(payload.petition_id)
    state = await handlers.load(clue_id)
    # someone else classifies in between our read and our append
    await handlers.classify(
        clue_id, ClassifyClue(category=ClueCategory.INQUIRY), COUNTY, Meta(ACTOR)
    )
    events = model.decide_classify(state, ClassifyClue(category=ClueCategory.REFERENCE), COUNTY)
    with pytest.raises(ConcurrencyError):
        await store.append(
            "clue", str(clue_id), state.version, [NewEvent(events[0], LINCHUAN, ACTOR)]
        )


def test_a_new_topic_is_a_short_name_and_a_clues_own_stays() -> None:
    """A topic newly given is at most 30 characters (422); one the clue already has (recorded
    before the limit) does not stop it being classified again."""
    long = "违" * 31
    with pytest.raises(model.InvalidCommand) as info:
        model.decide_classify(
            registered(), ClassifyClue(category=ClueCategory.INQUIRY, topics=(long,)), COUNTY
        )
    assert info.value.status == 422 and "过长" in str(info.value)
    state = registered()
    state.topics = [long]  # as a clue classified before the limit holds it
    [event] = model.decide_classify(
        state, ClassifyClue(category=ClueCategory.FURTHER_INQUIRY, topics=(long, "四风")), COUNTY
    )
    assert event.topics == [long, "四风"]
