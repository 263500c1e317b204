"""The projection's tables (SQL) in a given schema: applying changes (the statements are
``projection_writes``') and reading views."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from xuncha_reporting.adapters.deadline_pages import not_withdrawn, real_name_in_read
from xuncha_reporting.adapters.deadline_rules import DeadlineRules
from xuncha_reporting.adapters.projection_writes import ProjectionWrites, Statements
from xuncha_reporting.adapters.schema import LIVE_SCHEMA, check_schema
from xuncha_reporting.domain.intake_clocks import close_with_stationings, real_name_result_notices
from xuncha_reporting.domain.ledger import unit_ledger
from xuncha_reporting.domain.model import (
    CaseMark,
    Change,
    LedgerIssue,
    LedgerReport,
)
from xuncha_reporting.domain.rectification_clocks import MARKED_KINDS
from xuncha_reporting.domain.rectification_docs import ISSUE_DOC

FEED_LIMIT = 500


@dataclass(frozen=True)
class Generation:
    """The state of the projection a view is read from, for caching what it computes: the
    ``meta`` table's identity (a rebuilt projection swapped in, or an upgraded one, is another
    table) and its rows, among them ``version``, which moves in the transaction of every change
    the projection applies. Two reads at equal generations read equal tables."""

    table: int
    meta: tuple[tuple[str, int], ...]

    @property
    def values(self) -> dict[str, int]:
        return dict(self.meta)


def feed_names_sql(s: str) -> str:
    """Joins of a feed item ``i`` to the lifecycle documents that name what its event names by
    id only (``domain.feed_display``): a problem's unit (``u``); an inspector grade's or a
    reserve cadre's pool member (``m``, ``ref_id`` ``<group>/<member>``; a removal's
    ``/<member>``), the member's home unit (``u``), the group (``g``) and its round (``r``).
    One index probe each; any other item joins nothing."""
    return f"""
        LEFT JOIN {s}.lifecycle_docs m
               ON i.kind IN ('inspector_grade', 'reserve_cadre', 'reserve_cadre_removed')
              AND m.kind = 'pool_member' AND m.key = split_part(i.ref_id, '/', 2)
        LEFT JOIN {s}.lifecycle_docs g
               ON i.kind IN ('inspector_grade', 'reserve_cadre') AND g.kind = 'group'
              AND g.key = split_part(i.ref_id, '/', 1)
        LEFT JOIN {s}.lifecycle_docs r ON r.kind = 'round' AND r.key = g.doc->>'round_id'
        LEFT JOIN {s}.lifecycle_docs u
               ON u.kind = 'unit'
              AND u.key = (CASE i.kind WHEN 'problem' THEN i.unit
                                       WHEN 'inspector_grade' THEN m.doc->>'home_unit_id'
                                       WHEN 'reserve_cadre' THEN m.doc->>'home_unit_id'
                                       WHEN 'reserve_cadre_removed'
                                            THEN m.doc->>'home_unit_id' END)
    """


def urge_answered_sql(s: str) -> str:
    """Whether feed item ``i`` is a 催办 whose clue's result the department has since reported,
    or which the office has since closed (``clue_result``, ``clue_disposed``, kept by
    ``domain.clue_funnel``; the feed's ``result_state``): what it chased has come, so it no
    longer waits to be signed for (待签收)."""
    return f"""(i.kind = 'clue_urge' AND EXISTS (
        SELECT 1 FROM {s}.lifecycle_docs res
        WHERE res.kind IN ('clue_result', 'clue_disposed') AND res.key = i.ref_id))"""


#: the unit a feed item shows (with ``feed_names_sql``): a problem's registered name (never its
#: id: empty when intake registered none), an inspector's home unit, else the item's own
FEED_UNIT = (
    "(CASE WHEN i.kind = 'problem' THEN COALESCE(u.doc->>'name', '')"
    " ELSE COALESCE(u.doc->>'name', i.unit) END)"
)
#: the columns an item's row gains from ``feed_names_sql`` (``feed_display.NAME_COLUMNS``)
FEED_NAME_COLUMNS = f"""
    {FEED_UNIT} AS unit, m.doc->>'name' AS member_name, (g.doc->>'group_no')::int AS group_no,
    r.jurisdiction AS round_jurisdiction, (r.doc->>'term_no')::int AS term_no,
    (r.doc->>'round_no')::int AS round_no
"""

#: the feed list's sort keys (``?sort=``, ``xuncha_shared.http.paging``) and their SQL
FEED_SORT_COLUMNS: dict[str, str] = {
    "occurred_at": "i.occurred_at",
    "unit": FEED_UNIT,
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


def _deadlines_sql(s: str, *, open_only: bool) -> str:
    """The deadline rows of ``$1`` (a jurisdiction, or all when null); ``$2`` the kinds ended by
    their case's marks (``domain.rectification_clocks``): ended when they started if the last
    mark before was done, else at the first done mark after.

    ``open_only``: only the rows still open once ``close_with_stationings`` and
    ``real_name_result_notices`` have been applied, so that reading them costs what is open,
    not the whole history: the rows ended by their own event (``ended_at``) or closed by other
    rows (``closed_*``, which the projection writes when the marks or the stationing's end
    arrive: the same moments as the whole list decides here) are not read (the partial index
    ``deadlines_unended``), and an R8 result notice is kept only when its petition's acceptance
    notice (ended or not) is a row of the same read."""
    base = f"""
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
              AND {not_withdrawn(s)}"""
    if not open_only:
        return base + "\n            ORDER BY d.due_date, d.kind, d.key\n"
    # the rows the partial index deadlines_unended holds (``unended``), of the jurisdiction
    # read: a row closed by a stationing of another jurisdiction is open in that one's read
    # only; an R8 result notice only of a real-name petition of the same read
    return f"""
            SELECT d.kind, d.key, d.rule_id, d.rule_version, d.due_date, d.case_type,
                   d.jurisdiction, d.owner, d.waits_for, d.started_at, d.yellow_event_id,
                   d.red_event_id, d.overdue_event_id,
                   NULL::timestamptz AS ended_at, NULL::uuid AS ended_by
            FROM {s}.deadlines d
            WHERE d.unended AND d.due_date IS NOT NULL AND d.jurisdiction IS NOT NULL
              AND ($1::text IS NULL OR d.jurisdiction = $1)
              AND (d.closed_at IS NULL OR d.closed_in <> $1::text)
              AND {real_name_in_read(s)}
              AND {not_withdrawn(s)}
            ORDER BY d.due_date, d.kind, d.key
        """


class ProjectionTables:
    """The projection tables of one schema (the live one or a rebuild's)."""

    def __init__(
        self, schema: str = LIVE_SCHEMA, rules: DeadlineRules | None = None, *, bulk: bool = False
    ) -> None:
        """``bulk``: a load into a fresh schema, whose deadline rows closed by other rows are
        written once, by ``close_all`` at the end, rather than after each batch."""
        self.schema = s = check_schema(schema)
        self.rules = rules or DeadlineRules()
        self.bulk = bulk
        self.writes = ProjectionWrites(s, self.rules, closing=not bulk)
        self._deadlines_sql = _deadlines_sql(s, open_only=False)
        self._open_deadlines_sql = _deadlines_sql(s, open_only=True)
        self._docs_sql = f"""
            SELECT kind, key, jurisdiction, doc::text AS doc FROM {s}.lifecycle_docs
            WHERE kind = ANY($1::text[]) AND jurisdiction LIKE $2
        """
        # the name intake registered (by key); else, and only then (COALESCE evaluates its
        # second query only when the first finds nothing), the name its first feedback gave
        # it: a unit that intake does not plan, such as the office under a provincial review
        self._unit_name_sql = f"""
            SELECT COALESCE(
                (SELECT doc->>'name' FROM {s}.lifecycle_docs
                 WHERE kind = 'unit' AND key = $1 AND jurisdiction LIKE $2),
                (SELECT doc->>'unit' FROM {s}.lifecycle_docs
                 WHERE kind = '{ISSUE_DOC}' AND doc->>'unit_id' = $1 AND jurisdiction LIKE $2
                 ORDER BY at LIMIT 1)
            )
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
        # the issues' turns back to 整改中 (a rejected verification, a reopening)
        self._issue_turns_sql = f"""
            SELECT case_id, event_id, at, done FROM {s}.deadline_case_marks
            WHERE case_id = ANY($1::text[]) AND NOT done
        """
        self._units_sql = f"""
            SELECT unit, count(*) AS issues FROM {s}.ledger_issues WHERE jurisdiction = $1
            GROUP BY unit ORDER BY unit
        """
        self._bump_sql = f"""
            INSERT INTO {s}.meta AS m (key, value) VALUES ('version', $1)
            ON CONFLICT (key) DO UPDATE SET value = m.value + EXCLUDED.value
            RETURNING value
        """
        self._feed_sql = f"""
            SELECT i.item_id, i.department, i.kind, i.source_event_id, i.ref_id,
                   i.jurisdiction, i.summary, i.reason, i.rect_type, i.due_date,
                   i.occurred_at, i.letter_on, a.acknowledged_at, a.acknowledged_by,
                   a.note AS ack_note,
                   {FEED_NAME_COLUMNS}
            FROM {s}.feed_items i LEFT JOIN {s}.feed_acks a ON a.item_id = i.item_id
            {feed_names_sql(s)}
            WHERE i.department = $1 AND i.jurisdiction LIKE $2
            ORDER BY i.occurred_at DESC, i.item_id
            LIMIT $3
        """
        self._feed_counts_sql = f"""
            SELECT count(*) AS total,
                   count(*) FILTER (WHERE a.item_id IS NULL AND NOT {urge_answered_sql(s)})
                       AS unacknowledged
            FROM {s}.feed_items i LEFT JOIN {s}.feed_acks a ON a.item_id = i.item_id
            WHERE i.department = $1 AND i.jurisdiction LIKE $2
        """
        self._item_by_id_sql = f"""
            SELECT i.item_id, i.department, i.kind, i.source_event_id, i.ref_id,
                   i.jurisdiction, i.unit, i.summary, i.reason, i.rect_type, i.due_date,
                   i.occurred_at, i.letter_on, a.acknowledged_at, a.acknowledged_by,
                   a.note AS ack_note
            FROM {s}.feed_items i LEFT JOIN {s}.feed_acks a ON a.item_id = i.item_id
            WHERE i.item_id = $1
        """

    # ---- writes ----------------------------------------------------------------------------

    async def apply(self, conn: asyncpg.Connection, changes: Sequence[Change]) -> None:
        """Apply ``changes`` on ``conn`` (inside the caller's transaction), those of one event
        (the live consumer) or of many (rebuilds and replays): one pipelined ``executemany``
        per statement. Idempotent; the result equals applying them one by one, since the
        changes of different statements touch different rows (facts and their counters are one
        statement)."""
        await self.write(conn, self.statements(changes))

    def statements(self, changes: Sequence[Change]) -> Statements:
        """``changes`` as statements with their argument rows (``ProjectionWrites``)."""
        return self.writes.statements(changes)

    async def write(self, conn: asyncpg.Connection, statements: Statements) -> None:
        """Run ``statements`` (from ``statements``): one pipelined ``executemany`` each."""
        for sql, rows in statements.items():
            await conn.executemany(sql, rows)

    async def close_all(self, conn: asyncpg.Connection) -> None:
        """Write ``closed_*`` of every deadline row closed by other rows (the end of a bulk
        load: ``bulk``)."""
        for sql in self.writes.close_all_sql:
            await conn.execute(sql)

    async def bump_version(self, conn: asyncpg.Connection, by: int = 1) -> int:
        return int(await conn.fetchval(self._bump_sql, by))

    async def set_meta(self, conn: asyncpg.Connection, key: str, value: int) -> None:
        await conn.execute(self.writes.meta_set_sql, key, value)

    # ---- reads -----------------------------------------------------------------------------

    async def counter_rows(self, conn: asyncpg.Connection | asyncpg.Pool) -> list[asyncpg.Record]:
        rows: list[asyncpg.Record] = await conn.fetch(
            f"SELECT jurisdiction, metric, value FROM {self.schema}.counters"
        )
        return rows

    async def meta(self, conn: asyncpg.Connection | asyncpg.Pool) -> dict[str, int]:
        rows = await conn.fetch(f"SELECT key, value FROM {self.schema}.meta")
        return {r["key"]: int(r["value"]) for r in rows}

    async def generation(self, conn: asyncpg.Connection | asyncpg.Pool) -> Generation:
        """What every view of these tables was computed at (``Generation``): one small read."""
        rows = await conn.fetch(f"SELECT tableoid::bigint AS t, key, value FROM {self.schema}.meta")
        return Generation(
            table=int(rows[0]["t"]) if rows else 0,
            meta=tuple(sorted((r["key"], int(r["value"])) for r in rows)),
        )

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
        """Items of ``department`` (newest first, rows as ``feed_page``'s), their total and
        unacknowledged count."""
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
        department's unacknowledged count. A row's ``unit`` is the one shown (``FEED_UNIT``,
        which ``unit_contains`` and the sort use too), with the ``FEED_NAME_COLUMNS`` for
        ``feed_display.displayed``."""
        where = f"""
            FROM {self.schema}.feed_items i
            LEFT JOIN {self.schema}.feed_acks a ON a.item_id = i.item_id
            {feed_names_sql(self.schema)}
            WHERE i.department = $1 AND i.jurisdiction LIKE $2
              AND ($3::text IS NULL OR i.kind = $3)
              AND ($4::boolean IS NULL
                   OR (a.item_id IS NOT NULL OR {urge_answered_sql(self.schema)}) = $4)
              AND ($5::text IS NULL OR strpos({FEED_UNIT}, $5) > 0)
        """
        args = (department, jurisdiction_like, kind, acknowledged, unit_contains)
        rows = await conn.fetch(
            f"""
            SELECT i.item_id, i.department, i.kind, i.source_event_id, i.ref_id,
                   i.jurisdiction, i.summary, i.reason, i.rect_type, i.due_date,
                   i.occurred_at, i.letter_on, a.acknowledged_at, a.acknowledged_by,
                   a.note AS ack_note,
                   {FEED_NAME_COLUMNS}
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
    ) -> tuple[list[LedgerIssue], list[LedgerReport], list[CaseMark]]:
        """The ledger rows of one inspected unit: its issues, every report on them and their
        turns back to 整改中 (the not-done case marks: a rejected verification, a reopening; use
        a repeatable-read transaction on ``conn`` for a consistent read)."""
        issue_rows = await conn.fetch(self._unit_issues_sql, jurisdiction, unit)
        issues = [LedgerIssue(**_trimmed(r)) for r in issue_rows]
        if not issues:
            return [], [], []
        report_rows = await conn.fetch(self._issue_reports_sql, [i.issue_id for i in issues])
        reports = [LedgerReport(**_trimmed(r)) for r in report_rows]
        mark_rows = await conn.fetch(self._issue_turns_sql, [str(i.issue_id) for i in issues])
        marks = [CaseMark(**dict(r.items())) for r in mark_rows]
        return issues, reports, marks

    async def ledger_units(
        self, conn: asyncpg.Connection | asyncpg.Pool, jurisdiction: str
    ) -> dict[str, int]:
        """The inspected units of ``jurisdiction`` that have issues, with their issue counts."""
        rows = await conn.fetch(self._units_sql, jurisdiction)
        return {r["unit"]: int(r["issues"]) for r in rows}

    async def deadline_rows(
        self,
        conn: asyncpg.Connection | asyncpg.Pool,
        jurisdiction: str | None,
        *,
        open_only: bool = False,
    ) -> list[dict[str, Any]]:
        """Every deadline (of ``jurisdiction``, or all) whose start or firing was projected;
        ``open_only``: those of them still open (running, warned or overdue) only, the same rows
        as the open ones of the whole list, read without the ended history."""
        if open_only:
            rows = await conn.fetch(self._open_deadlines_sql, jurisdiction)
            return [_trimmed(r) for r in rows]
        rows = await conn.fetch(self._deadlines_sql, jurisdiction, list(MARKED_KINDS))
        return close_with_stationings(real_name_result_notices([_trimmed(r) for r in rows]))

    async def unit_ledger(
        self, conn: asyncpg.Connection | asyncpg.Pool, jurisdiction: str, unit: str, as_of: date
    ) -> dict[str, Any] | None:
        """One unit's ledger (``domain.ledger.unit_ledger``) as of the date ``as_of``; ``None``
        when the unit has no issue in this schema."""
        issues, reports, marks = await self.ledger_rows(conn, jurisdiction, unit)
        if not issues:
            return None
        return unit_ledger(
            issues, reports, jurisdiction=jurisdiction, unit=unit, as_of=as_of, marks=marks
        )

    async def unit_name(
        self, conn: asyncpg.Connection | asyncpg.Pool, unit_id: str, jurisdiction_like: str
    ) -> str | None:
        """The name intake registered for ``unit_id`` in the jurisdictions matching the pattern,
        else the name a feedback to it there gave (None when neither is known there)."""
        name: str | None = await conn.fetchval(self._unit_name_sql, unit_id, jurisdiction_like)
        return name

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
