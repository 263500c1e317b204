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
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from xuncha_shared.clocks import Clocks, Deadline, DeadlineKind
from xuncha_shared.clocks.clock import start_of_day
from xuncha_shared.clocks.reactions import DeadlineReactions, Ends, Starts
from xuncha_shared.clocks.rules import R8_ACCEPTANCE_NOTICE, R8_RESULT_NOTICE
from xuncha_shared.contracts import intake as c


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


ACCEPTANCE_NOTICE = DeadlineKind(
    name="intake.acceptance_notice",
    rule_id=R8_ACCEPTANCE_NOTICE,
    stream_type="petition",
    waits_for="intake.InformantNotified(notice=acceptance)",
    overdue=lambda d: c.AcceptanceNoticeOverdue(
        deadline_id=d.deadline_id,
        rule_id=d.rule_id,
        rule_version=d.rule_version,
        due_date=d.due_date,
        petition_id=UUID(d.aggregate_id),
    ),
    recomputed=_recomputed,
)

RESULT_NOTICE = DeadlineKind(
    name="intake.result_notice",
    rule_id=R8_RESULT_NOTICE,
    stream_type="petition",
    waits_for="intake.InformantNotified(notice=result)",
    overdue=lambda d: c.ResultNoticeOverdue(
        deadline_id=d.deadline_id,
        rule_id=d.rule_id,
        rule_version=d.rule_version,
        due_date=d.due_date,
        petition_id=UUID(d.aggregate_id),
    ),
    recomputed=_recomputed,
)

#: what the service's deadline worker fires
KINDS = (ACCEPTANCE_NOTICE, RESULT_NOTICE)
#: what ``GET /api/v1/rules`` lists
RULE_IDS = (R8_ACCEPTANCE_NOTICE, R8_RESULT_NOTICE)


def reactions(clocks: Clocks) -> DeadlineReactions:
    return DeadlineReactions(
        clocks,
        starts=[
            Starts(
                c.PetitionReceived,
                ACCEPTANCE_NOTICE,
                owner=lambda e, _: e.jurisdiction,
                when=lambda e, _: e.informant is not None,
            ),
            Starts(
                c.ClueDisposalLearned,
                RESULT_NOTICE,
                owner=lambda _, petition: petition.jurisdiction,
                when=lambda _, petition: petition.has_informant,
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
        ],
    )
