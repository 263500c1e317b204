"""The projection function: one event in, the changes it makes out (pure, deterministic)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from xuncha_shared.contracts import clues
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
    InspectorEvaluationCorrected,
    IntakeRecordEvent,
    PetitionReceived,
    ReserveCadreAdmitted,
    ReserveCadreRemoved,
    RoundPlanned,
    RoundUnitsAssigned,
    StationingEnded,
    TalentPoolMemberEnrolled,
    TalentPoolMemberRetired,
    TermPlanAdopted,
    TermPlanAmended,
    UnitRegistered,
)
from xuncha_shared.contracts.rectification import IssueFedBack, RectificationReported
from xuncha_shared.contracts.reporting import ShareItemAcknowledged
from xuncha_shared.domain.personal_numbers import blind_marks
from xuncha_shared.envelope import EventPayload

from xuncha_reporting.domain import rectification_docs, revisit_views
from xuncha_reporting.domain.clue_funnel import FUNNEL_EVENT_TYPES, funnel_changes
from xuncha_reporting.domain.deadline_changes import DEADLINE_EVENT_TYPES, deadline_changes
from xuncha_reporting.domain.intake_clocks import EVENT_TYPES as INTAKE_CLOCK_EVENTS
from xuncha_reporting.domain.intake_clocks import intake_clock_changes
from xuncha_reporting.domain.model import (
    Ack,
    Change,
    DemoMark,
    Doc,
    Fact,
    FeedItem,
    FeedKind,
    LedgerIssue,
    LedgerReport,
    Metric,
)
from xuncha_reporting.domain.office_summary import SUMMARY_EVENT_TYPES, summary_docs
from xuncha_reporting.domain.organisation_feed import (
    ORGANISATION_FEED_EVENT_TYPES,
    organisation_feed,
)
from xuncha_reporting.domain.projected import ProjectedEnvelope
from xuncha_reporting.domain.rectification_clocks import EVENT_TYPES as RECT_CLOCK_EVENTS
from xuncha_reporting.domain.rectification_clocks import rectification_clock_changes

#: Principal ids of the demo tokens (``xuncha tokens demo``) start with this.
DEMO_PRINCIPAL_PREFIX = "demo-"

#: the events ``own_changes`` projects (the linked view's facts, the feeds, the ledger)
OWN_EVENT_TYPES: frozenset[str] = frozenset(
    {
        PetitionReceived.event_type,
        ClueRegistered.event_type,
        ClueEscalated.event_type,
        ClueTransferred.event_type,
        IssueFedBack.event_type,
        RectificationReported.event_type,
        ShareItemAcknowledged.event_type,
        clues.ClueAcknowledged.event_type,
        clues.TransferResultUrged.event_type,
    }
)
#: the events ``lifecycle_docs`` projects
LIFECYCLE_EVENT_TYPES: frozenset[str] = frozenset(
    {
        UnitRegistered.event_type,
        TermPlanAdopted.event_type,
        TermPlanAmended.event_type,
        RoundPlanned.event_type,
        RoundUnitsAssigned.event_type,
        GroupFormed.event_type,
        GroupStationed.event_type,
        StationingEnded.event_type,
        *(event.event_type for event in RECORD_EVENTS.values()),
        CounterpartReportProvided.event_type,
        PetitionReceived.event_type,
        ClueRegistered.event_type,
        ClueClassified.event_type,
        ClueTransferred.event_type,
        TalentPoolMemberEnrolled.event_type,
        TalentPoolMemberRetired.event_type,
        InspectorEvaluated.event_type,
        InspectorEvaluationCorrected.event_type,
        ReserveCadreAdmitted.event_type,
        ReserveCadreRemoved.event_type,
    }
)

#: fields of an intake record that are not its figures
_RECORD_COMMON = {"record_id", "jurisdiction", "round_id", "group_id", "unit_id", "unit", "clues"}


def lifecycle_docs(envelope: ProjectedEnvelope, payload: EventPayload) -> list[Doc]:
    """The lifecycle documents (steps 1–4, and the clue facts the round statistics need) an
    event writes: coverage and round statistics are computed from them when read."""

    def doc(kind: str, key: object, body: dict[str, object]) -> Doc:
        return Doc(kind, str(key), envelope.jurisdiction, body, envelope.occurred_at)

    match payload:
        case UnitRegistered():
            return [doc("unit", payload.unit_id, {"name": payload.name, "kind": payload.kind})]
        case TermPlanAdopted():
            body = payload.model_dump(
                mode="json", include={"term_no", "starts_on", "ends_on", "unit_ids"}
            )
            return [doc("term_plan", f"{payload.jurisdiction}/{payload.term_no}", body)]
        case TermPlanAmended():  # the plan as amended replaces it (R6)
            body = payload.model_dump(
                mode="json",
                include={
                    "term_no",
                    "starts_on",
                    "ends_on",
                    "unit_ids",
                    "amendment_no",
                    "amended_on",
                },
            )
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
                mode="json",
                include={"name", "home_unit_id", "source", "specialities", "rank", "birth_year"},
            )
            return [doc("pool_member", payload.member_id, body)]
        case TalentPoolMemberRetired():
            return [doc("pool_retired", payload.member_id, {"retired": True})]
        case InspectorEvaluated() | InspectorEvaluationCorrected():  # a correction: the grade now
            body = payload.model_dump(mode="json", include={"group_id", "member_id", "grade"})
            return [doc("evaluation", f"{payload.group_id}/{payload.member_id}", body)]
        case ReserveCadreAdmitted():  # 后备干部库: each admission and removal a document
            body = {"member_id": str(payload.member_id), "kind": "admitted",
                    "day": payload.admitted_on.isoformat(), "group_id": str(payload.group_id),
                    "note": payload.note, "at": envelope.occurred_at.isoformat()}  # fmt: skip
            return [doc("reserve_event", envelope.event_id, body)]
        case ReserveCadreRemoved():
            body = {"member_id": str(payload.member_id), "kind": "removed",
                    "day": payload.removed_on.isoformat(), "reason": payload.reason,
                    "at": envelope.occurred_at.isoformat()}  # fmt: skip
            return [doc("reserve_event", envelope.event_id, body)]
    return []


def feed_item_id(source_event_id: object, department: str) -> str:
    """Deterministic id of a feed item: the same event shared with the same department always
    gives the same id (live consumer, redelivery and rebuild alike)."""
    return f"{source_event_id}:{department}"


def _clue_item(
    envelope: ProjectedEnvelope,
    payload: ClueTransferred | clues.TransferResultUrged,
    kind: FeedKind,
    reason: str,
    *,
    due_date: str | None = None,
    letter_on: date | None = None,
) -> FeedItem:
    """The item a clue's transfer or urge puts into its department's feed: the clue's unit and
    summary, the transfer's reason or the urge's note."""
    return FeedItem(
        item_id=feed_item_id(envelope.event_id, payload.department.value),
        department=payload.department,
        kind=kind,
        source_event_id=envelope.event_id,
        source_event_type=envelope.event_type,
        ref_id=str(payload.clue_id),
        jurisdiction=payload.jurisdiction,
        unit=payload.unit,
        # a department reads that something was left out, not that a number was given
        summary=blind_marks(payload.summary),
        reason=reason,
        rect_type=None,
        due_date=due_date,
        occurred_at=envelope.occurred_at,
        letter_on=letter_on,
    )


def own_changes(envelope: ProjectedEnvelope, payload: EventPayload) -> list[Change]:
    """The linked view's facts, the sharing feeds' items and acknowledgements, and the
    rectification ledger's rows of an event."""
    changes: list[Change] = []
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
                _clue_item(
                    envelope,
                    payload,
                    FeedKind.CLUE_TRANSFER,
                    payload.reason,
                    letter_on=payload.transferred_on,
                )
            )
        case clues.TransferResultUrged():  # 催办 (R27): the department's feed shares it
            due = payload.due_date.isoformat() if payload.due_date else None
            changes.append(
                _clue_item(envelope, payload, FeedKind.CLUE_URGE, payload.note, due_date=due)
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
                # once per attempt; the first attempt's key is the issue's own, so a report from
                # before schema 3 (no attempt: the first, as far as anyone can tell) and a later
                # one of the same attempt count once
                key = str(payload.issue_id)
                if payload.attempt is not None and payload.attempt > 1:
                    key = f"{key}/{payload.attempt}"
                changes.append(Fact(Metric.ISSUES_COMPLETED, key, envelope.jurisdiction))
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
    return changes


Step = Callable[[ProjectedEnvelope, EventPayload], Sequence[Change]]

#: every step of the projection with the event types it projects, in the order ``project``
#: applies them (the order of the changes of one event)
_STEP_TYPES: tuple[tuple[Step, frozenset[str]], ...] = (
    (own_changes, OWN_EVENT_TYPES),
    (funnel_changes, FUNNEL_EVENT_TYPES),
    (deadline_changes, DEADLINE_EVENT_TYPES),
    (intake_clock_changes, INTAKE_CLOCK_EVENTS),
    (rectification_clock_changes, RECT_CLOCK_EVENTS),
    (lifecycle_docs, LIFECYCLE_EVENT_TYPES),
    (summary_docs, SUMMARY_EVENT_TYPES),  # the office summary (office_summary.py)
    (organisation_feed, ORGANISATION_FEED_EVENT_TYPES),
    (rectification_docs.rectification_docs, rectification_docs.EVENT_TYPES),
    (revisit_views.revisit_docs, revisit_views.EVENT_TYPES),  # 回头看, R19, 未巡先改
)

#: event type -> the steps that can change something for it, in ``_STEP_TYPES``' order: an
#: event runs only these (a step given another type would match none of its cases)
STEPS: dict[str, tuple[Step, ...]] = {
    event_type: tuple(step for step, types in _STEP_TYPES if event_type in types)
    for event_type in sorted(frozenset().union(*(types for _, types in _STEP_TYPES)))
}

#: the event types the projection uses (any other changes nothing, but the demo mark)
PROJECTED_EVENT_TYPES: frozenset[str] = frozenset(STEPS)


def project(envelope: ProjectedEnvelope, payload: EventPayload) -> list[Change]:
    """The changes ``envelope`` (with its decoded, upcast ``payload``) makes to the projection.

    Events the projection does not use give no change (but the demo mark). Informant data
    (``informant`` of a petition) is never read.
    """
    changes: list[Change] = []
    if envelope.actor.principal_id.startswith(DEMO_PRINCIPAL_PREFIX):
        changes.append(DemoMark())
    for step in STEPS.get(payload.event_type, ()):
        changes.extend(step(envelope, payload))
    return changes
