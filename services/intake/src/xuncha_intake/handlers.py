"""Service layer of intake: command handlers (HTTP) and event handlers (Kafka consumers).

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
from xuncha_shared.crypto import InformantIdentity, InformantVault, KeyErasedError
from xuncha_shared.domain.commands import Meta
from xuncha_shared.domain.principals import Principal
from xuncha_shared.envelope import Actor, EventEnvelope, EventPayload, now_utc
from xuncha_shared.eventstore import ConcurrencyError
from xuncha_shared.ids import uuid7
from xuncha_shared.metrics import IDENTITY_READS

from xuncha_intake.adapters.groups import SqlGroups, SqlIntakeRecords, SqlPoolMembers
from xuncha_intake.adapters.planning import SqlLinkagePlans, SqlRounds, SqlUnits
from xuncha_intake.adapters.receipts import Receipt, ReceiptRepository
from xuncha_intake.domain import cadence, groups, model, planning, records, walk_ins
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


@dataclass(frozen=True)
class IdentityRead:
    """A committed read of a petition's reporter identity. ``identity`` is ``None`` exactly when
    ``outcome`` is ``key_erased``; ``envelope`` is the committed ``InformantIdentityRead``."""

    petition_id: UUID
    outcome: IdentityReadOutcome
    identity: InformantIdentity | None
    envelope: EventEnvelope

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


@dataclass
class IntakeHandlers:
    petitions: Aggregates[Petition]
    receipts: ReceiptRepository
    vault: InformantVault
    #: the service's clock (what "today" is for a notice's date)
    now: Callable[[], datetime] = now_utc
    #: the server secret that keys receipt hashes (``XUNCHA_RECEIPT_KEY``; bootstrap loads it)
    receipt_key: bytes = model.DEV_RECEIPT_KEY

    async def record_petition(self, data: PetitionInput, meta: Meta) -> RecordedPetition:
        # refuse bad input before anything is written (no key row, no event, no receipt)
        model.validate_jurisdiction(data.jurisdiction)
        petition_id = uuid7()
        code = model.new_receipt_code()
        code_hash = model.receipt_code_hash(code, self.receipt_key)
        cmd = model.RecordPetition(
            petition_id=petition_id,
            jurisdiction=data.jurisdiction,
            unit=data.unit,
            channel=data.channel,
            summary=data.summary,
            receipt_code_hash=code_hash,
            round_id=data.round_id,
            group_id=data.group_id,
            unit_id=data.unit_id,
        )
        state = PETITION.initial()  # a fresh id has no stream; the append enforces it
        async with self.petitions.transaction() as conn:
            sealed = (
                await self.vault.seal(data.informant, conn=conn)
                if data.informant is not None
                else None
            )
            events = model.decide_record(state, cmd, sealed)
            [stored] = await self.petitions.record(conn, petition_id, state, events, meta)
            await self.receipts.add(
                conn,
                Receipt(
                    code_hash=code_hash, petition_id=petition_id, status=ReceiptStatus.RECEIVED
                ),
            )
        return RecordedPetition(petition_id=petition_id, receipt_code=code, envelope=stored)

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
            identity: InformantIdentity | None
            try:
                async with self.petitions.transaction() as conn:
                    # the key is read (and locked) in the transaction that records the read: an
                    # erasure either happened before (key_erased) or waits until after the commit
                    try:
                        identity = await self.vault.open(sealed, conn=conn)
                        outcome = IdentityReadOutcome.DISCLOSED
                    except KeyErasedError:
                        identity, outcome = None, IdentityReadOutcome.KEY_ERASED
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
                petition_id=petition_id, outcome=outcome, identity=identity, envelope=stored
            )
        raise AssertionError("unreachable")  # pragma: no cover

    async def erase_informant(
        self, cmd: model.EraseIdentity, custodian: Principal, meta: Meta
    ) -> EventEnvelope:
        """Crypto-shred the petition's reporter identity (R23): the person's data key is
        destroyed in the transaction that appends ``InformantIdentityErased``, so either both
        happen or neither; reads afterwards answer 410 (and are still recorded)."""
        for attempt in range(1, IDENTITY_READ_ATTEMPTS + 1):
            state = await self.load(cmd.petition_id)
            events = model.decide_identity_erasure(state, cmd, custodian)
            try:
                async with self.petitions.transaction() as conn:
                    assert state.informant is not None  # decide refuses anonymous petitions
                    await self.vault.erase(state.informant.person_id, conn=conn)
                    [stored] = await self.petitions.record(
                        conn, cmd.petition_id, state, events, meta
                    )
            except ConcurrencyError:
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
        self, cmd: model.NotifyInformant, notifier: Principal, today: date, meta: Meta
    ) -> Petition:
        """Record a notice to the petition's reporter (satisfies R8 for an acceptance)."""
        return await self.petitions.execute(
            cmd.petition_id, lambda s: model.decide_notify(s, cmd, notifier, today), meta
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
        cmd = model.LearnClueDisposal(
            petition_id=payload.source_petition_id,
            clue_id=payload.clue_id,
            disposition=payload.disposition.value,
            disposed_on=payload.disposed_on,
        )
        await petitions.execute(
            cmd.petition_id,
            lambda s: model.decide_learn_disposal(s, cmd),
            consumer_meta(envelope, RESULT_NOTICE_ACTOR),
            conn=conn,
        )

    return handle


# --- step 1: inspected units, term plans, linkage plans, rounds -------------------------------


@dataclass
class PlanningHandlers:
    """Commands of step 1. Facts of other aggregates (registered units, the term plan, a parent
    linkage plan) are read first and handed to the pure decision."""

    units: Aggregates[planning.Unit]
    term_plans: Aggregates[planning.TermPlan]
    linkage_plans: Aggregates[planning.LinkagePlan]
    rounds: Aggregates[planning.Round]
    unit_table: SqlUnits
    round_table: SqlRounds
    linkage_table: SqlLinkagePlans

    async def register_unit(self, cmd: planning.RegisterUnit, meta: Meta) -> planning.Unit:
        return await self.units.execute(
            cmd.unit_id, lambda s: planning.decide_register_unit(s, cmd), meta
        )

    async def adopt_term_plan(self, cmd: planning.AdoptTermPlan, meta: Meta) -> planning.TermPlan:
        facts = await self.unit_table.facts(cmd.unit_ids)
        return await self.term_plans.execute(
            cmd.term_plan_id, lambda s: planning.decide_adopt_term_plan(s, cmd, facts), meta
        )

    async def issue_linkage_plan(
        self, cmd: planning.IssueLinkagePlan, meta: Meta
    ) -> planning.LinkagePlan:
        cmd = replace(cmd, linkage_plan_id=uuid7())
        parent = (
            await self.linkage_plans.load(cmd.parent_plan_id)
            if cmd.parent_plan_id is not None
            else None
        )
        return await self.linkage_plans.execute(
            cmd.linkage_plan_id,
            lambda s: planning.decide_issue_linkage_plan(s, cmd, parent),
            meta,
        )

    async def provide_counterpart_report(
        self, plan_id: UUID, cmd: planning.ProvideCounterpartReport, meta: Meta
    ) -> planning.LinkagePlan:
        facts = await self.unit_table.facts([cmd.unit_id, cmd.counterpart_unit_id])
        return await self.linkage_plans.execute(
            plan_id, lambda s: planning.decide_counterpart_report(s, plan_id, cmd, facts), meta
        )

    async def load_linkage_plan(self, plan_id: UUID) -> planning.LinkagePlan:
        return await self.linkage_plans.load(plan_id)

    async def plan_round(self, cmd: planning.PlanRound, meta: Meta) -> planning.Round:
        term_plan = await self.term_plans.load(
            planning.term_plan_id_for(cmd.jurisdiction, cmd.term_no)
        )
        linkage = (
            await self.linkage_plans.load(cmd.linkage_plan_id)
            if cmd.linkage_plan_id is not None
            else None
        )
        return await self.rounds.execute(
            cmd.round_id, lambda s: planning.decide_plan_round(s, cmd, term_plan, linkage), meta
        )

    async def load_round(self, round_id: UUID) -> planning.Round:
        return await self.rounds.load(round_id)

    async def assign_units(
        self, round_id: UUID, cmd: planning.AssignUnits, meta: Meta
    ) -> planning.Round:
        facts = await self.unit_table.facts([u.unit_id for u in cmd.units])
        return await self.rounds.execute(
            round_id, lambda s: planning.decide_assign_units(s, round_id, cmd, facts), meta
        )

    async def authorise_round(
        self, round_id: UUID, cmd: planning.AuthoriseRound, meta: Meta
    ) -> planning.Round:
        return await self.rounds.execute(
            round_id, lambda s: planning.decide_authorise(s, round_id, cmd), meta
        )

    async def close_round(self, round_id: UUID, meta: Meta) -> planning.Round:
        return await self.rounds.execute(
            round_id, lambda s: planning.decide_close(s, round_id), meta
        )


# --- steps 2 and 3: the talent pool, groups, stationing ---------------------------------------


@dataclass
class GroupHandlers:
    """Commands of steps 2 and 3. ``stationing_term(starts_on)`` is rule R14 on the working-day
    calendar; ``today()`` the date in China Standard Time."""

    pool_members: Aggregates[groups.PoolMember]
    inspection_groups: Aggregates[groups.Group]
    rounds: Aggregates[planning.Round]
    unit_table: SqlUnits
    member_table: SqlPoolMembers
    group_table: SqlGroups
    stationing_term: Callable[[date], groups.StationingTerm]
    today: Callable[[], date]
    intake_records: Aggregates[records.IntakeRecord]
    record_table: SqlIntakeRecords

    async def enrol(self, cmd: groups.EnrolMember, meta: Meta) -> groups.PoolMember:
        cmd = replace(cmd, member_id=uuid7())
        home = (await self.unit_table.facts([cmd.home_unit_id])).get(cmd.home_unit_id)
        return await self.pool_members.execute(
            cmd.member_id, lambda s: groups.decide_enrol(s, cmd, home), meta
        )

    async def load_member(self, member_id: UUID) -> groups.PoolMember:
        return await self.pool_members.load(member_id)

    async def retire(self, member_id: UUID, meta: Meta) -> groups.PoolMember:
        return await self.pool_members.execute(
            member_id, lambda s: groups.decide_retire(s, member_id), meta
        )

    async def declare_recusal(
        self, member_id: UUID, cmd: groups.DeclareRecusal, meta: Meta
    ) -> groups.PoolMember:
        unit = (await self.unit_table.facts([cmd.unit_id])).get(cmd.unit_id)
        return await self.pool_members.execute(
            member_id, lambda s: groups.decide_recusal(s, member_id, cmd, unit), meta
        )

    async def form_group(self, cmd: groups.FormGroup, meta: Meta) -> groups.Group:
        rnd = await self.rounds.load(cmd.round_id)
        members = {m: await self.pool_members.load(m) for m in dict.fromkeys(cmd.member_ids)}
        homes = [m.home_unit_id for m in members.values() if m.home_unit_id is not None]
        units = await self.unit_table.facts([*cmd.unit_ids, *homes])
        async with self.inspection_groups.transaction() as conn:
            # one formation at a time per member: the seats read below stay true until commit
            await self.group_table.lock_round(conn, cmd.round_id)
            await self.group_table.lock_members(conn, cmd.member_ids)
            taken = await self.group_table.units_taken(conn, cmd.round_id)
            busy: list[groups.Busy] = []
            if rnd.starts_on is not None and rnd.ends_on is not None:
                busy = await self.group_table.seats_overlapping(
                    conn, cmd.member_ids, rnd.starts_on, rnd.ends_on
                )
            state = await self.inspection_groups.load(cmd.group_id)
            events = groups.decide_form_group(state, cmd, rnd, members, units, busy, taken)
            await self.inspection_groups.record(conn, cmd.group_id, state, events, meta)
        return state

    async def load_group(self, group_id: UUID) -> groups.Group:
        return await self.inspection_groups.load(group_id)

    async def unit_fact(self, unit_id: UUID) -> planning.UnitFact | None:
        return (await self.unit_table.facts([unit_id])).get(unit_id)

    async def evaluate(
        self, group_id: UUID, cmd: groups.EvaluateInspector, meta: Meta
    ) -> groups.Group:
        return await self.inspection_groups.execute(
            group_id, lambda s: groups.decide_evaluate(s, group_id, cmd), meta
        )

    async def station(
        self, group_id: UUID, unit_id: UUID, starts_on: date, ends_on: date | None, meta: Meta
    ) -> tuple[groups.Group, UUID]:
        """Station the group at ``unit_id`` from ``starts_on``; without ``ends_on`` the end is
        rule R14's (15 working days on the calendar). Returns the group and the stationing id."""
        group = await self.inspection_groups.load(group_id)
        rnd = await self.rounds.load(group.round_id) if group.round_id else planning.Round()
        stationing_id = uuid7()
        if ends_on is None:
            term = self.stationing_term(starts_on)
            cmd = groups.StationGroup(
                unit_id=unit_id,
                starts_on=starts_on,
                ends_on=term.ends_on,
                stationing_id=stationing_id,
                rule_id=term.rule_id,
                rule_version=term.rule_version,
                provisional=term.provisional,
            )
        else:
            cmd = groups.StationGroup(unit_id, starts_on, ends_on, stationing_id)
        state = await self.inspection_groups.execute(
            group_id, lambda s: groups.decide_station(s, group_id, cmd, rnd), meta
        )
        return state, stationing_id

    async def group_of_stationing(self, stationing_id: UUID) -> groups.Group:
        group_id = await self.group_table.group_of_stationing(stationing_id)
        return await self.inspection_groups.load(group_id) if group_id else groups.Group()

    async def end_stationing(
        self, group_id: UUID, stationing_id: UUID, ended_on: date | None, meta: Meta
    ) -> groups.Group:
        cmd = groups.EndStationing(stationing_id, ended_on or self.today())
        return await self.inspection_groups.execute(
            group_id, lambda s: groups.decide_end_stationing(s, group_id, cmd), meta
        )

    async def record_intake(self, cmd: records.RecordIntake, meta: Meta) -> records.IntakeRecord:
        """Record one channel's work (step 4); the clues it brings reach the clues service
        through the record's event."""
        cmd = replace(cmd, record_id=uuid7())
        rnd = await self.rounds.load(cmd.round_id)
        group = await self.inspection_groups.load(cmd.group_id)
        unit = (await self.unit_table.facts([cmd.unit_id])).get(cmd.unit_id)
        record_id = cmd.record_id
        return await self.intake_records.execute(
            record_id, lambda s: records.decide_record(s, cmd, rnd, group, unit), meta
        )


@dataclass
class ClockHandlers:
    """R13 and R15: a walk-in taken up the same day, and a stationing's dispatches and progress
    reports (each satisfies its running deadline; see adapters.deadlines)."""

    petitions: Aggregates[Petition]
    group_cadence: Aggregates[cadence.GroupCadence]
    group_table: SqlGroups
    now: Callable[[], datetime]

    async def handle_walk_in(
        self, cmd: walk_ins.HandleWalkIn, principal: Principal, meta: Meta
    ) -> Petition:
        return await self.petitions.execute(
            cmd.petition_id, lambda s: walk_ins.decide_handle_walk_in(s, cmd, principal), meta
        )

    async def record_cadence(
        self, cmd: cadence.RecordCadence, principal: Principal, today: date, meta: Meta
    ) -> tuple[cadence.GroupCadence, EventPayload]:
        group_id = await self.group_table.group_of_stationing(cmd.stationing_id)
        if group_id is None:
            raise groups.UnknownStationing(
                f"未找到进驻记录 {cmd.stationing_id} / unknown stationing {cmd.stationing_id}"
            )
        decided: list[EventPayload] = []

        def decide(state: cadence.GroupCadence) -> list[EventPayload]:
            decided[:] = cadence.decide_cadence(state, cmd, principal, today)
            return decided

        state = await self.group_cadence.execute(group_id, decide, meta)
        return state, decided[0]
