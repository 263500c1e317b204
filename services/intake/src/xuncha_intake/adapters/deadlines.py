"""The intake service's deadlines.

* R8 (``jianju_2020_acceptance`` v1: 15 working days): a real-name reporter is told that the
  report was accepted (受理告知). A ``PetitionReceived`` with an informant (not anonymous)
  starts it, owned by the receiving office (its jurisdiction code); the worker fires
  ``intake.AcceptanceNoticeOverdue`` on the petition's stream (no warnings: the rule is shorter
  than R10's yellow threshold and the event has no colour). The acceptance notice
  (``POST /api/v1/petitions/{id}/notices`` → ``intake.InformantNotified``, notice acceptance)
  satisfies it as of the day it was sent: met when sent on or before the due date.
* R8 (``jianju_2020_result`` v1: 15 working days): a real-name reporter is told of the result
  (办理结果告知) within 15 working days of the clue's disposal. ``intake.ClueDisposalLearned``
  (the ``intake.result-notices`` consumer's record of ``clues.ClueDisposed``) starts it, counting
  from the disposal day, for a petition with an informant only (an anonymous reporter looks the
  status up with the receipt code); the result notice satisfies it as of its sending day; the
  worker fires ``intake.ResultNoticeOverdue``.
* R13 (``walk_in_same_day`` v1): a walk-in petition (``PetitionReceived`` of channel ``visit``)
  is taken up the same day: ``POST /api/v1/petitions/{id}/handling`` → ``intake.WalkInHandled``
  satisfies it; otherwise ``intake.WalkInOverdue`` fires at 00:00 of the next day. Owned by the
  receiving office.
* R14 (``stationing`` v1: 15 working days from the stationing's first day): ``GroupStationed``
  starts it (key ``<group>/<stationing>``), ``StationingEnded`` satisfies it as of its
  ``ended_on``; otherwise ``intake.StationingOverdue`` fires. Owned by the group.
* R15 (``weekly_dispatch`` v1, 7 days; ``biweekly_report`` v1, 14 days): ``GroupStationed``
  starts the first dispatch and the first report deadline (keys
  ``<group>/<stationing>/dispatch/0``, ``…/report/0``); ``DispatchHeld``/``ProgressReported``
  number ``seq`` satisfies ``…/<seq - 1>`` and starts ``…/<seq>`` from its day;
  ``StationingEnded`` closes the running ones (met, or met_late when already overdue). A missed
  one fires ``intake.CadenceOverdue`` (``cadence`` dispatch or report). The dispatch is the
  office's (owner: its jurisdiction), the report the group's.

* R23 (``informant_retention`` v1: calendar months, 24 by default, the deployment's period in
  ``XUNCHA_INFORMANT_RETENTION_MONTHS``): a real-name reporter's identity is kept for the period
  after the case is disposed. ``intake.ClueDisposalLearned`` of a petition with an identity not
  erased yet starts it, counting from ``disposed_on`` (key ``<petition>/informant/<person>``,
  owned by the receiving office); the custodian's erasure (``InformantIdentityErased`` trigger
  custodian) cancels it. When it comes due the worker destroys the person's data key (the
  kind's ``effect``) and appends ``intake.InformantIdentityErased`` trigger ``retention`` in the
  same transaction: reads answer 410 afterwards, as after the custodian's erasure. Either
  erasure cancels the R8 notices still owed (nobody can be told any more), and a disposal
  learnt after it starts no result notice.

None of these has warning events: they are shorter than R10's 20-day yellow threshold (R23 has
nothing to warn of: nobody is to act before it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from xuncha_shared.clocks import Clocks, Deadline, DeadlineKind
from xuncha_shared.clocks.calendar import add_calendar_months
from xuncha_shared.clocks.clock import start_of_day
from xuncha_shared.clocks.deadlines import OPEN_STATES, cancel_deadline
from xuncha_shared.clocks.reactions import DeadlineReactions, Ends, Starts
from xuncha_shared.clocks.rules import (
    R8_ACCEPTANCE_NOTICE,
    R8_RESULT_NOTICE,
    R13_WALK_IN,
    R14_STATIONING,
    R15_DISPATCH,
    R15_REPORT,
    R23_INFORMANT_RETENTION,
)
from xuncha_shared.contracts import intake as c
from xuncha_shared.contracts.common import Channel
from xuncha_shared.envelope import EventEnvelope, EventPayload

from xuncha_intake.adapters.retention import (
    erase_retained_key,
    retention_erasure,
    retention_key,
    retention_months,
    retention_start,
)

log = logging.getLogger(__name__)


def _recomputed(d: Deadline, old: Any) -> c.DeadlineRecomputed:
    return c.DeadlineRecomputed(
        deadline_id=d.deadline_id,
        deadline_kind=d.kind,
        deadline_key=d.key,
        rule_id=d.rule_id,
        rule_version=d.rule_version,
        previous_due_date=old,
        due_date=d.due_date,
        calendar_version=d.calendar_version,
    )


def _petition_kind(
    name: str,
    rule_id: str,
    waits_for: str,
    overdue: Callable[..., c.AcceptanceNoticeOverdue | c.ResultNoticeOverdue | c.WalkInOverdue],
) -> DeadlineKind:
    """A deadline of a petition's stream, whose overdue event names the petition."""
    return DeadlineKind(
        name=name,
        rule_id=rule_id,
        stream_type="petition",
        waits_for=waits_for,
        overdue=lambda d: overdue(
            deadline_id=d.deadline_id,
            rule_id=d.rule_id,
            rule_version=d.rule_version,
            due_date=d.due_date,
            petition_id=UUID(d.aggregate_id),
        ),
        recomputed=_recomputed,
    )


ACCEPTANCE_NOTICE = _petition_kind(
    "intake.acceptance_notice",
    R8_ACCEPTANCE_NOTICE,
    "intake.InformantNotified(notice=acceptance)",
    c.AcceptanceNoticeOverdue,
)
RESULT_NOTICE = _petition_kind(
    "intake.result_notice",
    R8_RESULT_NOTICE,
    "intake.InformantNotified(notice=result)",
    c.ResultNoticeOverdue,
)
WALK_IN = _petition_kind("intake.walk_in", R13_WALK_IN, "intake.WalkInHandled", c.WalkInOverdue)


def stationing_key(group_id: object, stationing_id: object) -> str:
    """The key of a stationing's R14 deadline, and the prefix of its R15 ones."""
    return f"{group_id}/{stationing_id}"


def cadence_key(group_id: object, stationing_id: object, cadence: str, n: int) -> str:
    """The key of a stationing's ``n``-th (from 0) dispatch or report deadline."""
    return f"{stationing_key(group_id, stationing_id)}/{cadence}/{n}"


def _stationing_overdue(d: Deadline) -> c.StationingOverdue:
    group_id, stationing_id = d.key.split("/")[:2]
    return c.StationingOverdue(
        deadline_id=d.deadline_id,
        rule_id=d.rule_id,
        rule_version=d.rule_version,
        due_date=d.due_date,
        group_id=UUID(group_id),
        stationing_id=UUID(stationing_id),
    )


def _cadence_overdue(d: Deadline) -> c.CadenceOverdue:
    group_id, stationing_id, cadence, n = d.key.split("/")
    return c.CadenceOverdue(
        deadline_id=d.deadline_id,
        rule_id=d.rule_id,
        rule_version=d.rule_version,
        due_date=d.due_date,
        group_id=UUID(group_id),
        stationing_id=UUID(stationing_id),
        cadence=cadence,
        seq=int(n) + 1,
    )


STATIONING = DeadlineKind(
    name="intake.stationing",
    rule_id=R14_STATIONING,
    stream_type="group",
    waits_for="intake.StationingEnded",
    overdue=_stationing_overdue,
    recomputed=_recomputed,
)
DISPATCH = DeadlineKind(
    name="intake.dispatch",
    rule_id=R15_DISPATCH,
    stream_type="group",
    waits_for="intake.DispatchHeld",
    overdue=_cadence_overdue,
    recomputed=_recomputed,
)
PROGRESS_REPORT = DeadlineKind(
    name="intake.progress_report",
    rule_id=R15_REPORT,
    stream_type="group",
    waits_for="intake.ProgressReported",
    overdue=_cadence_overdue,
    recomputed=_recomputed,
)
#: the R15 kinds, by the ``cadence`` word of their keys
CADENCE_KINDS = {"dispatch": DISPATCH, "report": PROGRESS_REPORT}


async def cancel_notices(conn: Any, petition_id: str, at: datetime, by: UUID | None = None) -> None:
    """A petition's reporter identity was erased (R23): nobody can be told any more, so the
    R8 notices still owed no longer apply."""
    for kind in (ACCEPTANCE_NOTICE, RESULT_NOTICE):
        await cancel_deadline(conn, kind.name, petition_id, at=at, by=by)


async def _retention_erasure_effect(conn: Any, d: Deadline) -> None:
    """R23's effect: the data key destroyed, and the notices still owed cancelled as of the
    moment the period ended (the erasure event, appended next, is not known yet)."""
    await erase_retained_key(conn, d)
    await cancel_notices(conn, d.aggregate_id, d.overdue_at)


RETENTION = DeadlineKind(
    name="intake.informant_retention",
    rule_id=R23_INFORMANT_RETENTION,
    stream_type="petition",
    waits_for="intake.InformantIdentityErased(trigger=custodian) cancels",
    overdue=retention_erasure,
    recomputed=_recomputed,
    effect=_retention_erasure_effect,
)


#: what the service's deadline worker fires
KINDS = (
    ACCEPTANCE_NOTICE,
    RESULT_NOTICE,
    WALK_IN,
    STATIONING,
    DISPATCH,
    PROGRESS_REPORT,
    RETENTION,
)
#: what ``GET /api/v1/rules`` lists
RULE_IDS = (
    R8_ACCEPTANCE_NOTICE,
    R8_RESULT_NOTICE,
    R13_WALK_IN,
    R14_STATIONING,
    R15_DISPATCH,
    R15_REPORT,
    R23_INFORMANT_RETENTION,
)


class PetitionReactions(DeadlineReactions):
    """The petition's declared starts and ends, and R23's retention clock, whose key needs the
    sealed record's id from the petition's state: started by ``ClueDisposalLearned`` for an
    identity — or an anonymous petition's sealed summary numbers (R11) — not erased yet
    (``months``: the deployment's period, else the rule's), cancelled by the custodian's
    erasure."""

    def __init__(
        self, clocks: Clocks, starts: Sequence[Starts], ends: Sequence[Ends], months: int | None
    ) -> None:
        super().__init__(clocks, starts, ends)
        self.months = months

    async def __call__(
        self, conn: Any, state: Any, recorded: Sequence[tuple[EventEnvelope, EventPayload]]
    ) -> None:
        await super().__call__(conn, state, recorded)
        for envelope, event in recorded:
            if (
                isinstance(event, c.ClueDisposalLearned)
                and state.sealed is not None
                and not state.identity_erased
            ):
                since = retention_start(self.clocks.rules, event.disposed_on)
                await self.clocks.start(
                    conn,
                    RETENTION,
                    key=retention_key(event.petition_id, state.sealed.person_id),
                    jurisdiction=envelope.jurisdiction,
                    stream_id=envelope.stream_id,
                    aggregate_id=envelope.stream_id,
                    owner=state.jurisdiction,
                    started_at=start_of_day(since),
                    started_by=envelope.event_id,
                    due_on=None if self.months is None else add_calendar_months(since, self.months),
                )
            elif isinstance(event, c.InformantIdentityErased):
                await self.clocks.cancel(
                    conn,
                    RETENTION.name,
                    retention_key(event.petition_id, event.person_id),
                    at=envelope.occurred_at,
                    by=envelope.event_id,
                )
                at, by = envelope.occurred_at, envelope.event_id
                await cancel_notices(conn, envelope.stream_id, at, by)


def reactions(clocks: Clocks, environ: Mapping[str, str] | None = None) -> PetitionReactions:
    """The petition's deadlines: R8 (acceptance and result notices), R13 and R23 (the period
    from ``environ``, by default the process's environment)."""
    return PetitionReactions(
        clocks,
        starts=[
            Starts(
                c.PetitionReceived,
                ACCEPTANCE_NOTICE,
                owner=lambda e, _: e.jurisdiction,
                when=lambda e, _: e.informant is not None,
            ),
            Starts(
                c.PetitionReceived,
                WALK_IN,
                owner=lambda e, _: e.jurisdiction,
                when=lambda e, _: e.channel is Channel.VISIT,
            ),
            Starts(
                c.ClueDisposalLearned,
                RESULT_NOTICE,
                owner=lambda _, petition: petition.jurisdiction,
                when=lambda _, petition: petition.has_informant and not petition.identity_erased,
                since=lambda petition: start_of_day(petition.disposed_on),
            ),
        ],
        ends=[
            Ends(
                c.InformantNotified,
                ACCEPTANCE_NOTICE,
                when=lambda e, _: e.notice is c.NoticeKind.ACCEPTANCE,
                at=lambda e: start_of_day(e.sent_on),
            ),
            Ends(
                c.InformantNotified,
                RESULT_NOTICE,
                when=lambda e, _: e.notice is c.NoticeKind.RESULT,
                at=lambda e: start_of_day(e.sent_on),
            ),
            Ends(c.WalkInHandled, WALK_IN),
        ],
        months=retention_months(environ),
    )


def _group_owner(event: Any, _: Any) -> str:
    return str(event.group_id)


def _office_owner(_: Any, state: Any) -> str:
    # the group's state: groups.Group, or the cadence view's GroupCadence around it
    group = getattr(state, "group", state)
    return str(group.jurisdiction)


def _first_of(word: str) -> Callable[[Any, EventEnvelope], str]:
    """The key of a stationing's first dispatch or report deadline."""
    return lambda e, _: cadence_key(e.group_id, e.stationing_id, word, 0)


def group_reactions(clocks: Clocks) -> list[Any]:
    """A group's deadlines: R14 per stationing and its R15 cadence. The same reactions run
    under the groups' command loop (stationing, its end) and the cadence's (dispatches,
    reports)."""
    first = {"dispatch": DISPATCH, "report": PROGRESS_REPORT}
    starts = [
        Starts(
            c.GroupStationed,
            STATIONING,
            owner=_group_owner,
            key=lambda e, _: stationing_key(e.group_id, e.stationing_id),
            at=lambda e: start_of_day(e.starts_on),
        ),
        *(
            Starts(
                c.GroupStationed,
                kind,
                owner=_office_owner if word == "dispatch" else _group_owner,
                key=_first_of(word),
                at=lambda e: start_of_day(e.starts_on),
            )
            for word, kind in first.items()
        ),
        Starts(
            c.DispatchHeld,
            DISPATCH,
            owner=_office_owner,
            key=lambda e, _: cadence_key(e.group_id, e.stationing_id, "dispatch", e.seq),
            at=lambda e: start_of_day(e.held_on),
        ),
        Starts(
            c.ProgressReported,
            PROGRESS_REPORT,
            owner=_group_owner,
            key=lambda e, _: cadence_key(e.group_id, e.stationing_id, "report", e.seq),
            at=lambda e: start_of_day(e.reported_on),
        ),
    ]
    ends = [
        Ends(
            c.StationingEnded,
            STATIONING,
            key=lambda e, _: stationing_key(e.group_id, e.stationing_id),
            at=lambda e: start_of_day(e.ended_on),
        ),
        Ends(
            c.DispatchHeld,
            DISPATCH,
            key=lambda e, _: cadence_key(e.group_id, e.stationing_id, "dispatch", e.seq - 1),
            at=lambda e: start_of_day(e.held_on),
        ),
        Ends(
            c.ProgressReported,
            PROGRESS_REPORT,
            key=lambda e, _: cadence_key(e.group_id, e.stationing_id, "report", e.seq - 1),
            at=lambda e: start_of_day(e.reported_on),
        ),
    ]
    return [DeadlineReactions(clocks, starts, ends), CadenceClosed(clocks)]


class CadenceClosed:
    """``StationingEnded`` closes the stationing's running R15 deadlines (whichever number
    each has reached), as of the day it ended: met, or met_late when already overdue."""

    def __init__(self, clocks: Clocks) -> None:
        self.clocks = clocks

    async def __call__(
        self, conn: Any, state: object, recorded: Sequence[tuple[EventEnvelope, EventPayload]]
    ) -> None:
        for envelope, event in recorded:
            if not isinstance(event, c.StationingEnded):
                continue
            prefix = stationing_key(event.group_id, event.stationing_id) + "/"
            rows = await conn.fetch(
                "SELECT kind, key FROM deadlines WHERE kind = ANY($1::text[]) "
                "AND starts_with(key, $2) AND state = ANY($3::text[])",
                [k.name for k in CADENCE_KINDS.values()],
                prefix,
                list(OPEN_STATES),
            )
            for row in rows:
                await self.clocks.satisfy(
                    conn,
                    row["kind"],
                    row["key"],
                    at=start_of_day(event.ended_on),
                    by=envelope.event_id,
                )
