"""The clues service's deadlines.

* R3 (``xunshi_2015_art29`` v1: 3 calendar months): a department reports what it did with a
  transferred clue. ``ClueTransferred`` starts it, counting from the day of the transfer letter
  when the transfer was made on paper (``transferred_on``, 补录 R26), else from the moment it was
  recorded; the department's result
  (``clues.TransferResultReported``, ``POST /api/v1/clues/{id}/result``) satisfies it
  (``Ends(TransferResultReported, TRANSFER_RESULT)`` in :func:`reactions`). The worker fires
  ``clues.DeadlineWarningRaised`` (yellow, red) and ``clues.TransferResultOverdue``.
* R7 (``jianju_2020_forward`` v1: 5 working days): a county clue for a higher body (R12: a
  市管干部 or several counties) is escalated to the city office within 5 working days of its
  registration. The classification that shows the need starts it (counting from the
  registration: the day written on a paper registration, ``registered_on`` (R26), else the
  moment it was recorded); ``ClueEscalated`` satisfies it; a reclassification that removes the need
  cancels it. Overdue is ``clues.EscalationOverdue``: the clue and its escalation belong to this
  service (``intake.ForwardingOverdue`` would put the firing on a petition stream intake owns).
  No warnings (5 working days are shorter than R10's yellow threshold; the colour events name a
  department, which an escalation has not).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from xuncha_shared.clocks import Clocks, Deadline, DeadlineKind
from xuncha_shared.clocks.clock import start_of_day
from xuncha_shared.clocks.reactions import DeadlineReactions, Ends, Starts
from xuncha_shared.clocks.rules import R3_TRANSFER_RESULT, R7_FORWARD, R10_WARNINGS
from xuncha_shared.contracts import clues as c
from xuncha_shared.contracts.common import Department

from xuncha_clues.domain.clue import Clue


def _rule(d: Deadline) -> dict[str, Any]:
    return {
        "deadline_id": d.deadline_id,
        "rule_id": d.rule_id,
        "rule_version": d.rule_version,
        "due_date": d.due_date,
        "clue_id": UUID(d.aggregate_id),
    }


def _recomputed(d: Deadline, old: Any) -> c.DeadlineRecomputed:
    return c.DeadlineRecomputed(
        deadline_id=d.deadline_id,
        deadline_kind=d.kind,
        rule_id=d.rule_id,
        rule_version=d.rule_version,
        previous_due_date=old,
        due_date=d.due_date,
        calendar_version=d.calendar_version,
    )


TRANSFER_RESULT = DeadlineKind(
    name="clues.transfer_result",
    rule_id=R3_TRANSFER_RESULT,
    stream_type="clue",
    waits_for="clues.TransferResultReported",
    warning=lambda d, colour: c.DeadlineWarningRaised(
        **_rule(d), department=Department(d.owner), colour=colour.value
    ),
    overdue=lambda d: c.TransferResultOverdue(**_rule(d), department=Department(d.owner)),
    recomputed=_recomputed,
)

ESCALATION = DeadlineKind(
    name="clues.escalation",
    rule_id=R7_FORWARD,
    stream_type="clue",
    waits_for="clues.ClueEscalated",
    overdue=lambda d: c.EscalationOverdue(**_rule(d), jurisdiction=d.owner),
    recomputed=_recomputed,
)

#: what the service's deadline worker fires
KINDS = (TRANSFER_RESULT, ESCALATION)
#: what ``GET /api/v1/rules`` lists
RULE_IDS = (R3_TRANSFER_RESULT, R7_FORWARD, R10_WARNINGS)


def _must_escalate(_: Any, clue: Clue) -> bool:
    return clue.needs_escalation and not clue.escalated


def _registered(clue: Clue) -> datetime | None:
    """R7 counts from the registration: the day written on paper (R26), else its recording."""
    return start_of_day(clue.registered_on) if clue.registered_on else clue.registered_at


def _transferred(clue: Clue) -> datetime | None:
    """R3 counts from the transfer letter's day (R26), else (None) the event's recording."""
    return start_of_day(clue.transferred_on) if clue.transferred_on else None


def reactions(clocks: Clocks) -> DeadlineReactions:
    return DeadlineReactions(
        clocks,
        starts=[
            Starts(
                c.ClueTransferred,
                TRANSFER_RESULT,
                owner=lambda e, _: e.department.value,
                since=_transferred,
            ),
            Starts(
                c.ClueClassified,
                ESCALATION,
                owner=lambda _, clue: clue.jurisdiction,
                when=_must_escalate,
                since=_registered,
            ),
        ],
        ends=[
            Ends(c.TransferResultReported, TRANSFER_RESULT),
            Ends(c.ClueEscalated, ESCALATION),
            Ends(
                c.ClueClassified,
                ESCALATION,
                cancel=True,
                when=lambda _, clue: not clue.needs_escalation,
            ),
        ],
    )


async def transfer_result_clock(pool: Any, clue_id: UUID) -> tuple[date, str] | None:
    """R3's clock for the clue: its last day (recomputed days included) and its state
    (``running`` … ``overdue``, ``met``, ``met_late`` once the result came); None when no R3
    clock ran for it (a clue not transferred, or transferred before the clocks)."""
    row = await pool.fetchrow(
        "SELECT due_date, state FROM deadlines WHERE kind = $1 AND key = $2",
        TRANSFER_RESULT.name,
        str(clue_id),
    )
    return (row["due_date"], str(row["state"])) if row else None
