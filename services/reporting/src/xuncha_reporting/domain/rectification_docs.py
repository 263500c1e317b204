"""What rectification's steps 9–11 write into the projection (pure): one document per fed-back
issue (``rect_issue``), one per issue event (``rect_event``: plan tasks, reports with their
evidence, verifications, close-outs, each task reported done, closed out or returned, overdue
tasks, progress reports and supervisions), one per
plan event (``rect_plan``) and one per supervision or red-line warning (``rect_oversight``); the
close-out is counted (``issues_closed_out``), a rejection or a reopening takes back a declared
completion (``completions_withdrawn``), and a red-line warning is a negative record
(负面信息档案) in the organisation department's feed. Each document has a key of its own, so arrival
order does not matter: the board (``domain.board``) replays an issue's events by time when it is
read.
"""

from __future__ import annotations

from typing import Any

from xuncha_shared.contracts import rectification as r
from xuncha_shared.contracts.common import Department
from xuncha_shared.envelope import EventPayload

from xuncha_reporting.domain.model import Change, Doc, Fact, FeedItem, FeedKind, Metric
from xuncha_reporting.domain.projected import ProjectedEnvelope

#: the document kinds the board and the exports read
ISSUE_DOC, EVENT_DOC, PLAN_DOC, OVERSIGHT_DOC = (
    "rect_issue",
    "rect_event",
    "rect_plan",
    "rect_oversight",
)
BOARD_KINDS: tuple[str, ...] = (ISSUE_DOC, EVENT_DOC, PLAN_DOC, OVERSIGHT_DOC)

#: the events ``rectification_docs`` projects (``projection.STEPS`` calls it for these only)
EVENT_TYPES: frozenset[str] = frozenset(
    {
        r.IssueFedBack.event_type,
        r.RectificationReported.event_type,
        r.IssuePlanned.event_type,
        r.RectificationVerified.event_type,
        r.IssueClosedOut.event_type,
        r.TaskOverdue.event_type,
        r.RectificationTaskCompleted.event_type,
        r.RectificationTaskClosedOut.event_type,
        r.RectificationTaskReturned.event_type,
        r.ProgressReportOverdue.event_type,
        r.SupervisionOverdue.event_type,
        r.IssueReopened.event_type,
        r.PlanSubmitted.event_type,
        r.PlanReturned.event_type,
        r.PlanApproved.event_type,
        r.SupervisionOrdered.event_type,
        r.RedLineWarningIssued.event_type,
    }
)


def _evidence(refs: list[r.EvidenceRef]) -> list[dict[str, Any]]:
    return [
        {
            "evidence_id": str(e.evidence_id),
            "sha256": e.sha256,
            "filename": e.filename,
            "url": f"/api/v1/evidence/{e.evidence_id}",
        }
        for e in refs
    ]


def _withdrawn(envelope: ProjectedEnvelope, issue_id: object) -> Fact:
    """A completion the issue's reports declared, taken back (``views.ROW_METRICS``)."""
    return Fact(
        Metric.COMPLETIONS_WITHDRAWN, f"{issue_id}/{envelope.event_id}", envelope.jurisdiction
    )


def rectification_docs(envelope: ProjectedEnvelope, payload: EventPayload) -> list[Change]:
    if not isinstance(payload, r.MODELS):  # every case below is a rectification event
        return []

    def doc(kind: str, key: object, body: dict[str, Any]) -> Doc:
        return Doc(kind, str(key), envelope.jurisdiction, body, envelope.occurred_at)

    at = envelope.occurred_at.isoformat()

    def event(issue_id: object, body: dict[str, Any]) -> Doc:
        return doc(
            EVENT_DOC,
            envelope.event_id,
            {"issue_id": str(issue_id), "type": envelope.event_type, "at": at, **body},
        )

    match payload:
        case r.IssueFedBack():
            body = payload.model_dump(
                mode="json",
                include={
                    "feedback_id",
                    "unit",
                    "unit_id",
                    "round_id",
                    "description",
                    "rect_type",
                    "due_date",
                    "during_stationing",
                },
            )
            return [doc(ISSUE_DOC, payload.issue_id, {**body, "fed_back_at": at})]
        case r.IssuePlanned():
            tasks = [t.model_dump(mode="json") for t in payload.tasks]
            return [event(payload.issue_id, {"plan_id": str(payload.plan_id), "tasks": tasks})]
        case r.RectificationReported():
            return [
                event(
                    payload.issue_id,
                    {
                        "kind": payload.kind.value,
                        "progress_percent": payload.progress_percent,
                        "completed": payload.completed,
                        "note": payload.note,
                        "leader_report": payload.leader_report,
                        "evidence": _evidence(payload.evidence),
                    },
                )
            ]
        case r.RectificationVerified():
            body = {
                "outcome": payload.outcome.value,
                "note": payload.note,
                "evidence": _evidence(payload.evidence),
            }
            if payload.outcome is r.VerificationOutcome.REJECTED:
                # only a rectification reported done is verified: a rejection withdraws the
                # completion its reports declared
                return [event(payload.issue_id, body), _withdrawn(envelope, payload.issue_id)]
            return [event(payload.issue_id, body)]
        case r.IssueClosedOut():
            body = {
                "note": payload.note,
                "mechanism": payload.mechanism,
                "watched": payload.watched,
            }
            return [
                event(payload.issue_id, body),
                # one per close-out: an issue reopened by a revisit and closed out again counts
                # again (the reopening is subtracted: ``views.ROW_METRICS``)
                Fact(
                    Metric.ISSUES_CLOSED_OUT,
                    f"{payload.issue_id}/{envelope.event_id}",
                    envelope.jurisdiction,
                ),
            ]
        case r.TaskOverdue():
            body = {
                "task_id": str(payload.task_id),
                "attempt": payload.attempt,
                "owner": payload.owner,
                "due_date": payload.due_date.isoformat(),
            }
            return [event(payload.issue_id, body)]
        case r.RectificationTaskCompleted():
            body = {
                "task_id": str(payload.task_id),
                "attempt": payload.attempt,
                "completed_on": payload.completed_on.isoformat(),
                "note": payload.note,
                "evidence": _evidence(payload.evidence),
            }
            return [event(payload.issue_id, body)]
        case r.RectificationTaskClosedOut():
            body = {"task_id": str(payload.task_id), "attempt": payload.attempt}
            return [event(payload.issue_id, {**body, "note": payload.note})]
        case r.RectificationTaskReturned():
            body = {
                "task_id": str(payload.task_id),
                "attempt": payload.attempt,
                "reason": payload.reason,
                "due_on": payload.due_on.isoformat(),
            }
            return [event(payload.issue_id, body)]
        case r.IssueReopened():  # 回头看: back to in progress
            body = {"revisit_id": str(payload.revisit_id), "note": payload.note}
            taken_back = (
                [
                    Fact(
                        Metric.ISSUES_REOPENED,
                        f"{payload.issue_id}/{envelope.event_id}",
                        envelope.jurisdiction,
                    )
                ]
                if payload.was_closed_out
                else []
            )
            # only a verified or closed-out issue is reopened: its declared completion is
            # withdrawn too
            return [
                event(payload.issue_id, body),
                *taken_back,
                _withdrawn(envelope, payload.issue_id),
            ]
        case r.ProgressReportOverdue():
            return [event(payload.issue_id, {"due_date": payload.due_date.isoformat()})]
        case r.SupervisionOverdue():
            body = {
                "supervision_id": str(payload.supervision_id),
                "due_date": payload.due_date.isoformat(),
            }
            return [event(payload.issue_id, body)]
        case r.PlanSubmitted():
            body = payload.model_dump(
                mode="json",
                include={
                    "plan_id",
                    "round_id",
                    "unit_id",
                    "unit",
                    "responsible_leader",
                    "revision",
                },
            )
            return [doc(PLAN_DOC, envelope.event_id, {**body, "type": "submitted", "at": at})]
        case r.PlanReturned():
            body = {"plan_id": str(payload.plan_id), "revision": payload.revision}
            body |= {"type": "returned", "reason": payload.reason, "at": at}
            return [doc(PLAN_DOC, envelope.event_id, body)]
        case r.PlanApproved():
            body = {"plan_id": str(payload.plan_id), "revision": payload.revision}
            return [doc(PLAN_DOC, envelope.event_id, {**body, "type": "approved", "at": at})]
        case r.SupervisionOrdered():
            body = payload.model_dump(mode="json", include={"unit_id", "unit", "issue_ids", "note"})
            body |= {"kind": "supervision", "detail": payload.kind.value, "at": at}
            body["due_on"] = payload.due_on.isoformat()
            return [doc(OVERSIGHT_DOC, payload.supervision_id, body)]
        case r.RedLineWarningIssued():
            body = payload.model_dump(mode="json", include={"unit_id", "unit", "issue_ids", "note"})
            body |= {"kind": "red_line", "detail": payload.finding.value, "at": at}
            return [
                doc(OVERSIGHT_DOC, payload.warning_id, body),
                FeedItem(
                    item_id=f"{envelope.event_id}:{Department.ORGANISATION.value}",
                    department=Department.ORGANISATION,
                    kind=FeedKind.NEGATIVE_RECORD,
                    source_event_id=envelope.event_id,
                    source_event_type=envelope.event_type,
                    ref_id=str(payload.unit_id),
                    jurisdiction=payload.jurisdiction,
                    unit=payload.unit,
                    summary=f"红线预警（{_FINDING_ZH[payload.finding]}）：{payload.note}",
                    reason=payload.finding.value,
                    rect_type=None,
                    due_date=None,
                    occurred_at=envelope.occurred_at,
                ),
            ]
    return []


_FINDING_ZH = {
    r.RedLineFinding.PERFUNCTORY: "敷衍整改",
    r.RedLineFinding.FALSE: "虚假整改",
    r.RedLineFinding.REPEATED: "整改不力、屡改屡犯",
}
