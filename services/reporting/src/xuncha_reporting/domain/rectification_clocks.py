"""The deadlines view's share of rectification's clocks besides R1 (see the rectification
service's ``adapters/deadlines.py``): the tasks of approved plans and the supervision orders.

* ``rectification.task_due`` (R1, each task's own due date): ``IssuePlanned`` starts one per
  task, due on the date the plan set; ``TaskOverdue`` fires it; the task's own
  ``RectificationTaskCompleted`` ends it, as of the day it was done; a return
  (``RectificationTaskReturned``) starts the task's next turn, due on the day the office set.
  Key ``<issue>/<task>``, ``<issue>/<task>/<attempt>`` for a turn after a return.
* ``rectification.supervision_due`` (R4): ``SupervisionOrdered`` starts one per supervised
  issue, due on the order's date; ``SupervisionOverdue`` fires it. Key
  ``<issue>/<supervision>``.

Both also end with the unit's report that the issue is done. The events that say so are on the
issue's stream, the supervision on its own (``oversight``) stream, and the two topics may arrive
in either order: so the view keeps the issue's *marks* instead (``CaseMark``: reported done or
closed out = done; a rejected verification or a reopening by a revisit = not done), and decides
when it is read (``adapters.projection_tables``): such a deadline ended the moment it started
if the issue's last mark before then was done, else at the first done mark after it started.

``rectification.cadre_opinion_reply`` (R4): a request for an opinion on a cadre that names the
day it wants an answer by starts one, due that day, owned by the office that answers; the
answer ends it as of the day given; ``CadreOpinionOverdue`` fires it; a withdrawal leaves it out
of the view (a case mark ``withdrawn:<request>``). Key: the request's id.

The progress-report cadence (R15, ``rectification.progress_report``) fires
``ProgressReportOverdue`` on the issue's stream, which the board's history shows; its periods
are not rows of this view (which period a report closes is known only to the service).
"""

from __future__ import annotations

from xuncha_shared.contracts import rectification as r
from xuncha_shared.domain import jurisdictions
from xuncha_shared.envelope import EventPayload

from xuncha_reporting.domain.deadline_changes import fired, start
from xuncha_reporting.domain.deadlines import Kind, start_of_day, withdrawn_case
from xuncha_reporting.domain.model import CaseMark, Change, DeadlineEnded
from xuncha_reporting.domain.projected import ProjectedEnvelope

#: the events ``rectification_clock_changes`` projects (``projection.STEPS`` calls it for these
#: only)
EVENT_TYPES: frozenset[str] = frozenset(
    {
        r.IssuePlanned.event_type,
        r.RectificationReported.event_type,
        r.RectificationVerified.event_type,
        r.IssueClosedOut.event_type,
        r.IssueReopened.event_type,
        r.TaskOverdue.event_type,
        r.RectificationTaskCompleted.event_type,
        r.RectificationTaskReturned.event_type,
        r.SupervisionOrdered.event_type,
        r.SupervisionOverdue.event_type,
        r.CadreOpinionRequested.event_type,
        r.CadreOpinionGiven.event_type,
        r.CadreOpinionWithdrawn.event_type,
        r.CadreOpinionOverdue.event_type,
    }
)

#: the kinds ended by their issue's marks
MARKED_KINDS: tuple[str, ...] = (Kind.TASK_DUE.value, Kind.SUPERVISION.value)


def task_key(issue_id: object, task_id: object, attempt: int = 1) -> str:
    """A task's deadline of one turn: ``<issue>/<task>``, ``<issue>/<task>/<attempt>`` after a
    return (the issue first: its marks end the row, ``split_part(key, '/', 1)``)."""
    return f"{issue_id}/{task_id}" if attempt == 1 else f"{issue_id}/{task_id}/{attempt}"


def _mark(envelope: ProjectedEnvelope, issue_id: object, done: bool) -> CaseMark:
    return CaseMark(str(issue_id), envelope.event_id, envelope.occurred_at, done)


def rectification_clock_changes(envelope: ProjectedEnvelope, payload: EventPayload) -> list[Change]:
    """The deadlines view's changes of a rectification event (tasks, supervisions)."""
    match payload:
        case r.IssuePlanned():
            return [
                start(
                    Kind.TASK_DUE,
                    task_key(payload.issue_id, task.task_id),
                    envelope,
                    task.owner,
                    due_date=task.due_on.isoformat(),
                )
                for task in payload.tasks
            ]
        case r.SupervisionOrdered():
            return [
                start(
                    Kind.SUPERVISION,
                    f"{issue_id}/{payload.supervision_id}",
                    envelope,
                    payload.unit,
                    due_date=payload.due_on.isoformat(),
                )
                for issue_id in payload.issue_ids
            ]
        case r.TaskOverdue():
            key = task_key(payload.issue_id, payload.task_id, payload.attempt)
            return [fired(Kind.TASK_DUE, key, "overdue", envelope, payload, payload.owner)]
        case r.RectificationTaskCompleted():
            # as of the day it was done (00:00 Beijing time), as the service's clock ends it
            done = start_of_day(payload.completed_on)
            key = task_key(payload.issue_id, payload.task_id, payload.attempt)
            return [DeadlineEnded(Kind.TASK_DUE.value, key, envelope.event_id, done)]
        case r.RectificationTaskReturned():
            key = task_key(payload.issue_id, payload.task_id, payload.attempt)
            due = payload.due_on.isoformat()
            return [start(Kind.TASK_DUE, key, envelope, payload.owner, due_date=due)]
        case r.SupervisionOverdue():
            key = f"{payload.issue_id}/{payload.supervision_id}"
            return [fired(Kind.SUPERVISION, key, "overdue", envelope, payload, payload.unit)]
        case r.RectificationReported() if payload.completed:
            return [_mark(envelope, payload.issue_id, True)]
        case r.IssueClosedOut():
            return [_mark(envelope, payload.issue_id, True)]
        case r.RectificationVerified() if payload.outcome is r.VerificationOutcome.REJECTED:
            return [_mark(envelope, payload.issue_id, False)]
        case r.IssueReopened():
            return [_mark(envelope, payload.issue_id, False)]
        case r.CadreOpinionRequested() if payload.reply_by is not None:
            due = payload.reply_by.isoformat()
            office = jurisdictions.office_name(payload.jurisdiction)
            return [start(Kind.CADRE_OPINION, payload.request_id, envelope, office, due_date=due)]
        case r.CadreOpinionGiven():  # as of the day given (00:00 Beijing time)
            given = start_of_day(payload.given_on)
            key = str(payload.request_id)
            return [DeadlineEnded(Kind.CADRE_OPINION.value, key, envelope.event_id, given)]
        case r.CadreOpinionWithdrawn():  # no longer a deadline: left out when read
            return [_mark(envelope, withdrawn_case(payload.request_id), True)]
        case r.CadreOpinionOverdue():
            key = str(payload.request_id)
            return [fired(Kind.CADRE_OPINION, key, "overdue", envelope, payload, payload.office)]
    return []
