"""Service layer of rectification: command handlers (HTTP).

A feedback appends one ``IssueFedBack`` per problem, each on its own ``issue`` stream, all in one
transaction with their ledger rows: a feedback is recorded whole or not at all. A report loads the
issue's stream, lets the model decide and appends with the version it read.

The service has no consumers yet: ``clue_ids`` of an issue are recorded as given (the clues
service owns clues; checking them would need a local read model of the clue topic).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from xuncha_shared.contracts import REGISTRY, EventRegistry
from xuncha_shared.eventstore import NO_STREAM, EventStore
from xuncha_shared.runtime import ServiceContext
from xuncha_shared.service import Meta, TxFactory, pg_transaction

from xuncha_rectification.adapters.views import IssueViews, SqlIssueViews
from xuncha_rectification.domain import model
from xuncha_rectification.domain.model import Issue


@dataclass(frozen=True)
class FeedbackRecorded:
    feedback_id: UUID
    issues: list[Issue]


@dataclass
class RectificationHandlers:
    store: EventStore
    views: IssueViews
    transaction: TxFactory
    registry: EventRegistry = REGISTRY

    async def load(self, issue_id: UUID) -> Issue:
        state = Issue()
        for envelope in await self.store.read_stream(str(issue_id)):
            model.evolve(state, self.registry.decode(envelope), envelope.recorded_at)
        return state

    async def get(self, issue_id: UUID) -> Issue:
        state = await self.load(issue_id)
        if not state.exists:
            raise model.UnknownIssue(f"未找到问题 {issue_id} / unknown issue {issue_id}")
        return state

    async def feed_back(self, cmd: model.FeedBack, meta: Meta) -> FeedbackRecorded:
        events = model.decide_feedback(cmd)
        issues: list[Issue] = []
        async with self.transaction() as conn:
            for event in events:
                [stored] = await self.store.append(
                    model.STREAM_TYPE,
                    str(event.issue_id),
                    NO_STREAM,
                    [meta.new_event(event, cmd.jurisdiction)],
                    conn=conn,
                )
                issue = model.evolve(Issue(), event, stored.recorded_at)
                await self.views.upsert(conn, issue)
                issues.append(issue)
        return FeedbackRecorded(feedback_id=cmd.feedback_id, issues=issues)

    async def report(self, issue_id: UUID, cmd: model.ReportRectification, meta: Meta) -> Issue:
        state = await self.get(issue_id)
        events = model.decide_report(state, cmd)
        async with self.transaction() as conn:
            stored = await self.store.append(
                model.STREAM_TYPE,
                str(issue_id),
                state.version,
                [meta.new_event(e, state.jurisdiction) for e in events],
                conn=conn,
            )
            for envelope, event in zip(stored, events, strict=True):
                model.evolve(state, event, envelope.recorded_at)
            await self.views.upsert(conn, state)
        return state


def handlers_from_context(ctx: ServiceContext) -> RectificationHandlers:
    return RectificationHandlers(
        store=ctx.store,
        views=SqlIssueViews(ctx.pool),
        transaction=pg_transaction(ctx.pool),
        registry=ctx.registry,
    )
