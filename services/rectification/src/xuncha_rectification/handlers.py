"""Service layer of rectification: command handlers (HTTP).

Both commands run the shared command loop (``xuncha_shared.aggregates``). A feedback appends one
``IssueFedBack`` per problem, each on its own ``issue`` stream, all in one unit of work with their
read-model rows: a feedback is recorded whole or not at all. A report loads the issue's stream,
lets the model decide and appends with the version it read.

Deadlines (R1) ride on the command loop's reactions (``adapters/deadlines.py``): the feedback
starts them and a formal report satisfies them in the same unit of work. Events take effect at
the service's clock (``now``; tests move it).

The service has no consumers yet: ``clue_ids`` of an issue are recorded as given (the clues
service owns clues; checking them would need a local read model of the clue topic).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from xuncha_shared.aggregates import Aggregates
from xuncha_shared.domain.commands import Meta

from xuncha_rectification.adapters.read_model import IssueReadModel
from xuncha_rectification.domain import model
from xuncha_rectification.domain.model import ISSUE, Issue


@dataclass(frozen=True)
class FeedbackRecorded:
    feedback_id: UUID
    issues: list[Issue]


def _existing(state: Issue, issue_id: UUID) -> Issue:
    if not state.exists:
        raise model.UnknownIssue(model.unknown_issue_detail(issue_id))
    return state


@dataclass
class RectificationHandlers:
    #: the issue aggregates (their command loop updates ``read_model``)
    issues: Aggregates[Issue]
    #: ``issue_view``, the ledger's list
    read_model: IssueReadModel
    #: the service's clock: when commands take effect (feedback date, report time)
    now: Callable[[], datetime]

    async def get(self, issue_id: UUID) -> Issue:
        return _existing(await self.issues.load(issue_id), issue_id)

    async def feed_back(self, cmd: model.FeedBack, meta: Meta) -> FeedbackRecorded:
        events = model.decide_feedback(cmd)
        issues = [ISSUE.initial() for _ in events]
        meta = replace(meta, occurred_at=cmd.fed_back_at)
        async with self.issues.transaction() as tx:
            for issue, event in zip(issues, events, strict=True):
                await self.issues.record(tx, event.issue_id, issue, [event], meta)
        return FeedbackRecorded(feedback_id=cmd.feedback_id, issues=issues)

    async def report(self, issue_id: UUID, cmd: model.ReportRectification, meta: Meta) -> Issue:
        return await self.issues.execute(
            issue_id, lambda s: model.decide_report(_existing(s, issue_id), cmd), meta
        )
