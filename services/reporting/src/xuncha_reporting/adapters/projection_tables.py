"""The projection's tables (SQL): applying changes and reading views, in a given schema."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import date
from typing import Any

import asyncpg

from xuncha_reporting.adapters.deadline_rules import DeadlineRules
from xuncha_reporting.adapters.schema import LIVE_SCHEMA, check_schema
from xuncha_reporting.domain.intake_clocks import close_with_stationings, real_name_result_notices
from xuncha_reporting.domain.ledger import unit_ledger
from xuncha_reporting.domain.model import (
    Ack,
    CaseMark,
    Change,
    DeadlineEnded,
    DeadlineFired,
    DeadlineRescheduled,
    DeadlineStart,
    DemoMark,
    Doc,
    Fact,
    FeedItem,
    LedgerIssue,
    LedgerReport,
)
from xuncha_reporting.domain.rectification_clocks import MARKED_KINDS

FEED_LIMIT = 500
#: SQL statement -> its argument rows (``ProjectionTables.statements``)
Statements = dict[str, list[tuple[Any, ...]]]
#: the feed list's sort keys (``?sort=``, ``xuncha_shared.http.paging``) and their SQL
FEED_SORT_COLUMNS: dict[str, str] = {
    "occurred_at": "i.occurred_at",
    "unit": "i.unit",
    "kind": "i.kind",
    "due_date": "i.due_date",
    "acknowledged_at": "a.acknowledged_at",
}
FEED_TIEBREAK = "i.item_id"


def _trimmed(row: asyncpg.Record) -> dict[str, Any]:
    """A row as a dict, its ``jurisdiction`` (``char(6)``) without the padding."""
    doc = dict(row.items())
    doc["jurisdiction"] = str(doc["jurisdiction"]).strip()
    return doc


@contextlib.asynccontextmanager
async def read_snapshot(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A connection in a read-only repeatable-read transaction: the reads of one view agree."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        yield conn


def _doc_arrays(docs: Iterable[Doc]) -> tuple[list[Any], ...]:
    """The arguments of the docs upsert: one array per column. The doc goes as text: the same
    on a pool's connection (a jsonb codec) and a plain one (rebuilds, replays)."""
    columns: tuple[list[Any], ...] = ([], [], [], [], [])
    for d in docs:
        columns[0].append(d.kind)
        columns[1].append(d.key)
        columns[2].append(d.jurisdiction)
        columns[3].append(json.dumps(d.doc, ensure_ascii=False))
        columns[4].append(d.at)
    return columns


class ProjectionTables:
    """The projection tables of one schema (the live one or a rebuild's)."""

    def __init__(self, schema: str = LIVE_SCHEMA, rules: DeadlineRules | None = None) -> None:
        self.schema = s = check_schema(schema)
        self.rules = rules or DeadlineRules()
        # a batch's starts in one statement, one row per (kind, key): ``statements`` keeps the
        # last start of each key, which is what applying them one by one leaves
        self._deadline_starts_sql = f"""
            INSERT INTO {s}.deadlines AS d (kind, key, rule_id, rule_version, due_date, case_type,
                jurisdiction, owner, waits_for, started_at)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::date[],
                $6::text[], $7::text[], $8::text[], $9::text[], $10::timestamptz[])
            ON CONFLICT (kind, key) DO UPDATE SET
                rule_id = CASE WHEN d.from_firing THEN d.rule_id ELSE EXCLUDED.rule_id END,
                rule_version = CASE WHEN d.from_firing THEN d.rule_version
                                    ELSE EXCLUDED.rule_version END,
                due_date = CASE WHEN d.from_firing THEN d.due_date ELSE EXCLUDED.due_date END,
                case_type = EXCLUDED.case_type, jurisdiction = EXCLUDED.jurisdiction,
                owner = EXCLUDED.owner, waits_for = EXCLUDED.waits_for,
                started_at = EXCLUDED.started_at
        """
        self._deadline_fired_sql = f"""
            INSERT INTO {s}.deadlines AS d (kind, key, rule_id, rule_version, due_date,
                from_firing, case_type, jurisdiction, owner, waits_for, yellow_event_id,
                red_event_id, overdue_event_id)
            VALUES ($1, $2, $3, $4, $5, true, $6, $7, $8, $9,
                    CASE WHEN $10 = 'yellow' THEN $11::uuid END,
                    CASE WHEN $10 = 'red' THEN $11::uuid END,
                    CASE WHEN $10 = 'overdue' THEN $11::uuid END)
            ON CONFLICT (kind, key) DO UPDATE SET
                rule_id = EXCLUDED.rule_id, rule_version = EXCLUDED.rule_version,
                due_date = EXCLUDED.due_date, from_firing = true,
                case_type = COALESCE(d.case_type, EXCLUDED.case_type),
                jurisdiction = COALESCE(d.jurisdiction, EXCLUDED.jurisdiction),
                owner = COALESCE(d.owner, EXCLUDED.owner),
                waits_for = COALESCE(d.waits_for, EXCLUDED.waits_for),
                yellow_event_id = COALESCE(d.yellow_event_id, EXCLUDED.yellow_event_id),
                red_event_id = COALESCE(d.red_event_id, EXCLUDED.red_event_id),
                overdue_event_id = COALESCE(d.overdue_event_id, EXCLUDED.overdue_event_id)
        """
        self._deadline_ended_sql = f"""
            INSERT INTO {s}.deadlines AS d (kind, key, ended_at, ended_by)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (kind, key) DO UPDATE SET
                ended_at = LEAST(COALESCE(d.ended_at, EXCLUDED.ended_at), EXCLUDED.ended_at),
                ended_by = CASE WHEN d.ended_at IS NULL OR EXCLUDED.ended_at < d.ended_at
                                THEN EXCLUDED.ended_by ELSE d.ended_by END
        """
        self._deadline_rescheduled_sql = f"""
            INSERT INTO {s}.deadlines AS d (kind, key, due_date, from_firing)
            VALUES ($1, $2, $3, true)
            ON CONFLICT (kind, key) DO UPDATE SET due_date = EXCLUDED.due_date, from_firing = true
        """
        self._case_mark_sql = f"""
            INSERT INTO {s}.deadline_case_marks (case_id, event_id, at, done)
            VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING
        """
        # the kinds ended by their case's marks (domain.rectification_clocks): ended when they
        # started if the last mark before was done, else at the first done mark after
        self._deadlines_sql = f"""
            SELECT d.kind, d.key, d.rule_id, d.rule_version, d.due_date, d.case_type,
                   d.jurisdiction, d.owner, d.waits_for, d.started_at, d.yellow_event_id,
                   d.red_event_id, d.overdue_event_id,
                   COALESCE(d.ended_at, m.ended_at) AS ended_at,
                   COALESCE(d.ended_by, m.ended_by) AS ended_by
            FROM {s}.deadlines d
            LEFT JOIN LATERAL (
                SELECT CASE WHEN before.done THEN d.started_at ELSE after.at END AS ended_at,
                       CASE WHEN before.done THEN before.event_id ELSE after.event_id END
                           AS ended_by
                -- no row (so no index probe) for the kinds not ended by marks
                FROM (SELECT 1 WHERE d.kind = ANY($2::text[]) AND d.started_at IS NOT NULL) one
                LEFT JOIN LATERAL (
                    SELECT c.done, c.event_id FROM {s}.deadline_case_marks c
                    WHERE c.case_id = split_part(d.key, '/', 1) AND c.at <= d.started_at
                    ORDER BY c.at DESC, c.event_id DESC LIMIT 1
                ) before ON true
                LEFT JOIN LATERAL (
                    SELECT c.at, c.event_id FROM {s}.deadline_case_marks c
                    WHERE c.case_id = split_part(d.key, '/', 1) AND c.done
                      AND c.at > d.started_at
                    ORDER BY c.at, c.event_id LIMIT 1
                ) after ON true
            ) m ON true
            WHERE d.due_date IS NOT NULL AND d.jurisdiction IS NOT NULL
              AND ($1::text IS NULL OR d.jurisdiction = $1)
            ORDER BY d.due_date, d.kind, d.key
        """
        # all the facts of a batch in one statement: the counters row of a (jurisdiction,
        # metric) is updated once per batch, not once per fact (one transaction's repeated
        # updates of one row lengthen its version chain, and each next update walks it);
        # a fact seen twice in the batch is inserted once (DO NOTHING within one command)
        self._facts_sql = f"""
            WITH fresh AS (
                INSERT INTO {s}.facts (metric, entity_key, jurisdiction)
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
                ON CONFLICT (metric, entity_key) DO NOTHING
                RETURNING jurisdiction, metric
            )
            INSERT INTO {s}.counters AS c (jurisdiction, metric, value)
            SELECT jurisdiction, metric, count(*) FROM fresh GROUP BY jurisdiction, metric
            ON CONFLICT (jurisdiction, metric) DO UPDATE SET value = c.value + EXCLUDED.value
        """
        self._item_sql = f"""
            INSERT INTO {s}.feed_items (item_id, department, kind, source_event_id,
                source_event_type, ref_id, jurisdiction, unit, summary, reason, rect_type,
                due_date, occurred_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            ON CONFLICT (item_id) DO NOTHING
        """
        self._ack_sql = f"""
            INSERT INTO {s}.feed_acks (item_id, department, ack_event_id, acknowledged_at,
                acknowledged_by, note)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (item_id) DO NOTHING
        """
        self._ledger_issue_sql = f"""
            INSERT INTO {s}.ledger_issues (issue_id, feedback_id, jurisdiction, unit, description,
                rect_type, due_date, fed_back_at, source_event_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (issue_id) DO NOTHING
        """
        self._ledger_report_sql = f"""
            INSERT INTO {s}.ledger_reports (event_id, issue_id, jurisdiction, kind,
                progress_percent, completed, note, reported_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (event_id) DO NOTHING
        """
        # a batch's docs in one statement, one row per (kind, key): ``statements`` keeps the
        # latest of each key (the first of equal ``at``), which is what applying them one by one
        # with ``WHERE d.at < EXCLUDED.at`` leaves
        self._docs_upsert_sql = f"""
            INSERT INTO {s}.lifecycle_docs AS d (kind, key, jurisdiction, doc, at)
            SELECT kind, key, jurisdiction, doc::jsonb, at
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
                AS u(kind, key, jurisdiction, doc, at)
            ON CONFLICT (kind, key) DO UPDATE SET jurisdiction = EXCLUDED.jurisdiction,
                doc = EXCLUDED.doc, at = EXCLUDED.at
            WHERE d.at < EXCLUDED.at
        """
        self._docs_sql = f"""
            SELECT kind, key, jurisdiction, doc::text AS doc FROM {s}.lifecycle_docs
            WHERE kind = ANY($1::text[]) AND jurisdiction LIKE $2
        """
        self._unit_issues_sql = f"""
            SELECT issue_id, feedback_id, jurisdiction, unit, description, rect_type, due_date,
                   fed_back_at, source_event_id
            FROM {s}.ledger_issues WHERE jurisdiction = $1 AND unit = $2
        """
        self._issue_reports_sql = f"""
            SELECT event_id, issue_id, jurisdiction, kind, progress_percent, completed, note,
                   reported_at
            FROM {s}.ledger_reports WHERE issue_id = ANY($1::uuid[])
        """
        self._units_sql = f"""
            SELECT unit, count(*) AS issues FROM {s}.ledger_issues WHERE jurisdiction = $1
            GROUP BY unit ORDER BY unit
        """
        self._meta_set_sql = f"""
            INSERT INTO {s}.meta AS m (key, value) VALUES ($1, $2)
            ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value
        """
        self._bump_sql = f"""
            INSERT INTO {s}.meta AS m (key, value) VALUES ('version', $1)
            ON CONFLICT (key) DO UPDATE SET value = m.value + EXCLUDED.value
            RETURNING value
        """
        self._feed_sql = f"""
            SELECT i.item_id, i.department, i.kind, i.source_event_id, i.ref_id,
                   i.jurisdiction, i.unit, i.summary, i.reason, i.rect_type, i.due_date,
                   i.occurred_at, a.acknowledged_at, a.acknowledged_by, a.note AS ack_note
            FROM {s}.feed_items i LEFT JOIN {s}.feed_acks a ON a.item_id = i.item_id
            WHERE i.department = $1 AND i.jurisdiction LIKE $2
            ORDER BY i.occurred_at DESC, i.item_id
            LIMIT $3
        """
        self._feed_counts_sql = f"""
            SELECT count(*) AS total, count(*) FILTER (WHERE a.item_id IS NULL) AS unacknowledged
            FROM {s}.feed_items i LEFT JOIN {s}.feed_acks a ON a.item_id = i.item_id
            WHERE i.department = $1 AND i.jurisdiction LIKE $2
        """
        self._item_by_id_sql = f"""
            SELECT i.item_id, i.department, i.kind, i.source_event_id, i.ref_id,
                   i.jurisdiction, i.unit, i.summary, i.reason, i.rect_type, i.due_date,
                   i.occurred_at, a.acknowledged_at, a.acknowledged_by, a.note AS ack_note
            FROM {s}.feed_items i LEFT JOIN {s}.feed_acks a ON a.item_id = i.item_id
            WHERE i.item_id = $1
        """

    # ---- writes ----------------------------------------------------------------------------

    def statement(self, change: Change) -> tuple[str, tuple[Any, ...]]:
        """The SQL statement and arguments that apply ``change`` (idempotent)."""
        match change:
            case Fact():
                return self._facts_sql, ([change.metric.value], [change.key], [change.jurisdiction])
            case FeedItem():
                return self._item_sql, (
                    change.item_id,
                    change.department.value,
                    change.kind.value,
                    change.source_event_id,
                    change.source_event_type,
                    change.ref_id,
                    change.jurisdiction,
                    change.unit,
                    change.summary,
                    change.reason,
                    change.rect_type,
                    change.due_date,
                    change.occurred_at,
                )
            case Ack():
                return self._ack_sql, (
                    change.item_id,
                    change.department.value,
                    change.ack_event_id,
                    change.acknowledged_at,
                    change.acknowledged_by,
                    change.note,
                )
            case LedgerIssue():
                return self._ledger_issue_sql, (
                    change.issue_id,
                    change.feedback_id,
                    change.jurisdiction,
                    change.unit,
                    change.description,
                    change.rect_type,
                    change.due_date,
                    change.fed_back_at,
                    change.source_event_id,
                )
            case LedgerReport():
                return self._ledger_report_sql, (
                    change.event_id,
                    change.issue_id,
                    change.jurisdiction,
                    change.kind,
                    change.progress_percent,
                    change.completed,
                    change.note,
                    change.reported_at,
                )
            case Doc():
                return self._docs_upsert_sql, _doc_arrays([change])
            case DemoMark():
                return self._meta_set_sql, ("demo", 1)
            case CaseMark():
                return self._case_mark_sql, (
                    change.case_id,
                    change.event_id,
                    change.at,
                    change.done,
                )
            case DeadlineStart():
                return self._deadline_starts_sql, self._start_arrays([change])
            case DeadlineFired():
                return self._deadline_fired_sql, (
                    change.kind,
                    change.key,
                    change.rule_id,
                    change.rule_version,
                    date.fromisoformat(change.due_date),
                    change.case_type,
                    change.jurisdiction,
                    change.owner,
                    change.waits_for,
                    change.stage,
                    change.event_id,
                )
            case DeadlineEnded():
                return self._deadline_ended_sql, (
                    change.kind,
                    change.key,
                    change.at,
                    change.event_id,
                )
            case DeadlineRescheduled():
                return self._deadline_rescheduled_sql, (
                    change.kind,
                    change.key,
                    date.fromisoformat(change.due_date),
                )
        raise TypeError(f"unknown change {change!r}")  # pragma: no cover

    async def apply(self, conn: asyncpg.Connection, changes: Sequence[Change]) -> None:
        """Apply ``changes`` on ``conn`` (inside the caller's transaction), those of one event
        (the live consumer) or of many (rebuilds and replays): one pipelined ``executemany``
        per statement. Idempotent; the result equals applying them one by one, since the
        changes of different statements touch different rows (facts and their counters are one
        statement)."""
        await self.write(conn, self.statements(changes))

    def statements(self, changes: Sequence[Change]) -> Statements:
        """``changes`` as statements with their argument rows, in first-use order (the CPU
        part of ``apply``: a rebuild prepares the next chunk while the database writes one)."""
        groups: Statements = {}
        metrics: list[str] = []
        keys: list[str] = []
        places: list[str] = []
        docs: dict[tuple[str, str], Doc] = {}
        starts: dict[tuple[str, str], DeadlineStart] = {}
        for change in changes:
            if isinstance(change, Fact):  # gathered into one row of arrays
                metrics.append(change.metric.value)
                keys.append(change.key)
                places.append(change.jurisdiction)
                continue
            if isinstance(change, DeadlineStart):  # the last start of each key
                starts[(change.kind, change.key)] = change
                continue
            if isinstance(change, Doc):  # the latest of each key, the first of equal times
                seen = docs.get((change.kind, change.key))
                if seen is None or seen.at < change.at:
                    docs[(change.kind, change.key)] = change
                continue
            sql, args = self.statement(change)
            groups.setdefault(sql, []).append(args)
        if metrics:
            groups[self._facts_sql] = [(metrics, keys, places)]
        if docs:
            groups[self._docs_upsert_sql] = [_doc_arrays(docs.values())]
        if starts:
            groups[self._deadline_starts_sql] = [self._start_arrays(starts.values())]
        return groups

    def _start_arrays(self, starts: Iterable[DeadlineStart]) -> tuple[list[Any], ...]:
        """The arguments of the starts upsert: one array per column, the rule's version and
        due date computed here (``DeadlineRules.due``)."""
        columns: tuple[list[Any], ...] = tuple([] for _ in range(10))
        for c in starts:
            version, due = self.rules.due(c.rule_id, c.started_at, c.due_date)
            row = (
                c.kind,
                c.key,
                c.rule_id,
                version,
                due,
                c.case_type,
                c.jurisdiction,
                c.owner,
                c.waits_for,
                c.started_at,
            )
            for column, value in zip(columns, row, strict=True):
                column.append(value)
        return columns

    async def write(self, conn: asyncpg.Connection, statements: Statements) -> None:
        """Run ``statements`` (from ``statements``): one pipelined ``executemany`` each."""
        for sql, rows in statements.items():
            await conn.executemany(sql, rows)

    async def bump_version(self, conn: asyncpg.Connection, by: int = 1) -> int:
        return int(await conn.fetchval(self._bump_sql, by))

    async def set_meta(self, conn: asyncpg.Connection, key: str, value: int) -> None:
        await conn.execute(self._meta_set_sql, key, value)

    # ---- reads -----------------------------------------------------------------------------

    async def counter_rows(self, conn: asyncpg.Connection | asyncpg.Pool) -> list[asyncpg.Record]:
        rows: list[asyncpg.Record] = await conn.fetch(
            f"SELECT jurisdiction, metric, value FROM {self.schema}.counters"
        )
        return rows

    async def meta(self, conn: asyncpg.Connection | asyncpg.Pool) -> dict[str, int]:
        rows = await conn.fetch(f"SELECT key, value FROM {self.schema}.meta")
        return {r["key"]: int(r["value"]) for r in rows}

    async def version(self, conn: asyncpg.Connection | asyncpg.Pool) -> int:
        value = await conn.fetchval(f"SELECT value FROM {self.schema}.meta WHERE key = 'version'")
        return int(value or 0)

    async def feed(
        self,
        conn: asyncpg.Connection | asyncpg.Pool,
        department: str,
        jurisdiction_like: str,
        limit: int = FEED_LIMIT,
    ) -> tuple[list[dict[str, Any]], int, int]:
        """Items of ``department`` (newest first), their total and unacknowledged count."""
        rows = await conn.fetch(self._feed_sql, department, jurisdiction_like, limit)
        counts = await conn.fetchrow(self._feed_counts_sql, department, jurisdiction_like)
        assert counts is not None
        return (
            [dict(r.items()) for r in rows],
            int(counts["total"]),
            int(counts["unacknowledged"]),
        )

    async def feed_page(
        self,
        conn: asyncpg.Connection | asyncpg.Pool,
        department: str,
        jurisdiction_like: str,
        *,
        order_by: str,
        limit: int,
        offset: int = 0,
        kind: str | None = None,
        acknowledged: bool | None = None,
        unit_contains: str | None = None,
    ) -> tuple[list[dict[str, Any]], int, int]:
        """A page of ``department``'s items in ``order_by`` (an expression of
        ``FEED_SORT_COLUMNS``, never the request's text), the total its filters match and the
        department's unacknowledged count."""
        where = f"""
            FROM {self.schema}.feed_items i
            LEFT JOIN {self.schema}.feed_acks a ON a.item_id = i.item_id
            WHERE i.department = $1 AND i.jurisdiction LIKE $2
              AND ($3::text IS NULL OR i.kind = $3)
              AND ($4::boolean IS NULL OR (a.item_id IS NOT NULL) = $4)
              AND ($5::text IS NULL OR strpos(i.unit, $5) > 0)
        """
        args = (department, jurisdiction_like, kind, acknowledged, unit_contains)
        rows = await conn.fetch(
            f"""
            SELECT i.item_id, i.department, i.kind, i.source_event_id, i.ref_id,
                   i.jurisdiction, i.unit, i.summary, i.reason, i.rect_type, i.due_date,
                   i.occurred_at, a.acknowledged_at, a.acknowledged_by, a.note AS ack_note
            {where}
            ORDER BY {order_by}
            LIMIT $6 OFFSET $7
            """,
            *args,
            limit,
            offset,
        )
        total = await conn.fetchval(f"SELECT count(*) {where}", *args)
        counts = await conn.fetchrow(self._feed_counts_sql, department, jurisdiction_like)
        assert counts is not None
        return [dict(r.items()) for r in rows], int(total), int(counts["unacknowledged"])

    async def item(
        self, conn: asyncpg.Connection | asyncpg.Pool, item_id: str
    ) -> dict[str, Any] | None:
        row = await conn.fetchrow(self._item_by_id_sql, item_id)
        return dict(row.items()) if row else None

    async def ledger_rows(
        self, conn: asyncpg.Connection | asyncpg.Pool, jurisdiction: str, unit: str
    ) -> tuple[list[LedgerIssue], list[LedgerReport]]:
        """The ledger rows of one inspected unit: its issues and every report on them (use a
        repeatable-read transaction on ``conn`` for a consistent pair)."""
        issue_rows = await conn.fetch(self._unit_issues_sql, jurisdiction, unit)
        issues = [LedgerIssue(**_trimmed(r)) for r in issue_rows]
        if not issues:
            return [], []
        report_rows = await conn.fetch(self._issue_reports_sql, [i.issue_id for i in issues])
        reports = [LedgerReport(**_trimmed(r)) for r in report_rows]
        return issues, reports

    async def ledger_units(
        self, conn: asyncpg.Connection | asyncpg.Pool, jurisdiction: str
    ) -> dict[str, int]:
        """The inspected units of ``jurisdiction`` that have issues, with their issue counts."""
        rows = await conn.fetch(self._units_sql, jurisdiction)
        return {r["unit"]: int(r["issues"]) for r in rows}

    async def deadline_rows(
        self, conn: asyncpg.Connection | asyncpg.Pool, jurisdiction: str | None
    ) -> list[dict[str, Any]]:
        """Every deadline (of ``jurisdiction``, or all) whose start or firing was projected."""
        rows = await conn.fetch(self._deadlines_sql, jurisdiction, list(MARKED_KINDS))
        return close_with_stationings(real_name_result_notices([_trimmed(r) for r in rows]))

    async def unit_ledger(
        self, conn: asyncpg.Connection | asyncpg.Pool, jurisdiction: str, unit: str, as_of: date
    ) -> dict[str, Any] | None:
        """One unit's ledger (``domain.ledger.unit_ledger``) as of the date ``as_of``; ``None``
        when the unit has no issue in this schema."""
        issues, reports = await self.ledger_rows(conn, jurisdiction, unit)
        if not issues:
            return None
        return unit_ledger(issues, reports, jurisdiction=jurisdiction, unit=unit, as_of=as_of)

    async def docs(
        self, conn: asyncpg.Connection | asyncpg.Pool, kinds: Sequence[str], jurisdiction_like: str
    ) -> dict[str, dict[str, dict[str, Any]]]:
        """The lifecycle documents of ``kinds`` in the jurisdictions matching the pattern:
        ``{kind: {key: doc}}``."""
        rows = await conn.fetch(self._docs_sql, list(kinds), jurisdiction_like)
        out: dict[str, dict[str, dict[str, Any]]] = {kind: {} for kind in kinds}
        for r in rows:
            doc = dict(json.loads(r["doc"]))
            doc["jurisdiction"] = str(r["jurisdiction"]).strip()
            out[r["kind"]][r["key"]] = doc
        return out
