"""The 组织部 feed (R2, R4; pure): every problem about 民主集中制 or 选人用人
(``clues.ProblemRecorded``), every inspector grade (``intake.InspectorEvaluated``) and its
corrections (``intake.InspectorEvaluationCorrected``: the new grade, the first, the reason), every
inspector put into the reserve pool of cadres (``intake.ReserveCadreAdmitted``, 后备干部库,
004:L8) or taken out of it (``intake.ReserveCadreRemoved``). Those events name the unit, the
group and the inspector by id only: the feed names them when read (``feed_display``)."""

from __future__ import annotations

from xuncha_shared.contracts.clues import ProblemRecorded
from xuncha_shared.contracts.common import Department
from xuncha_shared.contracts.intake import (
    InspectorEvaluated,
    InspectorEvaluationCorrected,
    ReserveCadreAdmitted,
    ReserveCadreRemoved,
)
from xuncha_shared.envelope import EventPayload

from xuncha_reporting.domain.feed_display import (
    GRADE_SUMMARY_PREFIX,
    REMOVAL_SUMMARY_PREFIX,
    RESERVE_SUMMARY_PREFIX,
)
from xuncha_reporting.domain.model import FeedItem, FeedKind
from xuncha_reporting.domain.projected import ProjectedEnvelope

#: the events ``organisation_feed`` projects
ORGANISATION_FEED_EVENT_TYPES: frozenset[str] = frozenset(
    {
        ProblemRecorded.event_type,
        InspectorEvaluated.event_type,
        InspectorEvaluationCorrected.event_type,
        ReserveCadreAdmitted.event_type,
        ReserveCadreRemoved.event_type,
    }
)
#: problems the organisation department receives (R2: 民主集中制, 选人用人)
ORGANISATION_TOPICS: frozenset[str] = frozenset({"民主集中制", "选人用人"})


def organisation_feed(envelope: ProjectedEnvelope, payload: EventPayload) -> list[FeedItem]:
    """The 组织部 feed's items of one event: organisation problems, inspector grades, and
    reserve cadres admitted and taken out."""

    def item(
        kind: FeedKind, ref_id: str, summary: str, reason: str | None, *, unit: str = ""
    ) -> list[FeedItem]:
        return [
            FeedItem(
                item_id=f"{envelope.event_id}:{Department.ORGANISATION.value}",
                department=Department.ORGANISATION,
                kind=kind,
                source_event_id=envelope.event_id,
                source_event_type=envelope.event_type,
                ref_id=ref_id,
                jurisdiction=envelope.jurisdiction,
                unit=unit,
                summary=summary,
                reason=reason,
                rect_type=None,
                due_date=None,
                occurred_at=envelope.occurred_at,
            )
        ]

    match payload:
        case ProblemRecorded() if ORGANISATION_TOPICS & set(payload.topics):
            topics = "、".join(payload.topics)
            pointed = "（点人点事）" if payload.pointed else ""
            summary = f"[{topics}] {payload.title}{pointed}"
            # its unit by id, named when read (``feed_display``)
            unit = str(payload.unit_id)
            return item(FeedKind.PROBLEM, str(payload.problem_id), summary, None, unit=unit)
        case InspectorEvaluated():
            ref = f"{payload.group_id}/{payload.member_id}"
            summary = f"{GRADE_SUMMARY_PREFIX}{payload.grade.value}"
            return item(FeedKind.INSPECTOR_GRADE, ref, summary, payload.remarks)
        case InspectorEvaluationCorrected():  # the grade as corrected, the reason beside it
            ref = f"{payload.group_id}/{payload.member_id}"
            was = payload.previous_grade.value
            summary = f"{GRADE_SUMMARY_PREFIX}更正为{payload.grade.value}（原评价{was}）"
            return item(FeedKind.INSPECTOR_GRADE, ref, summary, payload.reason)
        case ReserveCadreAdmitted():
            ref = f"{payload.group_id}/{payload.member_id}"
            summary = f"{RESERVE_SUMMARY_PREFIX}{payload.admitted_on.isoformat()}"
            return item(FeedKind.RESERVE_CADRE, ref, summary, payload.note)
        case ReserveCadreRemoved():  # names the member only: ``ref_id`` ``/<member>``
            summary = f"{REMOVAL_SUMMARY_PREFIX}{payload.removed_on.isoformat()}"
            ref = f"/{payload.member_id}"
            return item(FeedKind.RESERVE_CADRE_REMOVED, ref, summary, payload.reason)
    return []
