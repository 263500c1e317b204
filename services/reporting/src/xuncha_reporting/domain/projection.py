"""The projection function: one event in, the changes it makes out (pure, deterministic)."""

from __future__ import annotations

from datetime import datetime, time

from xuncha_shared.contracts import clues, intake, rectification
from xuncha_shared.contracts.clues import (
    ClueClassified,
    ClueEscalated,
    ClueRegistered,
    ClueTransferred,
)
from xuncha_shared.contracts.intake import (
    RECORD_EVENTS,
    RECORD_KIND_OF,
    CounterpartReportProvided,
    GroupFormed,
    GroupStationed,
    InspectorEvaluated,
    IntakeRecordEvent,
    PetitionReceived,
    RoundPlanned,
    RoundUnitsAssigned,
    StationingEnded,
    TalentPoolMemberEnrolled,
    TalentPoolMemberRetired,
    TermPlanAdopted,
    UnitRegistered,
)
from xuncha_shared.contracts.rectification import IssueFedBack, RectificationReported, ReportKind
from xuncha_shared.contracts.reporting import ShareItemAcknowledged
from xuncha_shared.envelope import EventEnvelope, EventPayload

from xuncha_reporting.domain import rectification_docs, revisit_views
from xuncha_reporting.domain.clue_funnel import FUNNEL_EVENT_TYPES, funnel_changes
from xuncha_reporting.domain.deadline_changes import fired, start
from xuncha_reporting.domain.deadlines import CST, Kind
from xuncha_reporting.domain.intake_clocks import EVENT_TYPES as INTAKE_CLOCK_EVENTS
from xuncha_reporting.domain.intake_clocks import intake_clock_changes
from xuncha_reporting.domain.model import (
    Ack,
    Change,
    DeadlineEnded,
    DeadlineRescheduled,
    DemoMark,
    Doc,
    Fact,
    FeedItem,
    FeedKind,
    LedgerIssue,
    LedgerReport,
    Metric,
)
from xuncha_reporting.domain.office_summary import (
    SUMMARY_EVENT_TYPES,
    organisation_feed,
    summary_docs,
)
from xuncha_reporting.domain.rectification_clocks import EVENT_TYPES as RECT_CLOCK_EVENTS
from xuncha_reporting.domain.rectification_clocks import rectification_clock_changes

#: Principal ids of the demo tokens (``xuncha tokens demo``) start with this.
DEMO_PRINCIPAL_PREFIX = "demo-"

PROJECTED_EVENT_TYPES: frozenset[str] = frozenset(
    {
        PetitionReceived.event_type,
        ClueRegistered.event_type,
        ClueEscalated.event_type,
        ClueTransferred.event_type,
        IssueFedBack.event_type,
        RectificationReported.event_type,
        ShareItemAcknowledged.event_type,
        rectification.DeadlineWarningRaised.event_type,
        rectification.RectificationOverdue.event_type,
        rectification.DeadlineRecomputed.event_type,
        clues.DeadlineWarningRaised.event_type,
        clues.TransferResultOverdue.event_type,
        clues.EscalationOverdue.event_type,
        clues.DeadlineRecomputed.event_type,
        intake.AcceptanceNoticeOverdue.event_type,
        intake.InformantNotified.event_type,
        intake.DeadlineRecomputed.event_type,
        ClueClassified.event_type,
        UnitRegistered.event_type,
        TermPlanAdopted.event_type,
        RoundPlanned.event_type,
        RoundUnitsAssigned.event_type,
        GroupFormed.event_type,
        GroupStationed.event_type,
        StationingEnded.event_type,
        TalentPoolMemberEnrolled.event_type,
        TalentPoolMemberRetired.event_type,
        InspectorEvaluated.event_type,
        *(event.event_type for event in RECORD_EVENTS.values()),
        *FUNNEL_EVENT_TYPES,
        *rectification_docs.EVENT_TYPES,
        *INTAKE_CLOCK_EVENTS,
        *RECT_CLOCK_EVENTS,
    }
    | SUMMARY_EVENT_TYPES
)

#: what satisfies R1: the formal report (a final report is formal too)
_FORMAL = (ReportKind.FORMAL, ReportKind.FINAL)


def deadline_changes(envelope: EventEnvelope, payload: EventPayload) -> list[Change]:
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
            at = datetime.combine(letter, time(0), CST) if letter else None
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
            sent = datetime.combine(payload.sent_on, time(0), CST)
            return [
                DeadlineEnded(
                    Kind.ACCEPTANCE_NOTICE.value, str(payload.petition_id), envelope.event_id, sent
                )
            ]
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


#: fields of an intake record that are not its figures
_RECORD_COMMON = {"record_id", "jurisdiction", "round_id", "group_id", "unit_id", "unit", "clues"}


def lifecycle_docs(envelope: EventEnvelope, payload: EventPayload) -> list[Doc]:
    """The lifecycle documents (steps 1–4, and the clue facts the round statistics need) an
    event writes: coverage and round statistics are computed from them when read."""

    def doc(kind: str, key: object, body: dict[str, object]) -> Doc:
        return Doc(kind, str(key), envelope.jurisdiction, body, envelope.occurred_at)

    match payload:
        case UnitRegistered():
            return [doc("unit", payload.unit_id, {"name": payload.name, "kind": payload.kind})]
        case TermPlanAdopted():
            body = payload.model_dump(mode="json", include={"term_no", "unit_ids"})
            return [doc("term_plan", f"{payload.jurisdiction}/{payload.term_no}", body)]
        case RoundPlanned():
            body = payload.model_dump(mode="json", exclude={"round_id", "jurisdiction"})
            return [doc("round", payload.round_id, body)]
        case RoundUnitsAssigned():
            return [
                doc(
                    "round_unit",
                    f"{payload.round_id}/{u.unit_id}",
                    {"round_id": str(payload.round_id), "unit_id": str(u.unit_id), "mode": u.mode},
                )
                for u in payload.units
            ]
        case GroupFormed():
            body = payload.model_dump(
                mode="json", include={"round_id", "group_no", "leader_id", "member_ids"}
            )
            return [doc("group", payload.group_id, body)]
        case GroupStationed():
            body = payload.model_dump(
                mode="json", include={"group_id", "unit_id", "starts_on", "ends_on"}
            )
            return [doc("stationing", payload.stationing_id, body)]
        case StationingEnded():
            body = {"group_id": str(payload.group_id), "ended_on": payload.ended_on.isoformat()}
            return [doc("stationing_end", payload.stationing_id, body)]
        case IntakeRecordEvent():
            body = payload.model_dump(mode="json", exclude=_RECORD_COMMON)
            body |= {
                "kind": RECORD_KIND_OF[payload.event_type].value,
                "round_id": str(payload.round_id),
                "group_id": str(payload.group_id),
                "unit_id": str(payload.unit_id),
                "clues": len(payload.clues),
            }
            return [doc("record", payload.record_id, body)]
        case CounterpartReportProvided():
            body = payload.model_dump(mode="json", include={"unit_id", "counterpart_unit_id"})
            key = f"{payload.linkage_plan_id}/{payload.unit_id}/{payload.counterpart_unit_id}"
            return [doc("counterpart_report", key, body)]
        case PetitionReceived() if payload.round_id:
            body = {
                "round_id": payload.round_id,
                "group_id": str(payload.group_id) if payload.group_id else None,
                "unit_id": str(payload.unit_id) if payload.unit_id else None,
            }
            return [doc("petition_round", payload.petition_id, body)]
        case ClueRegistered() if payload.round_id:
            body = {"round_id": payload.round_id, "source_channel": payload.source_channel}
            return [doc("clue_round", payload.clue_id, body)]
        case ClueClassified():
            body = {"category": payload.category, "cadre_level": payload.cadre_level}
            return [doc("clue_class", payload.clue_id, body)]
        case ClueTransferred():
            return [doc("clue_transfer", payload.clue_id, {"department": payload.department})]
        case TalentPoolMemberEnrolled():
            body = payload.model_dump(
                mode="json", include={"name", "source", "specialities", "rank", "birth_year"}
            )
            return [doc("pool_member", payload.member_id, body)]
        case TalentPoolMemberRetired():
            return [doc("pool_retired", payload.member_id, {"retired": True})]
        case InspectorEvaluated():
            body = payload.model_dump(mode="json", include={"group_id", "member_id", "grade"})
            return [doc("evaluation", f"{payload.group_id}/{payload.member_id}", body)]
    return []


def feed_item_id(source_event_id: object, department: str) -> str:
    """Deterministic id of a feed item: the same event shared with the same department always
    gives the same id (live consumer, redelivery and rebuild alike)."""
    return f"{source_event_id}:{department}"


def project(envelope: EventEnvelope, payload: EventPayload) -> list[Change]:
    """The changes ``envelope`` (with its decoded, upcast ``payload``) makes to the projection.

    Events the projection does not use give no change. Informant data (``informant`` of a
    petition) is never read.
    """
    changes: list[Change] = []
    if envelope.actor.principal_id.startswith(DEMO_PRINCIPAL_PREFIX):
        changes.append(DemoMark())
    match payload:
        case PetitionReceived():
            changes.append(
                Fact(Metric.PETITIONS_RECEIVED, str(payload.petition_id), payload.jurisdiction)
            )
        case ClueRegistered():
            changes.append(
                Fact(Metric.CLUES_REGISTERED, str(payload.clue_id), payload.jurisdiction)
            )
        case ClueEscalated():
            # counted where the clue was escalated from (the county that reported it up)
            changes.append(
                Fact(Metric.CLUES_ESCALATED, str(payload.clue_id), payload.from_jurisdiction)
            )
        case ClueTransferred():
            changes.append(
                Fact(Metric.CLUES_TRANSFERRED, str(payload.clue_id), payload.jurisdiction)
            )
            changes.append(
                FeedItem(
                    item_id=feed_item_id(envelope.event_id, payload.department.value),
                    department=payload.department,
                    kind=FeedKind.CLUE_TRANSFER,
                    source_event_id=envelope.event_id,
                    source_event_type=envelope.event_type,
                    ref_id=str(payload.clue_id),
                    jurisdiction=payload.jurisdiction,
                    unit=payload.unit,
                    summary=payload.summary,
                    reason=payload.reason,
                    rect_type=None,
                    due_date=None,
                    occurred_at=envelope.occurred_at,
                )
            )
        case IssueFedBack():
            changes.append(
                Fact(Metric.ISSUES_FED_BACK, str(payload.issue_id), payload.jurisdiction)
            )
            for department in dict.fromkeys(payload.concerns):  # de-duplicated, order kept
                changes.append(
                    FeedItem(
                        item_id=feed_item_id(envelope.event_id, department.value),
                        department=department,
                        kind=FeedKind.ISSUE_FED_BACK,
                        source_event_id=envelope.event_id,
                        source_event_type=envelope.event_type,
                        ref_id=str(payload.issue_id),
                        jurisdiction=payload.jurisdiction,
                        unit=payload.unit,
                        summary=payload.description,
                        reason=None,
                        rect_type=payload.rect_type.value,
                        due_date=payload.due_date,
                        occurred_at=envelope.occurred_at,
                    )
                )
            changes.append(
                LedgerIssue(
                    issue_id=payload.issue_id,
                    feedback_id=payload.feedback_id,
                    jurisdiction=payload.jurisdiction,
                    unit=payload.unit,
                    description=payload.description,
                    rect_type=payload.rect_type.value,
                    due_date=payload.due_date,
                    fed_back_at=envelope.occurred_at,
                    source_event_id=envelope.event_id,
                )
            )
        case RectificationReported():
            # the payload has no jurisdiction: the issue's events carry it in the envelope
            changes.append(
                Fact(Metric.RECTIFICATION_REPORTS, str(envelope.event_id), envelope.jurisdiction)
            )
            if payload.completed:
                changes.append(
                    Fact(Metric.ISSUES_COMPLETED, str(payload.issue_id), envelope.jurisdiction)
                )
            changes.append(
                LedgerReport(
                    event_id=envelope.event_id,
                    issue_id=payload.issue_id,
                    jurisdiction=envelope.jurisdiction,
                    kind=payload.kind.value,
                    progress_percent=payload.progress_percent,
                    completed=payload.completed,
                    note=payload.note,
                    reported_at=envelope.occurred_at,
                )
            )
        case ShareItemAcknowledged():
            changes.append(
                Ack(
                    item_id=payload.item_id,
                    department=payload.department,
                    ack_event_id=envelope.event_id,
                    acknowledged_at=envelope.occurred_at,
                    acknowledged_by=envelope.actor.principal_id,
                    note=payload.note,
                )
            )
        case clues.ClueAcknowledged():  # 签收 directly: the feed item shows it too (R3)
            changes.append(
                Ack(
                    item_id=feed_item_id(payload.transfer_event_id, payload.department.value),
                    department=payload.department,
                    ack_event_id=payload.feed_ack_event_id or envelope.event_id,
                    acknowledged_at=envelope.occurred_at,
                    acknowledged_by=envelope.actor.principal_id,
                    note=None,
                )
            )
        case _:
            pass
    changes.extend(funnel_changes(envelope, payload))
    changes.extend(deadline_changes(envelope, payload))
    changes.extend(intake_clock_changes(envelope, payload))
    changes.extend(rectification_clock_changes(envelope, payload))
    changes.extend(lifecycle_docs(envelope, payload))
    changes.extend(summary_docs(envelope, payload))  # the office summary (office_summary.py)
    changes.extend(organisation_feed(envelope, payload))
    changes.extend(rectification_docs.rectification_docs(envelope, payload))
    changes.extend(revisit_views.revisit_docs(envelope, payload))  # 回头看, R19, 未巡先改
    return changes
