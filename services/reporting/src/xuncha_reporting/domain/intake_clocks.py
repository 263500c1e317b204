"""The deadlines view's share of intake's clocks R13, R14 and R15 (see the intake service's
``adapters/deadlines.py``): what starts, fires and ends each, as changes of the deadlines view.

* R13 ``intake.walk_in``: a ``PetitionReceived`` of channel ``visit`` starts it (due the day of
  the visit), ``WalkInHandled`` ends it, ``WalkInOverdue`` fires it. Key: the petition.
* R14 ``intake.stationing``: ``GroupStationed`` starts it (counted from ``starts_on``),
  ``StationingEnded`` ends it as of ``ended_on``, ``StationingOverdue`` fires it. Key
  ``<group>/<stationing>``.
* R15 ``intake.dispatch`` / ``intake.progress_report``: ``GroupStationed`` starts number 0,
  ``DispatchHeld``/``ProgressReported`` number ``seq`` ends ``seq - 1`` and starts ``seq`` (from
  its day), ``CadenceOverdue`` fires one. Key ``<group>/<stationing>/<dispatch|report>/<n>``.
  ``StationingEnded`` closes whichever is running: that is decided when the view is read
  (``close_with_stationings``), so the order in which events were applied does not matter.

* R8 ``intake.result_notice``: ``ClueDisposalLearned`` starts it (15 working days from the
  disposal day), ``InformantNotified(notice=result)`` ends it as of the day it was sent,
  ``ResultNoticeOverdue`` fires it. Key: the petition. Intake starts it for a real-name
  reporter only, which the disposal event does not say: a petition without the acceptance
  notice's clock (started by a real-name ``PetitionReceived``) is anonymous, and its row is
  left out when the view is read (``real_name_result_notices``).

A key's part before the first ``/`` is the case (the petition or the group).
"""

from __future__ import annotations

from typing import Any

from xuncha_shared.contracts import intake
from xuncha_shared.contracts.common import Channel
from xuncha_shared.envelope import EventPayload

from xuncha_reporting.domain.deadline_changes import fired, start
from xuncha_reporting.domain.deadlines import Kind, start_of_day
from xuncha_reporting.domain.model import Change, DeadlineEnded
from xuncha_reporting.domain.projected import ProjectedEnvelope

#: the events ``intake_clock_changes`` projects (``projection.STEPS`` calls it for these only)
EVENT_TYPES: frozenset[str] = frozenset(
    {
        intake.PetitionReceived.event_type,
        intake.InformantNotified.event_type,
        intake.WalkInHandled.event_type,
        intake.WalkInOverdue.event_type,
        intake.GroupStationed.event_type,
        intake.StationingEnded.event_type,
        intake.StationingOverdue.event_type,
        intake.DispatchHeld.event_type,
        intake.ProgressReported.event_type,
        intake.CadenceOverdue.event_type,
        intake.ClueDisposalLearned.event_type,
        intake.ResultNoticeOverdue.event_type,
    }
)

CADENCE_KIND = {"dispatch": Kind.DISPATCH, "report": Kind.PROGRESS_REPORT}


_day = start_of_day


def _cadence(group_id: object, stationing_id: object, word: str, n: int) -> str:
    return f"{group_id}/{stationing_id}/{word}/{n}"


def intake_clock_changes(envelope: ProjectedEnvelope, payload: EventPayload) -> list[Change]:
    """The deadlines view's changes of an intake event (R13, R14, R15)."""
    office = envelope.jurisdiction
    match payload:
        case intake.PetitionReceived() if payload.channel is Channel.VISIT:
            return [start(Kind.WALK_IN, str(payload.petition_id), envelope, office)]
        case intake.WalkInHandled():
            key = str(payload.petition_id)
            return [DeadlineEnded(Kind.WALK_IN.value, key, envelope.event_id, envelope.occurred_at)]
        case intake.WalkInOverdue():
            return [
                fired(Kind.WALK_IN, str(payload.petition_id), "overdue", envelope, payload, office)
            ]
        case intake.GroupStationed():
            g, s, at = payload.group_id, payload.stationing_id, _day(payload.starts_on)
            return [
                start(Kind.STATIONING, f"{g}/{s}", envelope, str(g), at=at),
                start(Kind.DISPATCH, _cadence(g, s, "dispatch", 0), envelope, office, at=at),
                start(Kind.PROGRESS_REPORT, _cadence(g, s, "report", 0), envelope, str(g), at=at),
            ]
        case intake.StationingEnded():
            key = f"{payload.group_id}/{payload.stationing_id}"
            at = _day(payload.ended_on)
            return [DeadlineEnded(Kind.STATIONING.value, key, envelope.event_id, at)]
        case intake.StationingOverdue():
            key = f"{payload.group_id}/{payload.stationing_id}"
            return [
                fired(Kind.STATIONING, key, "overdue", envelope, payload, str(payload.group_id))
            ]
        case intake.DispatchHeld() | intake.ProgressReported():
            word, owner, on = (
                ("dispatch", office, payload.held_on)
                if isinstance(payload, intake.DispatchHeld)
                else ("report", str(payload.group_id), payload.reported_on)
            )
            kind, g, s = CADENCE_KIND[word], payload.group_id, payload.stationing_id
            return [
                DeadlineEnded(
                    kind.value, _cadence(g, s, word, payload.seq - 1), envelope.event_id, _day(on)
                ),
                start(kind, _cadence(g, s, word, payload.seq), envelope, owner, at=_day(on)),
            ]
        case intake.ClueDisposalLearned():
            at = _day(payload.disposed_on)
            return [start(Kind.RESULT_NOTICE, str(payload.petition_id), envelope, office, at=at)]
        case intake.InformantNotified() if payload.notice is intake.NoticeKind.RESULT:
            key, sent = str(payload.petition_id), _day(payload.sent_on)
            return [DeadlineEnded(Kind.RESULT_NOTICE.value, key, envelope.event_id, sent)]
        case intake.ResultNoticeOverdue():
            return [
                fired(
                    Kind.RESULT_NOTICE,
                    str(payload.petition_id),
                    "overdue",
                    envelope,
                    payload,
                    office,
                )
            ]
        case intake.CadenceOverdue():
            kind = CADENCE_KIND[payload.cadence]
            key = _cadence(
                payload.group_id, payload.stationing_id, payload.cadence, payload.seq - 1
            )
            owner = office if payload.cadence == "dispatch" else str(payload.group_id)
            return [fired(kind, key, "overdue", envelope, payload, owner)]
    return []


def close_with_stationings(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """R15 rows still running when their stationing ended count as ended then, by the
    stationing's end (met, or met_late when already overdue), as the intake service closes
    them."""
    stationing_kind = Kind.STATIONING.value  # once, not per row
    ended = {
        row["key"]: (row["ended_at"], row.get("ended_by"))
        for row in rows
        if row["kind"] == stationing_kind and row["ended_at"] is not None
    }
    if not ended:
        return rows
    cadence = {Kind.DISPATCH.value, Kind.PROGRESS_REPORT.value}
    out = []
    for row in rows:
        if row["kind"] in cadence and row["ended_at"] is None:
            stationing = "/".join(row["key"].split("/")[:2])
            if stationing in ended:
                at, by = ended[stationing]
                row = {**row, "ended_at": at, "ended_by": by}
        out.append(row)
    return out


def real_name_result_notices(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Leave out the R8 result-notice rows of anonymous petitions (those without an acceptance
    notice clock): intake starts the result notice for real-name reporters only."""
    acceptance, result = Kind.ACCEPTANCE_NOTICE.value, Kind.RESULT_NOTICE.value  # once
    real_name = {r["key"] for r in rows if r["kind"] == acceptance}
    return [r for r in rows if r["kind"] != result or r["key"] in real_name]
