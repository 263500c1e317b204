"""Intake's petitions: the petition's command handlers (HTTP) and the event handlers (Kafka
consumers) that follow the clues born from petitions.

Command handlers run the shared command loop (``xuncha_shared.aggregates``): load a stream, let
the pure model decide, and append with the expected version. Both commands need work inside the
unit of work before the decision (sealing, opening a reporter identity), so they use the loop's
``transaction`` and ``record`` steps rather than ``execute``.
Recording a petition seals the informant's identity (new per-person data key in
``informant_keys``), appends ``PetitionReceived`` and inserts the receipt row in ONE transaction:
either all three exist or none does, and only ciphertext reaches the events table and Kafka.

Reading a reporter's identity (the informant custodian only) decrypts it, then appends
``InformantIdentityRead`` (who = the envelope's actor, when = ``occurred_at``, why = ``reason``)
and commits, and only then hands the plaintext back: no identity leaves without its committed
read event. A read after the person's key was erased is recorded too (``key_erased``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID

from xuncha_shared.aggregates import Aggregates
from xuncha_shared.clocks.clock import local_day
from xuncha_shared.consumer import EventHandler, consumer_meta
from xuncha_shared.contracts.clues import (
    ClueAcknowledged,
    ClueDisposed,
    ClueEscalated,
    ClueRegistered,
    ClueTransferred,
    TransferResultReported,
)
from xuncha_shared.contracts.common import Channel
from xuncha_shared.contracts.intake import IdentityReadOutcome
from xuncha_shared.crypto import InformantVault, KeyErasedError
from xuncha_shared.domain import personal_numbers
from xuncha_shared.domain.commands import Meta
from xuncha_shared.domain.errors import InvalidCommand
from xuncha_shared.domain.personal_data import InformantIdentity, SummaryNumbers
from xuncha_shared.domain.principals import Principal
from xuncha_shared.envelope import Actor, EventEnvelope, EventPayload, now_utc
from xuncha_shared.eventstore import ConcurrencyError
from xuncha_shared.ids import uuid7
from xuncha_shared.metrics import IDENTITY_READS
from xuncha_shared.unit_of_work import transient

from xuncha_intake.adapters.receipts import Receipt, ReceiptRepository
from xuncha_intake.domain import model, notices
from xuncha_intake.domain.model import PETITION, Petition, ReceiptStatus

logger = logging.getLogger(__name__)

#: consumer group (and inbox name) that follows clue events to move receipts forward
RECEIPT_STATUS_CONSUMER = "intake.receipt-status"
#: appends of an identity read: the first, and one retry after a concurrent append
IDENTITY_READ_ATTEMPTS = 2


@dataclass(frozen=True)
class PetitionInput:
    jurisdiction: str
    unit: str
    channel: Channel
    summary: str
    round_id: str | None = None
    informant: InformantIdentity | None = None
    group_id: UUID | None = None
    unit_id: UUID | None = None


@dataclass(frozen=True)
class RecordedPetition:
    petition_id: UUID
    receipt_code: str
    envelope: EventEnvelope
    #: phone and ID numbers taken out of the summary and sealed with the identity (R11)
    sealed_numbers: int = 0


@dataclass(frozen=True)
class IdentityRead:
    """A committed read of what a petition sealed: its reporter's ``identity``, or an anonymous
    petition's summary ``numbers``; both ``None`` exactly when ``outcome`` is ``key_erased``.
    ``envelope`` is the committed ``InformantIdentityRead``."""

    petition_id: UUID
    outcome: IdentityReadOutcome
    identity: InformantIdentity | None
    envelope: EventEnvelope
    #: an anonymous petition's sealed summary numbers (``identity`` is then ``None``)
    numbers: SummaryNumbers | None = None

    @property
    def read_event_id(self) -> UUID:
        return self.envelope.event_id

    @property
    def read_at(self) -> datetime:
        return self.envelope.occurred_at

    def __repr__(self) -> str:  # never print personal data by accident
        return (
            f"IdentityRead(petition_id={self.petition_id}, outcome={self.outcome.value}, "
            f"read_event_id={self.read_event_id})"
        )


@dataclass(frozen=True)
class ReceiptView:
    status: ReceiptStatus

    @property
    def status_zh(self) -> str:
        return model.RECEIPT_STATUS_ZH[self.status]


def seal_summary_numbers(
    summary: str, informant: InformantIdentity | None
) -> tuple[str, InformantIdentity | None, SummaryNumbers | None]:
    """The summary as it may leave intake and what to seal with it (R11): a petition's phone
    and ID numbers move from the summary into the sealed identity (real name) or into sealed
    numbers of their own (anonymous), a mark in their place; a summary that cannot be recorded
    so is refused (422) naming the kinds found, never the numbers."""
    problem = personal_numbers.summary_problem(summary)
    if problem:
        raise InvalidCommand(problem)
    redaction = personal_numbers.redact(summary)
    if not redaction:
        return summary, informant, None
    if informant is None:
        return redaction.text, None, SummaryNumbers(summary_numbers=redaction.numbers)
    fields = informant.model_dump(exclude={"summary_numbers"})
    return (
        redaction.text,
        InformantIdentity(**fields, summary_numbers=redaction.numbers),
        None,
    )


@dataclass
class IntakeHandlers:
    petitions: Aggregates[Petition]
    receipts: ReceiptRepository
    vault: InformantVault
    #: the service's clock (what "today" is for a notice's date)
    now: Callable[[], datetime] = now_utc
    #: the server secret that keys receipt hashes (``XUNCHA_RECEIPT_KEY``; bootstrap loads it)
    receipt_key: bytes = model.DEV_RECEIPT_KEY

    def __post_init__(self) -> None:
        for outcome in IdentityReadOutcome:  # every series from 0 (a first read is an increase)
            IDENTITY_READS.add(0, {"service": "intake", "outcome": outcome.value})

    async def record_petition(self, data: PetitionInput, meta: Meta) -> RecordedPetition:
        # refuse bad input before anything is written (no key row, no event, no receipt)
        model.validate_jurisdiction(data.jurisdiction)
        summary, informant, numbers = seal_summary_numbers(data.summary, data.informant)
        petition_id = uuid7()
        code = model.new_receipt_code()
        code_hash = model.receipt_code_hash(code, self.receipt_key)
        cmd = model.RecordPetition(
            petition_id=petition_id,
            jurisdiction=data.jurisdiction,
            unit=data.unit,
            channel=data.channel,
            summary=summary,
            receipt_code_hash=code_hash,
            round_id=data.round_id,
            group_id=data.group_id,
            unit_id=data.unit_id,
        )
        state = PETITION.initial()  # a fresh id has no stream; the append enforces it
        async with self.petitions.transaction() as conn:
            sealed = await self.vault.seal(informant, conn=conn) if informant is not None else None
            sealed_numbers = await self.vault.seal(numbers, conn=conn) if numbers else None
            events = model.decide_record(state, cmd, sealed, sealed_numbers)
            [stored] = await self.petitions.record(conn, petition_id, state, events, meta)
            await self.receipts.add(
                conn,
                Receipt(
                    code_hash=code_hash, petition_id=petition_id, status=ReceiptStatus.RECEIVED
                ),
            )
        return RecordedPetition(
            petition_id=petition_id,
            receipt_code=code,
            envelope=stored,
            sealed_numbers=len(
                (informant.summary_numbers if informant else None)
                or (numbers.summary_numbers if numbers else ())
            ),
        )

    async def read_informant(
        self, petition_id: UUID, reason: str, reader: Principal, meta: Meta
    ) -> IdentityRead:
        """The informant custodian reads a petition's reporter identity, for ``reason``.

        Refuses (and records nothing) a bad reason (422), another role (403), an unknown
        petition (404), one outside ``reader``'s jurisdiction (403), an anonymous one (409).
        Otherwise decrypts, appends ``InformantIdentityRead`` at the stream's version and
        commits before returning; a concurrent append to the stream is retried once (then
        ``ConcurrencyError``). After crypto-shredding the read is recorded as ``key_erased``
        and no identity is returned. Other decryption failures (tampered ciphertext, a key
        wrapped by an unknown KEK) raise the vault's error and record nothing.
        """
        cmd = model.ReadIdentity(petition_id=petition_id, reason=model.validate_read_reason(reason))
        for attempt in range(1, IDENTITY_READ_ATTEMPTS + 1):
            state = await self.load(petition_id)
            sealed = model.identity_to_read(state, cmd, reader)
            assert state.jurisdiction is not None  # identity_to_read refuses unknown petitions
            identity: InformantIdentity | None = None
            numbers: SummaryNumbers | None = None
            try:
                async with self.petitions.transaction() as conn:
                    # the key is read (and locked) in the transaction that records the read: an
                    # erasure either happened before (key_erased) or waits until after the commit
                    try:
                        if state.has_informant:
                            identity = await self.vault.open(sealed, conn=conn)
                        else:  # an anonymous petition's numbers (R11)
                            numbers = await self.vault.open(sealed, conn=conn, model=SummaryNumbers)
                        outcome = IdentityReadOutcome.DISCLOSED
                    except KeyErasedError:
                        outcome = IdentityReadOutcome.KEY_ERASED
                    events = model.decide_identity_read(state, cmd, reader, outcome)
                    [stored] = await self.petitions.record(conn, petition_id, state, events, meta)
            except ConcurrencyError:
                if attempt == IDENTITY_READ_ATTEMPTS:
                    raise
                continue
            # committed: only now may the identity leave
            IDENTITY_READS.add(1, {"service": "intake", "outcome": outcome.value})
            logger.info(
                "informant identity read: petition %s by %s (%s), outcome %s, event %s",
                petition_id,
                meta.actor.principal_id,
                meta.actor.role,
                outcome.value,
                stored.event_id,
            )
            return IdentityRead(
                petition_id=petition_id,
                outcome=outcome,
                identity=identity,
                envelope=stored,
                numbers=numbers,
            )
        raise AssertionError("unreachable")  # pragma: no cover

    async def erase_informant(
        self, cmd: model.EraseIdentity, custodian: Principal, meta: Meta
    ) -> EventEnvelope:
        """Crypto-shred the petition's reporter identity (R23): the person's data key is
        destroyed in the transaction that appends ``InformantIdentityErased``, so either both
        happen or neither; reads afterwards answer 410 (and are still recorded). The same
        transaction cancels the retention clock (R23); when the deadline worker is erasing the
        same identity at that moment, this waits for it, or the database breaks the deadlock,
        and the retry finds the identity erased (409)."""
        for attempt in range(1, IDENTITY_READ_ATTEMPTS + 1):
            state = await self.load(cmd.petition_id)
            events = model.decide_identity_erasure(state, cmd, custodian)
            try:
                async with self.petitions.transaction() as conn:
                    sealed = state.sealed
                    assert sealed is not None  # decide refuses a petition that sealed nothing
                    await self.vault.erase(sealed.person_id, conn=conn)
                    [stored] = await self.petitions.record(
                        conn, cmd.petition_id, state, events, meta
                    )
            except Exception as exc:
                if not (isinstance(exc, ConcurrencyError) or transient(exc)):
                    raise
                if attempt == IDENTITY_READ_ATTEMPTS:
                    raise
                continue
            logger.info(
                "informant identity erased: petition %s by %s (%s), event %s",
                cmd.petition_id,
                meta.actor.principal_id,
                meta.actor.role,
                stored.event_id,
            )
            return stored
        raise AssertionError("unreachable")  # pragma: no cover

    async def notify(
        self, cmd: notices.NotifyInformant, notifier: Principal, today: date, meta: Meta
    ) -> Petition:
        """Record a notice to the petition's reporter (satisfies R8 for an acceptance). The
        petition was received on the day its first event occurred (China time)."""
        first = await self.petitions.store.read_stream(str(cmd.petition_id))
        received_on = local_day(first[0].occurred_at) if first else None
        return await self.petitions.execute(
            cmd.petition_id,
            lambda s: notices.decide_notify(s, cmd, notifier, today, received_on),
            meta,
        )

    async def load(self, petition_id: UUID) -> Petition:
        return await self.petitions.load(petition_id)

    async def receipt_status(self, code: str) -> ReceiptView | None:
        """The public status of a receipt code (``None`` for an unknown or malformed code)."""
        canonical = model.normalize_receipt_code(code)
        if canonical is None:
            return None
        receipt = await self.receipts.by_hash(
            None, model.receipt_code_hash(canonical, self.receipt_key)
        )
        if receipt is None:
            return None
        return ReceiptView(status=ReceiptStatus(receipt.status))

    async def petition_of_receipt(self, code: str) -> UUID | None:
        """The petition a receipt code was given for (``None`` for an unknown or malformed
        code): how the custodian finds a petition the reporter names by its code."""
        canonical = model.normalize_receipt_code(code)
        if canonical is None:
            return None
        receipt = await self.receipts.by_hash(
            None, model.receipt_code_hash(canonical, self.receipt_key)
        )
        return None if receipt is None else receipt.petition_id


# --- event handlers (consumers) ---------------------------------------------------------------


#: the receipt status each later clue event moves a petition's receipt to
_RECEIPT_STATUS_OF: dict[type[EventPayload], ReceiptStatus] = {
    ClueEscalated: ReceiptStatus.ESCALATED,
    ClueTransferred: ReceiptStatus.TRANSFERRED,
    ClueAcknowledged: ReceiptStatus.ACKNOWLEDGED,
    TransferResultReported: ReceiptStatus.RESULT_REPORTED,
    ClueDisposed: ReceiptStatus.DISPOSED,
}


def receipt_status_handler(receipts: ReceiptRepository) -> EventHandler:
    """Move a receipt forward as its petition's clue is registered, escalated, transferred.

    Runs in the consumer's transaction (with its inbox row). Statuses only advance, so an old
    event delivered late never moves a receipt back; events of clues not born from a petition
    (or from another deployment's petitions) are ignored.
    """

    async def handle(conn: Any, envelope: EventEnvelope, payload: EventPayload) -> None:
        if isinstance(payload, ClueRegistered):
            if payload.source_petition_id is None:
                return
            receipt = await receipts.by_petition(conn, payload.source_petition_id)
            if receipt is None:
                return
            receipt = replace(receipt, clue_id=payload.clue_id)
            new_status = ReceiptStatus.REGISTERED
        elif isinstance(payload, tuple(_RECEIPT_STATUS_OF)):
            receipt = await receipts.by_clue(conn, payload.clue_id)  # type: ignore[attr-defined]
            if receipt is None:
                return
            new_status = _RECEIPT_STATUS_OF[type(payload)]
        else:
            return
        if model.status_advances(receipt.status, new_status):
            receipt = replace(receipt, status=new_status)
        await receipts.update(conn, receipt)

    return handle


#: consumer group (and inbox name) following clue disposals for the R8 result notice
RESULT_NOTICE_CONSUMER = "intake.result-notices"
RESULT_NOTICE_ACTOR = Actor(principal_id=f"service:{RESULT_NOTICE_CONSUMER}", role="system")


def result_notice_handler(petitions: Aggregates[Petition]) -> EventHandler:
    """``clues.ClueDisposed`` of a petition's clue → ``intake.ClueDisposalLearned`` on the
    petition's stream, in the consumer's transaction; for a real-name petition it starts the
    R8 result-notice clock (``adapters.deadlines``). Clues born elsewhere are skipped."""

    async def handle(conn: Any, envelope: EventEnvelope, payload: EventPayload) -> None:
        if not isinstance(payload, ClueDisposed) or payload.source_petition_id is None:
            return
        cmd = notices.LearnClueDisposal(
            petition_id=payload.source_petition_id,
            clue_id=payload.clue_id,
            disposition=payload.disposition.value,
            disposed_on=payload.disposed_on,
        )
        await petitions.execute(
            cmd.petition_id,
            lambda s: notices.decide_learn_disposal(s, cmd),
            consumer_meta(envelope, RESULT_NOTICE_ACTOR),
            conn=conn,
        )

    return handle
