"""In-memory fakes of the ports the handlers use, for unit tests only (cosmicpython keeps its
fakes with its tests): the event store, the services' read models and intake's receipts.
Integration and end-to-end tests use the real PostgreSQL and Kafka, never these."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from uuid import UUID

from xuncha_clues.adapters.read_model import ClueQuery, ClueRow
from xuncha_clues.domain.clue import Clue
from xuncha_intake.adapters.receipts import Receipt
from xuncha_rectification.adapters.read_model import IssueRow
from xuncha_rectification.domain.issue import Issue
from xuncha_shared.aggregates import Aggregates, NoReadModel, ReadModel
from xuncha_shared.domain.aggregates import AggregateKind, State
from xuncha_shared.envelope import GENESIS_HASH, EventEnvelope
from xuncha_shared.eventstore.base import (
    ANY_VERSION,
    START,
    ConcurrencyError,
    EventStore,
    NewEvent,
    Position,
    seal_events,
)
from xuncha_shared.unit_of_work import UnitOfWork

S = TypeVar("S", bound=State)


@asynccontextmanager
async def no_transaction() -> AsyncIterator[None]:
    """The unit of work of the fakes: they need no connection."""
    yield None


def fake_aggregates(
    kind: AggregateKind[S],
    store: EventStore,
    read_model: ReadModel[S] | None = None,
    unit_of_work: UnitOfWork = no_transaction,
) -> Aggregates[S]:
    """The command loop of ``kind`` on a fake store (and read model), without transactions."""
    return Aggregates(kind, store, unit_of_work, read_model or NoReadModel())


def like(pattern: str, value: str) -> bool:
    """SQL ``LIKE`` of the jurisdiction patterns (``_`` wildcards only)."""
    return len(pattern) == len(value) and all(
        p in ("_", v) for p, v in zip(pattern, value, strict=True)
    )


class InMemoryEventStore:
    def __init__(self) -> None:
        self._all: list[EventEnvelope] = []
        self._streams: dict[str, list[EventEnvelope]] = {}
        self._lock = asyncio.Lock()

    async def append(
        self,
        stream_type: str,
        stream_id: str,
        expected_version: int,
        events: Sequence[NewEvent],
        *,
        conn: Any = None,
    ) -> list[EventEnvelope]:
        if not events:
            return []
        async with self._lock:
            stream = self._streams.setdefault(stream_id, [])
            head = len(stream)
            if expected_version != ANY_VERSION and head != expected_version:
                raise ConcurrencyError(stream_id, expected_version, head)
            prev = stream[-1].hash if stream else GENESIS_HASH
            sealed = seal_events(stream_type, stream_id, head + 1, prev, events, datetime.now(UTC))
            tx_id = len(self._all) + 1
            stored = [
                e.model_copy(update={"global_position": len(self._all) + i + 1, "tx_id": tx_id})
                for i, e in enumerate(sealed)
            ]
            stream.extend(stored)
            self._all.extend(stored)
            return stored

    async def stream_version(self, stream_id: str) -> int:
        return len(self._streams.get(stream_id, []))

    async def read_stream(
        self, stream_id: str, from_version: int = 1, *, conn: Any = None
    ) -> list[EventEnvelope]:
        return [e for e in self._streams.get(stream_id, []) if e.stream_version >= from_version]

    async def read_all(self, after: Position = START, limit: int = 1000) -> list[EventEnvelope]:
        return [e for e in self._all if Position.of(e) > after][:limit]

    async def follow(
        self, after: Position = START, batch: int = 1000, poll_interval: float = 0.02
    ) -> AsyncIterator[list[EventEnvelope]]:
        position = after
        while True:
            events = await self.read_all(position, batch)
            if events:
                position = Position.of(events[-1])
                yield events
            else:
                await asyncio.sleep(poll_interval)


class InMemoryClueReadModel:
    """A fake for unit tests of the handlers."""

    def __init__(self) -> None:
        self.rows: dict[UUID, ClueRow] = {}

    async def upsert(self, conn: Any, clue: Clue) -> None:
        row = ClueRow.of(clue)
        old = self.rows.get(row.clue_id)
        if old is None or old.version < row.version:
            self.rows[row.clue_id] = row

    async def list(
        self, pattern: str, *, status: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[ClueRow]:
        found = [
            r
            for r in self.rows.values()
            if (like(pattern, r.jurisdiction) or like(pattern, r.owner))
            and (status is None or r.status == status)
        ]
        oldest = datetime.min.replace(tzinfo=UTC)
        found.sort(key=lambda r: r.registered_at or oldest, reverse=True)
        return found[offset : offset + limit]

    async def page(self, query: ClueQuery) -> tuple[list[ClueRow], int]:
        """Filters as the SQL does; always newest first (the SQL's sort is tested for real)."""
        found = [
            r
            for r in await self.list(query.pattern, status=query.status, limit=10**9)
            if (
                query.category is None
                or (like(query.own, r.owner) and (r.category or "none") == query.category)
            )
            and (query.unit is None or (like(query.own, r.owner) and query.unit in (r.unit or "")))
        ]
        return found[query.offset : query.offset + query.limit], len(found)


class InMemoryIssueReadModel:
    """A fake for unit tests of the handlers."""

    def __init__(self) -> None:
        self.rows: dict[UUID, IssueRow] = {}

    async def upsert(self, conn: Any, issue: Issue) -> None:
        row = IssueRow.of(issue)
        old = self.rows.get(row.issue_id)
        if old is None or old.version < row.version:
            self.rows[row.issue_id] = row

    async def list(
        self,
        pattern: str,
        *,
        department: str | None = None,
        unit: str | None = None,
        unit_id: UUID | None = None,
        round_id: UUID | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[IssueRow]:
        found = [
            r
            for r in self.rows.values()
            if like(pattern, r.jurisdiction)
            and (department is None or department in r.concerns)
            and (unit is None or r.unit == unit)
            and (unit_id is None or r.unit_id == unit_id)
            and (round_id is None or r.round_id == round_id)
        ]
        latest = date.max
        found.sort(key=lambda r: (r.due_date or latest, r.fed_back_at or datetime.now(UTC)))
        return found[offset : offset + limit]


class InMemoryRectificationTables:
    """A fake of rectification's hearings (R16) and known clues (R25) for unit tests of the
    handlers."""

    def __init__(self) -> None:
        self.hearings: set[tuple[UUID, UUID]] = set()
        #: (clue id, jurisdiction) pairs, as ``known_clue`` holds them
        self.clues: set[tuple[UUID, str]] = set()

    async def clues_of(self, jurisdiction: str, clue_ids: Any) -> frozenset[UUID]:
        return frozenset(c for c in clue_ids if (c, jurisdiction) in self.clues)

    async def heard(self, round_id: UUID, unit_id: UUID) -> bool:
        return (round_id, unit_id) in self.hearings


def rectification_handlers(store: EventStore, issues: InMemoryIssueReadModel, now: Any) -> Any:
    """Rectification's handlers over the fakes (plans and oversight on the same store)."""
    from xuncha_rectification.domain.model import ISSUE
    from xuncha_rectification.domain.plans import OVERSIGHT, PLAN
    from xuncha_rectification.handlers import RectificationHandlers

    return RectificationHandlers(
        fake_aggregates(ISSUE, store, issues),
        issues,
        now=now,
        plans=fake_aggregates(PLAN, store),
        oversight=fake_aggregates(OVERSIGHT, store),
        tables=InMemoryRectificationTables(),  # type: ignore[arg-type]
    )


class InMemoryReceipts:
    """A fake for unit tests of the handlers."""

    def __init__(self) -> None:
        self.rows: dict[str, Receipt] = {}

    async def add(self, conn: Any, receipt: Receipt) -> None:
        if receipt.code_hash in self.rows or await self.by_petition(conn, receipt.petition_id):
            raise ValueError("duplicate receipt")
        self.rows[receipt.code_hash] = receipt

    async def by_hash(self, conn: Any, code_hash: str) -> Receipt | None:
        return self.rows.get(code_hash)

    async def by_petition(self, conn: Any, petition_id: UUID) -> Receipt | None:
        return next((r for r in self.rows.values() if r.petition_id == petition_id), None)

    async def by_clue(self, conn: Any, clue_id: UUID) -> Receipt | None:
        return next((r for r in self.rows.values() if r.clue_id == clue_id), None)

    async def update(self, conn: Any, receipt: Receipt) -> None:
        self.rows[receipt.code_hash] = replace(receipt)


class FakeInboxConnection:
    """The statement ``InboxConsumer`` runs on its connection (claim the event in the inbox, or
    find it claimed), on a set of rows; a transaction that raises leaves the rows as they were."""

    def __init__(self, rows: set[tuple[str, UUID]], pool: FakeInboxPool | None = None) -> None:
        self.rows = rows
        self.pool = pool

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        before = set(self.rows)
        effects = len(self.pool.effects) if self.pool is not None else 0
        try:
            yield
        except BaseException:
            self.rows.clear()
            self.rows.update(before)
            if self.pool is not None:
                del self.pool.effects[effects:]
                self.pool.rolled_back += 1
            raise
        if self.pool is not None:
            self.pool.committed += 1

    async def fetch(
        self, sql: str, consumer: str, event_ids: list[UUID], topics: list[str]
    ) -> list[dict[str, UUID]]:
        """A batch's claim (``InboxConsumer.handle_batch``): the rows it inserted; an event
        twice in the batch is inserted once (``ON CONFLICT DO NOTHING`` within one command)."""
        assert sql.startswith("INSERT INTO inbox") and "unnest" in sql, sql
        assert len(event_ids) == len(topics)
        claimed = []
        for event_id in event_ids:
            if (consumer, event_id) not in self.rows:
                self.rows.add((consumer, event_id))
                claimed.append({"event_id": event_id})
        return claimed

    async def fetchval(self, sql: str, consumer: str, event_id: UUID, topic: str) -> bool | None:
        assert sql.startswith("INSERT INTO inbox") and "ON CONFLICT DO NOTHING" in sql, sql
        if (consumer, event_id) in self.rows:
            return None
        self.rows.add((consumer, event_id))
        return True


class FakeInboxPool:
    """A pool of :class:`FakeInboxConnection` sharing one inbox."""

    def __init__(self) -> None:
        self.inbox: set[tuple[str, UUID]] = set()
        #: what handlers wrote in their transactions (``conn.pool.effects``), kept on commit
        self.effects: list[Any] = []
        #: transactions committed and rolled back (a batch's one, or one per record)
        self.committed = 0
        self.rolled_back = 0

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[FakeInboxConnection]:
        yield FakeInboxConnection(self.inbox, self)
