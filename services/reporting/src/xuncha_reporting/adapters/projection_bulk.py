"""A fresh schema's projection tables filled in bulk (a rebuild's or a replay's: empty, made by
``schema.bulk_ddl``, written by nothing else meanwhile): the statements of each chunk of the
history (``ProjectionWrites.statements``) are folded into rows in memory, chunk after chunk,
exactly as the database would apply them, and the final rows are written once, with ``COPY``,
their keys and indexes built after (``BulkTables.load``: the largest table on a second
connection, so PostgreSQL works on two cores).

Every statement kind of ``ProjectionWrites.statement_kinds`` has its twin here, with the same
``ON CONFLICT`` rule: the first row of a key kept (``DO NOTHING``), the latest document of a key
kept (``WHERE d.at < EXCLUDED.at``), a deadline's columns merged as its starting, firing, ending
and rescheduling statements merge them; a chunk's statements run in the order of the chunk's
``Statements`` (first use), each row in turn, as ``ProjectionTables.write`` runs them. The
counters are the facts counted per jurisdiction and metric (what the facts statement adds up),
``meta.version`` the sum of the chunks' bumps. The deadline rows closed by other rows are not
folded: a bulk load's writes leave them out (``closing``), ``load`` writes them once the rows
and their indexes are in. ``tests/integration/test_projection_batches.py`` checks the result
against the statements run by the database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

import asyncpg
from xuncha_shared.db import JSONB_VERSION, set_json_codecs

from xuncha_reporting.adapters.projection_writes import ProjectionWrites, Statements
from xuncha_reporting.adapters.schema import index_ddl
from xuncha_reporting.adapters.two_connections import BESIDE_TABLES, on_both

Row = tuple[Any, ...]

#: the columns of each table, in the order of the rows below (``schema.ddl``)
COLUMNS: dict[str, tuple[str, ...]] = {
    "facts": ("metric", "entity_key", "jurisdiction"),
    "counters": ("jurisdiction", "metric", "value"),
    "feed_items": (
        "item_id", "department", "kind", "source_event_id", "source_event_type", "ref_id",
        "jurisdiction", "unit", "summary", "reason", "rect_type", "due_date", "occurred_at",
        "letter_on",
    ),
    "feed_acks": (
        "item_id", "department", "ack_event_id", "acknowledged_at", "acknowledged_by", "note",
    ),
    "ledger_issues": (
        "issue_id", "feedback_id", "jurisdiction", "unit", "description", "rect_type",
        "due_date", "fed_back_at", "source_event_id",
    ),
    "ledger_reports": (
        "event_id", "issue_id", "jurisdiction", "kind", "progress_percent", "completed", "note",
        "reported_at",
    ),
    "deadlines": (
        "kind", "key", "rule_id", "rule_version", "due_date", "from_firing", "case_type",
        "jurisdiction", "owner", "waits_for", "started_at", "yellow_event_id", "red_event_id",
        "overdue_event_id", "ended_at", "ended_by",
    ),
    "deadline_case_marks": ("case_id", "event_id", "at", "done"),
    "lifecycle_docs": ("kind", "key", "jurisdiction", "doc", "at"),
    "meta": ("key", "value"),
}  # fmt: skip

# ``load`` writes the closed deadline rows on the side that holds the rows they are read from
if {"deadlines", "deadline_case_marks"} & set(BESIDE_TABLES):
    raise RuntimeError("the deadlines and their case marks are loaded on the first connection")

# positions in a deadline row (``COLUMNS["deadlines"]``)
_RULE_ID, _RULE_VERSION, _DUE, _FROM_FIRING, _CASE_TYPE = 2, 3, 4, 5, 6
_STARTED_AT, _YELLOW, _RED, _OVERDUE, _ENDED_AT, _ENDED_BY = 10, 11, 12, 13, 14, 15
_NONE16: Row = (None,) * 16


def _coalesce(old: Any, new: Any) -> Any:
    return new if old is None else old


class BulkTables:
    """The rows of one schema's projection tables, folded in memory (see the module)."""

    def __init__(self, writes: ProjectionWrites) -> None:
        if writes.closing:  # the rows closed by other rows are written after the load
            raise ValueError("a bulk load folds the writes of a bulk ProjectionTables")
        self.writes = writes
        #: the tables whose first row of a key stays (``ON CONFLICT DO NOTHING``), by key width
        self.first: dict[str, dict[Any, Row]] = {
            t: {} for t in ("feed_items", "feed_acks", "ledger_issues", "ledger_reports")
        }
        self.case_marks: dict[tuple[Any, Any], Row] = {}
        self.facts: dict[tuple[str, str], str] = {}  # (metric, key) -> jurisdiction
        self.docs: dict[tuple[str, str], Row] = {}  # (kind, key) -> (jurisdiction, doc, at)
        self.deadlines: dict[tuple[str, str], Row] = {}
        self.meta: dict[str, int] = {}
        self.version = 0
        # each statement's rule as a plain function of the tables: no bound method kept here,
        # which would make the tables a reference cycle, freed only by a full collection (a
        # long-running process kept each rebuild's or replay's gigabytes until one came)
        self._folds = {sql: _FOLDS[kind] for sql, kind in writes.statement_kinds().items()}

    def apply(self, statements: Statements, changed: int) -> None:
        """Fold one chunk's statements (in their order) and its version bump."""
        for sql, rows in statements.items():
            self._folds[sql](self, rows)
        self.version += changed

    # ---- the statements' rules -------------------------------------------------------------

    def _firsts(self, rows: list[Row], *, table: str) -> None:
        kept = self.first[table]
        for row in rows:
            kept.setdefault(row[0], row)

    def _case_marks(self, rows: list[Row]) -> None:
        for row in rows:
            self.case_marks.setdefault((row[0], row[1]), row)

    def _meta(self, rows: list[Row]) -> None:
        for key, value in rows:
            self.meta[key] = value

    def _facts(self, rows: list[Row]) -> None:
        facts = self.facts
        for metrics, keys, places in rows:
            for fact in zip(metrics, keys, places, strict=True):
                facts.setdefault((fact[0], fact[1]), fact[2])

    def _docs(self, rows: list[Row]) -> None:
        docs = self.docs
        for kinds, keys, places, bodies, ats in rows:
            for kind, key, place, body, at in zip(kinds, keys, places, bodies, ats, strict=True):
                seen = docs.get((kind, key))
                if seen is None or seen[2] < at:
                    docs[(kind, key)] = (place, body, at)

    def _starts(self, rows: list[Row]) -> None:
        deadlines = self.deadlines
        for columns in rows:
            for start in zip(*columns, strict=True):
                kind, key, rule_id, version, due, case_type, place, owner, waits, at = start
                old = deadlines.get((kind, key))
                if old is None:
                    old = (kind, key, *_NONE16[2:5], False, *_NONE16[6:])
                elif old[_FROM_FIRING]:  # the firing's rule and due date stay
                    rule_id, version, due = old[_RULE_ID], old[_RULE_VERSION], old[_DUE]
                deadlines[(kind, key)] = (
                    kind, key, rule_id, version, due, old[_FROM_FIRING], case_type, place, owner,
                    waits, at, *old[_YELLOW:],
                )  # fmt: skip

    def _fired(self, rows: list[Row]) -> None:
        deadlines = self.deadlines
        for kind, key, rule_id, version, due, case_type, place, owner, waits, stage, eid in rows:
            stages = (
                eid if stage == "yellow" else None,
                eid if stage == "red" else None,
                eid if stage == "overdue" else None,
            )
            old = deadlines.get((kind, key))
            if old is None:
                deadlines[(kind, key)] = (
                    kind, key, rule_id, version, due, True, case_type, place, owner, waits, None,
                    *stages, None, None,
                )  # fmt: skip
                continue
            deadlines[(kind, key)] = (
                kind, key, rule_id, version, due, True,
                _coalesce(old[_CASE_TYPE], case_type), _coalesce(old[7], place),
                _coalesce(old[8], owner), _coalesce(old[9], waits), old[_STARTED_AT],
                _coalesce(old[_YELLOW], stages[0]), _coalesce(old[_RED], stages[1]),
                _coalesce(old[_OVERDUE], stages[2]), old[_ENDED_AT], old[_ENDED_BY],
            )  # fmt: skip

    def _ended(self, rows: list[Row]) -> None:
        deadlines = self.deadlines
        for kind, key, at, by in rows:
            old = deadlines.get((kind, key))
            if old is None:
                deadlines[(kind, key)] = (kind, key, *_NONE16[2:5], False, *_NONE16[6:14], at, by)
                continue
            was = old[_ENDED_AT]
            # LEAST(COALESCE(old, new), new): NULLs ignored; the earlier end and its event win
            ended_at = at if was is None else (was if at is None else min(was, at))
            earlier = was is None or (at is not None and at < was)
            deadlines[(kind, key)] = (*old[:_ENDED_AT], ended_at, by if earlier else old[_ENDED_BY])

    def _rescheduled(self, rows: list[Row]) -> None:
        deadlines = self.deadlines
        for kind, key, due in rows:
            old = deadlines.get((kind, key), (kind, key, *_NONE16[2:]))
            deadlines[(kind, key)] = (*old[:_DUE], due, True, *old[_CASE_TYPE:])

    # ---- the rows and their COPY -----------------------------------------------------------

    def rows(self, tables: Iterable[str] | None = None) -> dict[str, list[Row]]:
        """Every table's rows (``COLUMNS``' order), or ``tables``' only."""
        wanted = set(COLUMNS if tables is None else tables)
        return {table: self._rows(table) for table in COLUMNS if table in wanted}

    def _rows(self, table: str) -> list[Row]:
        match table:
            case "facts":
                return [(metric, key, place) for (metric, key), place in self.facts.items()]
            case "counters":
                counted = Counter((place, metric) for (metric, _), place in self.facts.items())
                return [(place, metric, n) for (place, metric), n in counted.items()]
            case "deadlines":
                return list(self.deadlines.values())
            case "deadline_case_marks":
                return list(self.case_marks.values())
            case "lifecycle_docs":
                return [(kind, key, *doc) for (kind, key), doc in self.docs.items()]
            case "meta":
                meta = dict(self.meta)
                if self.version:
                    meta["version"] = self.version
                return list(meta.items())
        return list(self.first[table].values())

    async def load(self, conn: asyncpg.Connection, beside: asyncpg.Connection | None) -> None:
        """Write the rows into ``schema``'s (empty) tables, build their keys and indexes, write
        ``closed_*`` of the deadline rows closed by other rows (``close_all_sql``, by those keys
        and indexes), and gather the tables' statistics (the first reads plan with them, not
        with an empty table's guesses). ``BESIDE_TABLES`` is loaded on ``beside`` meanwhile,
        when given: PostgreSQL works on both at once, on two cores. The tables are those of the
        schema the writes were made for. Each connection writes its tables in one transaction,
        then analyzes them; both run to their end before a failure of either is raised (the
        other's logged)."""
        if beside is conn:
            raise ValueError("the second connection of a bulk load is another connection")
        schema = self.writes.schema
        parts = [
            self._load(conn, schema, [t for t in COLUMNS if not beside or t not in BESIDE_TABLES])
        ]
        if beside:
            parts.append(self._load(beside, schema, BESIDE_TABLES))
        await on_both(*parts)

    async def _load(self, conn: asyncpg.Connection, schema: str, tables: Sequence[str]) -> None:
        async with conn.transaction():
            await self.copy(conn, schema, tables)
            await conn.execute(index_ddl(schema, tables))
            if "deadlines" in tables:  # it reads the deadlines and the case marks (one side)
                for sql in self.writes.close_all_sql:
                    await conn.execute(sql)
        await conn.execute(f"ANALYZE {', '.join(f'{schema}.{t}' for t in tables)}")

    async def copy(
        self, conn: asyncpg.Connection, schema: str, tables: Iterable[str] | None = None
    ) -> int:
        """Write every table's rows (or ``tables``') into ``schema``'s (empty) tables, one
        ``COPY`` each; returns how many rows were written."""
        written = 0
        # COPY is binary: the documents (JSON text) go as jsonb's binary form, version 1 + text
        await conn.set_type_codec(
            "jsonb",
            schema="pg_catalog",
            encoder=_jsonb_binary,
            decoder=_jsonb_text,
            format="binary",
        )
        try:
            for table, rows in self.rows(tables).items():
                if rows:
                    await conn.copy_records_to_table(
                        table, records=rows, columns=COLUMNS[table], schema_name=schema
                    )
                    written += len(rows)
        finally:
            await set_json_codecs(conn)  # the connection's own codecs again (``db.connect``)
        return written


#: the rule of each statement kind (``ProjectionWrites.statement_kinds``)
_FOLDS: dict[str, Callable[[BulkTables, list[Row]], None]] = {
    "feed_items": partial(BulkTables._firsts, table="feed_items"),
    "feed_acks": partial(BulkTables._firsts, table="feed_acks"),
    "ledger_issues": partial(BulkTables._firsts, table="ledger_issues"),
    "ledger_reports": partial(BulkTables._firsts, table="ledger_reports"),
    "deadline_case_marks": BulkTables._case_marks,
    "meta": BulkTables._meta,
    "facts": BulkTables._facts,
    "lifecycle_docs": BulkTables._docs,
    "deadline_starts": BulkTables._starts,
    "deadline_fired": BulkTables._fired,
    "deadline_ended": BulkTables._ended,
    "deadline_rescheduled": BulkTables._rescheduled,
}


def _jsonb_binary(text: str) -> bytes:
    return JSONB_VERSION + text.encode()


def _jsonb_text(data: bytes) -> str:
    return data[1:].decode()
