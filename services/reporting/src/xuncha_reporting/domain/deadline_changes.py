"""The deadlines view's changes: the builders shared by the modules that project each service's
clocks (``deadline_changes`` below, ``intake_clocks``, ``rectification_clocks``), and the changes
of R1's formal report, R3's transfer result, the escalation, R7's acceptance notice and every
service's recomputed due dates (``deadline_changes``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from xuncha_shared.contracts import clues, intake, rectification
from xuncha_shared.contracts.clues import ClueEscalated, ClueTransferred
from xuncha_shared.contracts.intake import PetitionReceived
from xuncha_shared.contracts.rectification import IssueFedBack, RectificationReported, ReportKind
from xuncha_shared.envelope import EventPayload

from xuncha_reporting.domain.deadlines import KINDS, Kind, start_of_day, withdrawn_case
from xuncha_reporting.domain.model import (
    CaseMark,
    Change,
    DeadlineEnded,
    DeadlineFired,
    DeadlineRescheduled,
    DeadlineStart,
)
from xuncha_reporting.domain.projected import ProjectedEnvelope


def start(
    kind: Kind,
    key: object,
    envelope: ProjectedEnvelope,
    owner: str,
    *,
    due_date: str | None = None,
    at: datetime | None = None,
) -> DeadlineStart:
    """A deadline of ``kind`` started by ``envelope``'s event (``at``: from another moment than
    the event's, e.g. the day a stationing starts); ``due_date`` when the event states it."""
    info = KINDS[kind]
    return DeadlineStart(
        kind=kind.value,
        key=str(key),
        rule_id=info.rule_id,
        case_type=info.case_type,
        jurisdiction=envelope.jurisdiction,
        owner=owner,
        waits_for=info.waits_for,
        started_at=at or envelope.occurred_at,
        due_date=due_date,
    )


def fired(
    kind: Kind, key: object, stage: str, envelope: ProjectedEnvelope, payload: Any, owner: str
) -> DeadlineFired:
    """A warning (``stage`` yellow, red) or the overdue firing: ``payload`` carries the
    deadline's rule version and due date."""
    info = KINDS[kind]
    return DeadlineFired(
        kind=kind.value,
        key=str(key),
        stage=stage,
        event_id=envelope.event_id,
        rule_id=payload.rule_id,
        rule_version=payload.rule_version,
        due_date=payload.due_date.isoformat(),
        case_type=info.case_type,
        jurisdiction=envelope.jurisdiction,
        owner=owner,
        waits_for=info.waits_for,
        at=envelope.occurred_at,
    )


#: the events ``deadline_changes`` projects
DEADLINE_EVENT_TYPES: frozenset[str] = frozenset(
    {
        IssueFedBack.event_type,
        RectificationReported.event_type,
        rectification.DeadlineWarningRaised.event_type,
        rectification.RectificationOverdue.event_type,
        rectification.DeadlineRecomputed.event_type,
        ClueTransferred.event_type,
        ClueEscalated.event_type,
        clues.TransferResultReported.event_type,
        clues.DeadlineWarningRaised.event_type,
        clues.TransferResultOverdue.event_type,
        clues.EscalationOverdue.event_type,
        clues.DeadlineRecomputed.event_type,
        PetitionReceived.event_type,
        intake.InformantNotified.event_type,
        intake.AcceptanceNoticeOverdue.event_type,
        intake.InformantIdentityErased.event_type,
        intake.DeadlineRecomputed.event_type,
    }
)

#: what satisfies R1: the formal report (a final report is formal too)
_FORMAL = (ReportKind.FORMAL, ReportKind.FINAL)


def deadline_changes(envelope: ProjectedEnvelope, payload: EventPayload) -> list[Change]:
    """The deadlines view's changes of an event (see ``domain.deadlines``)."""
    match payload:
        case IssueFedBack():
            return [
                start(
                    Kind.FORMAL_REPORT,
                    payload.issue_id,
                    envelope,
                    payload.unit,
                    due_date=payload.due_date,
                )
            ]
        case RectificationReported() if payload.kind in _FORMAL:
            return [
                DeadlineEnded(
                    Kind.FORMAL_REPORT.value,
                    str(payload.issue_id),
                    envelope.event_id,
                    envelope.occurred_at,
                )
            ]
        case rectification.DeadlineWarningRaised():
            return [
                fired(
                    Kind.FORMAL_REPORT,
                    payload.issue_id,
                    payload.colour.value,
                    envelope,
                    payload,
                    payload.unit,
                )
            ]
        case rectification.RectificationOverdue():
            return [
                fired(
                    Kind.FORMAL_REPORT, payload.issue_id, "overdue", envelope, payload, payload.unit
                )
            ]
        case ClueTransferred():  # R3 from the transfer letter's day when on paper (R26)
            letter = payload.transferred_on
            at = start_of_day(letter) if letter else None
            return [
                start(
                    Kind.TRANSFER_RESULT, payload.clue_id, envelope, payload.department.value, at=at
                )
            ]
        case clues.TransferResultReported():
            return [
                DeadlineEnded(
                    Kind.TRANSFER_RESULT.value,
                    str(payload.clue_id),
                    envelope.event_id,
                    envelope.occurred_at,
                )
            ]
        case clues.DeadlineWarningRaised():
            return [
                fired(
                    Kind.TRANSFER_RESULT,
                    payload.clue_id,
                    payload.colour.value,
                    envelope,
                    payload,
                    payload.department.value,
                )
            ]
        case clues.TransferResultOverdue():
            return [
                fired(
                    Kind.TRANSFER_RESULT,
                    payload.clue_id,
                    "overdue",
                    envelope,
                    payload,
                    payload.department.value,
                )
            ]
        case clues.EscalationOverdue():
            return [
                fired(
                    Kind.ESCALATION,
                    payload.clue_id,
                    "overdue",
                    envelope,
                    payload,
                    payload.jurisdiction,
                )
            ]
        case ClueEscalated():
            return [
                DeadlineEnded(
                    Kind.ESCALATION.value,
                    str(payload.clue_id),
                    envelope.event_id,
                    envelope.occurred_at,
                )
            ]
        case PetitionReceived() if payload.informant is not None:
            return [
                start(Kind.ACCEPTANCE_NOTICE, payload.petition_id, envelope, payload.jurisdiction)
            ]
        case intake.InformantNotified() if payload.notice is intake.NoticeKind.ACCEPTANCE:
            # as of the day it was sent (00:00 Beijing time): met when on or before the due date
            sent = start_of_day(payload.sent_on)
            return [
                DeadlineEnded(
                    Kind.ACCEPTANCE_NOTICE.value, str(payload.petition_id), envelope.event_id, sent
                )
            ]
        case intake.InformantIdentityErased():
            # R23: nobody can be told any more; the R8 notices still owed no longer apply
            case_id = withdrawn_case(payload.petition_id)
            return [CaseMark(case_id, envelope.event_id, envelope.occurred_at, True)]
        case intake.AcceptanceNoticeOverdue():
            return [
                fired(
                    Kind.ACCEPTANCE_NOTICE,
                    payload.petition_id,
                    "overdue",
                    envelope,
                    payload,
                    envelope.jurisdiction,
                )
            ]
        case (
            rectification.DeadlineRecomputed()
            | clues.DeadlineRecomputed()
            | intake.DeadlineRecomputed()
        ):
            # intake's deadlines of a stationing are keyed apart from their stream (schema 2)
            key = getattr(payload, "deadline_key", None) or envelope.stream_id
            return [DeadlineRescheduled(payload.deadline_kind, key, payload.due_date.isoformat())]
    return []
