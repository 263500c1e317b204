"""Service layer of clues: command handlers (HTTP) and event handlers (Kafka consumers).

Every command runs the shared command loop (``xuncha_shared.aggregates``): load the clue's
stream, let the pure model decide, append with the version it read (a concurrent writer makes
the append fail with ``ConcurrencyError`` → 409) and update the ``clue_view`` read model in the
same transaction.

The consumer ``clues.register-from-petitions`` registers one clue per ``PetitionReceived``. The
clue id is derived from the petition id (uuid5), so a petition delivered twice (a relay replay,
a second consumer copy) still makes one clue: the inbox drops the duplicate event, and a stream
that already exists decides nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from xuncha_shared.aggregates import Aggregates
from xuncha_shared.clocks.clock import local_day
from xuncha_shared.consumer import EventHandler, consumer_meta
from xuncha_shared.contracts.clues import (
    AcknowledgementPath,
    clue_id_for_petition,
    clue_id_for_record,
)
from xuncha_shared.contracts.common import Department
from xuncha_shared.contracts.intake import RECORD_KIND_OF, IntakeRecordEvent, PetitionReceived
from xuncha_shared.contracts.reporting import ShareItemAcknowledged
from xuncha_shared.domain.commands import Meta
from xuncha_shared.domain.errors import DomainError
from xuncha_shared.envelope import Actor, EventEnvelope, EventPayload

from xuncha_clues.adapters.read_model import ClueReadModel
from xuncha_clues.domain import model, results
from xuncha_clues.domain.clue import Clue, Office, UnknownClue, unknown_clue_detail
from xuncha_clues.domain.commands import (
    AcknowledgeClue,
    ArchiveClue,
    ClassifyClue,
    DisposeClue,
    EscalateClue,
    RegisterClue,
    ReportResult,
    TransferClue,
    UrgeTransferResult,
    VerifyClue,
)
from xuncha_clues.domain.paper_dates import record_day
from xuncha_clues.domain.scope import RegisteringGroup

log = logging.getLogger("xuncha.clues")

#: consumer group (and inbox name) registering clues from petitions
REGISTER_CONSUMER = "clues.register-from-petitions"
#: the actor of events the service appends on its own, in reaction to another event
CONSUMER_ACTOR = Actor(principal_id=f"service:{REGISTER_CONSUMER}", role="system")


async def _no_clock() -> tuple[date, str] | None:
    """No R3 clock (handlers built without the deadlines table: the unit tests')."""
    return None


async def _no_group() -> RegisteringGroup | None:
    """No group known (handlers built without the groups' table: the unit tests')."""
    return None


@dataclass
class ClueHandlers:
    #: the clue aggregates (their command loop updates ``read_model``)
    clues: Aggregates[Clue]
    #: ``clue_view``, for the list
    read_model: ClueReadModel
    #: the service's clock (a test's clock moves it)
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    #: R3's clock for a clue, as the service has it (``adapters.deadlines``): its last day
    #: (recomputations included) and state; None: no clock
    result_clock: Callable[[UUID], Awaitable[tuple[date, str] | None]] = field(
        default=lambda _: _no_clock()
    )
    #: a group as clues knows it from intake's ``GroupFormed`` (``adapters.findings``); None:
    #: not known yet
    group_of: Callable[[UUID], Awaitable[RegisteringGroup | None]] = field(
        default=lambda _: _no_group()
    )

    async def load(self, clue_id: UUID) -> Clue:
        return await self.clues.load(clue_id)

    async def get(self, clue_id: UUID) -> Clue:
        state = await self.load(clue_id)
        if not state.exists:
            raise UnknownClue(unknown_clue_detail(clue_id))
        return state

    # --- commands -----------------------------------------------------------------------------

    async def register(
        self,
        cmd: RegisterClue,
        meta: Meta,
        *,
        conn: Any = None,
        group: RegisteringGroup | None = None,
    ) -> Clue:
        """``group``: the registering group as clues knows it (a direct registration's)."""
        today = self.today()
        return await self.clues.execute(
            cmd.clue_id, lambda s: model.decide_register(s, cmd, today, group), meta, conn=conn
        )

    async def classify(self, clue_id: UUID, cmd: ClassifyClue, office: Office, meta: Meta) -> Clue:
        return await self.clues.execute(
            clue_id, lambda s: model.decide_classify(s, cmd, office), meta
        )

    async def escalate(self, clue_id: UUID, cmd: EscalateClue, office: Office, meta: Meta) -> Clue:
        return await self.clues.execute(
            clue_id, lambda s: model.decide_escalate(s, cmd, office), meta
        )

    async def transfer(self, clue_id: UUID, cmd: TransferClue, office: Office, meta: Meta) -> Clue:
        today = self.today()
        return await self.clues.execute(
            clue_id, lambda s: model.decide_transfer(s, cmd, office, today), meta
        )

    async def verify(self, clue_id: UUID, cmd: VerifyClue, office: Office, meta: Meta) -> Clue:
        return await self.clues.execute(
            clue_id, lambda s: model.decide_verify(s, cmd, office), meta
        )

    async def acknowledge(
        self, clue_id: UUID, department: Department, meta: Meta, note: str | None = None
    ) -> Clue:
        """签收 with the department's token (the feed item is the transfer event's)."""
        transfer_event_id = await self.read_model.transfer_event_id(clue_id)
        if transfer_event_id is None:  # never transferred: the model answers for the state
            transfer_event_id = clue_id
        cmd = AcknowledgeClue(department, AcknowledgementPath.DIRECT, transfer_event_id, note=note)
        return await self.clues.execute(clue_id, lambda s: results.decide_acknowledge(s, cmd), meta)

    async def report_result(self, clue_id: UUID, cmd: ReportResult, meta: Meta) -> Clue:
        today = local_day(self.now())
        return await self.clues.execute(
            clue_id, lambda s: results.decide_report_result(s, cmd, today), meta
        )

    async def urge(self, clue_id: UUID, note: str, office: Office, meta: Meta) -> Clue:
        """催办 (R27), naming R3's last day as the clue's clock has it."""
        today = self.today()
        clock = await self.result_clock(clue_id)
        cmd = UrgeTransferResult(note=note, due_date=clock[0] if clock else None)
        return await self.clues.execute(
            clue_id, lambda s: results.decide_urge(s, cmd, office, today), meta
        )

    async def dispose(self, clue_id: UUID, cmd: DisposeClue, office: Office, meta: Meta) -> Clue:
        return await self.clues.execute(
            clue_id, lambda s: model.decide_dispose(s, cmd, office), meta
        )

    async def archive(self, clue_id: UUID, cmd: ArchiveClue, office: Office, meta: Meta) -> Clue:
        return await self.clues.execute(
            clue_id, lambda s: model.decide_archive(s, cmd, office), meta
        )

    def today(self) -> date:
        return local_day(self.now())


# --- event handlers (consumers) ---------------------------------------------------------------


def register_from_petitions(handlers: ClueHandlers) -> EventHandler:
    """``PetitionReceived`` → ``ClueRegistered`` (deterministic clue id), in the consumer's
    transaction, caused by the petition event and in its correlation."""

    async def handle(conn: Any, envelope: EventEnvelope, payload: EventPayload) -> None:
        if not isinstance(payload, PetitionReceived):
            return
        cmd = RegisterClue(
            clue_id=clue_id_for_petition(payload.petition_id),
            jurisdiction=payload.jurisdiction,
            unit=payload.unit,
            summary=payload.summary,
            source_event_id=envelope.event_id,
            source_petition_id=payload.petition_id,
            round_id=payload.round_id,
            source_channel=payload.channel.value,
            group_id=payload.group_id,
            unit_id=payload.unit_id,
        )
        await handlers.register(cmd, consumer_meta(envelope, CONSUMER_ACTOR), conn=conn)

    return handle


#: consumer group (and inbox name) registering the clues intake records bring
REGISTER_FROM_RECORDS_CONSUMER = "clues.register-from-records"
RECORDS_ACTOR = Actor(principal_id=f"service:{REGISTER_FROM_RECORDS_CONSUMER}", role="system")


def register_from_records(handlers: ClueHandlers) -> EventHandler:
    """Each clue of an intake record (talk, survey, referral …) → ``ClueRegistered`` with the
    id ``clue_id_for_record(record_id, index)`` and the record's kind as its source channel, in
    the consumer's transaction: a record delivered twice still makes each clue once."""

    async def handle(conn: Any, envelope: EventEnvelope, payload: EventPayload) -> None:
        if not isinstance(payload, IntakeRecordEvent):
            return
        channel = RECORD_KIND_OF[payload.event_type].value
        meta = consumer_meta(envelope, RECORDS_ACTOR)
        # a talk (survey, referral …) entered days later: its clues are registered on the
        # record's day, as on paper (R26), when that day is one a 补录 may name
        registered_on = record_day(payload.occurred_on, handlers.today())
        for index, clue in enumerate(payload.clues):
            cmd = RegisterClue(
                clue_id=clue_id_for_record(payload.record_id, index),
                jurisdiction=payload.jurisdiction,
                unit=payload.unit,
                summary=clue.summary,
                source_event_id=envelope.event_id,
                round_id=str(payload.round_id),
                source_record_id=payload.record_id,
                source_channel=channel,
                group_id=payload.group_id,
                unit_id=payload.unit_id,
                registered_on=registered_on,
            )
            await handlers.register(cmd, meta, conn=conn)

    return handle


#: consumer group (and inbox name) following the departments' 签收 in reporting's feeds
FEED_ACK_CONSUMER = "clues.feed-acknowledgements"


def acknowledge_from_feed(handlers: ClueHandlers) -> EventHandler:
    """``reporting.ShareItemAcknowledged`` of a clue's feed item (its ``source_event_id`` is the
    ``ClueTransferred`` event) → ``ClueAcknowledged`` via the feed, in the consumer's
    transaction; a clue acknowledged already (directly, or by this event redelivered) decides
    nothing (R3). Items of other kinds (an issue fed back) name no clue and are skipped."""

    async def handle(conn: Any, envelope: EventEnvelope, payload: EventPayload) -> None:
        if not isinstance(payload, ShareItemAcknowledged):
            return
        clue_id = await handlers.read_model.clue_of_transfer(conn, payload.source_event_id)
        if clue_id is None:
            return
        cmd = AcknowledgeClue(
            department=payload.department,
            via=AcknowledgementPath.FEED,
            transfer_event_id=payload.source_event_id,
            feed_ack_event_id=envelope.event_id,
            note=payload.note,
        )
        meta = consumer_meta(envelope, envelope.actor)  # the department that signed
        try:
            await handlers.clues.execute(
                clue_id, lambda s: results.decide_acknowledge(s, cmd), meta, conn=conn
            )
        except DomainError as refused:  # not the clue's department: nothing to acknowledge
            log.warning(
                "feed acknowledgement %s of clue %s refused: %s",
                envelope.event_id,
                clue_id,
                refused,
            )

    return handle
