"""The projection's writes: each change as an idempotent SQL statement, and a batch of changes
as few statements as will do (``ProjectionTables.apply`` and ``write`` run them)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import orjson

from xuncha_reporting.adapters.deadline_rules import DeadlineRules
from xuncha_reporting.adapters.schema import CADENCE_KINDS, LIVE_SCHEMA, sql_list
from xuncha_reporting.domain.deadlines import Kind
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

#: SQL statement -> its argument rows (``ProjectionWrites.statements``)
Statements = dict[str, list[tuple[Any, ...]]]
_DEADLINE_CHANGES = (DeadlineStart, DeadlineFired, DeadlineEnded, DeadlineRescheduled)


def _closed_by_marks_sql(s: str, which: str) -> str:
    """Writes ``closed_*`` of the rectification tasks and supervisions ``which`` selects (rows
    ``r``): ended the moment they started if their issue's last mark then was done, else at the
    first done mark after (by ``(at, event_id)``); not before they started."""
    return f"""
        UPDATE {s}.deadlines d SET closed_at = e.at, closed_by = e.by, closed_in = NULL
        FROM (
            SELECT r.kind, r.key,
                   CASE WHEN before.done THEN r.started_at ELSE after.at END AS at,
                   CASE WHEN before.done THEN before.event_id ELSE after.event_id END AS by
            FROM {s}.deadlines r
            LEFT JOIN LATERAL (
                SELECT c.done, c.event_id FROM {s}.deadline_case_marks c
                WHERE c.case_id = split_part(r.key, '/', 1) AND c.at <= r.started_at
                ORDER BY c.at DESC, c.event_id DESC LIMIT 1
            ) before ON true
            LEFT JOIN LATERAL (
                SELECT c.at, c.event_id FROM {s}.deadline_case_marks c
                WHERE c.case_id = split_part(r.key, '/', 1) AND c.done AND c.at > r.started_at
                ORDER BY c.at, c.event_id LIMIT 1
            ) after ON true
            WHERE r.kind IN ({sql_list(MARKED_KINDS)}) {which}
        ) e
        WHERE d.kind = e.kind AND d.key = e.key
          AND (d.closed_at, d.closed_by, d.closed_in) IS DISTINCT FROM (e.at, e.by, NULL)
    """


def _closed_by_stationings_sql(s: str, which: str) -> str:
    """Writes ``closed_*`` of the R15 cadence rows ``which`` selects (rows ``r``): ended when
    their stationing ended, once that stationing's row is one the view reads (its start or
    firing projected); ``closed_in`` its jurisdiction."""
    return f"""
        UPDATE {s}.deadlines d SET closed_at = e.at, closed_by = e.by, closed_in = e.place
        FROM (
            SELECT r.kind, r.key, o.ended_at AS at, o.ended_by AS by, o.jurisdiction AS place
            FROM {s}.deadlines r
            LEFT JOIN {s}.deadlines o
              ON o.kind = '{Kind.STATIONING.value}'
             AND o.key = split_part(r.key, '/', 1) || '/' || split_part(r.key, '/', 2)
             AND o.ended_at IS NOT NULL AND o.due_date IS NOT NULL AND o.jurisdiction IS NOT NULL
            WHERE r.kind IN ({sql_list(CADENCE_KINDS)}) {which}
        ) e
        WHERE d.kind = e.kind AND d.key = e.key
          AND (d.closed_at, d.closed_by, d.closed_in) IS DISTINCT FROM (e.at, e.by, e.place)
    """


def _stationing_of(key: str) -> str:
    """The stationing (``<group>/<stationing>``) of a stationing's or an R15 cadence's key."""
    return "/".join(key.split("/")[:2])


def _note_closing(change: Change, issues: set[str], stationings: set[str]) -> None:
    """Note in ``issues`` or ``stationings`` whose deadline rows ``change`` may close or reopen
    (``ProjectionWrites.statements`` of a batch that ends with the closing statements)."""
    if isinstance(change, CaseMark):
        issues.add(change.case_id)
    elif isinstance(change, _DEADLINE_CHANGES):
        if change.kind in MARKED_KINDS:
            issues.add(change.key.split("/")[0])
        elif change.kind == Kind.STATIONING or change.kind in CADENCE_KINDS:
            stationings.add(_stationing_of(change.key))


def _doc_arrays(docs: Iterable[Doc]) -> tuple[list[Any], ...]:
    """The arguments of the docs upsert: one array per column. The doc goes as text: the same
    on a pool's connection (a jsonb codec) and a plain one (rebuilds, replays)."""
    columns: tuple[list[Any], ...] = ([], [], [], [], [])
    for d in docs:
        columns[0].append(d.kind)
        columns[1].append(d.key)
        columns[2].append(d.jurisdiction)
        columns[3].append(doc_text(d.doc))
        columns[4].append(d.at)
    return columns


def doc_text(doc: dict[str, Any]) -> str:
    """A document as JSON text for its ``jsonb`` column: orjson's, several times faster than
    the json module's and the same JSON value (``tests/unit/services/test_reporting_doc_text``);
    the json module's (``ensure_ascii=False``) for what orjson will not write (an integer beyond
    64 bits, a key that is not a string). Dates and dataclasses are refused, as the json module
    refuses them; orjson would write a UUID or a plain ``Enum`` (the json module would not), but
    the documents hold ``str(...)`` and ``.value`` of those."""
    try:
        return orjson.dumps(doc, option=_PASSTHROUGH).decode()
    except TypeError:
        return json.dumps(doc, ensure_ascii=False)


_PASSTHROUGH = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class ProjectionWrites:
    """The write statements of one schema's projection tables (already checked).

    ``closing``: each batch ends with the statements that write ``closed_*`` of the deadline
    rows its changes may have closed or reopened (``statements``); a bulk load leaves them out
    and writes every row's once at the end (``close_all_sql``)."""

    def __init__(self, schema: str, rules: DeadlineRules, *, closing: bool = True) -> None:
        s = schema
        self.schema = schema
        self.rules = rules
        self.closing = closing
        # by the issues ($1) or the stationings ($2, of the groups $1) of a batch: found through
        # the index deadlines_by_case
        self._close_by_marks_sql = _closed_by_marks_sql(
            s, "AND split_part(r.key, '/', 1) = ANY($1::text[])"
        )
        self._close_by_stationings_sql = _closed_by_stationings_sql(
            s,
            "AND split_part(r.key, '/', 1) = ANY($1::text[])"
            " AND split_part(r.key, '/', 1) || '/' || split_part(r.key, '/', 2) = ANY($2::text[])",
        )
        #: every row's ``closed_*`` (after a bulk load)
        self.close_all_sql = (
            _closed_by_marks_sql(s, ""),
            _closed_by_stationings_sql(s, ""),
        )
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
                due_date, occurred_at, letter_on)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
            ON CONFLICT (item_id) DO NOTHING
        """
        if s == LIVE_SCHEMA:
            # a new live item is queued for its department's share topic in the same statement
            # (adapters/share_tables.py); a rebuild's or a replay's schema queues nothing
            self._item_sql = f"""
                WITH item AS ({self._item_sql} RETURNING item_id)
                INSERT INTO public.share_pending (item_id)
                SELECT item_id FROM item
                WHERE NOT EXISTS (
                    SELECT 1 FROM public.share_published p WHERE p.item_id = item.item_id)
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
        self.meta_set_sql = f"""
            INSERT INTO {s}.meta AS m (key, value) VALUES ($1, $2)
            ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value
        """

    def statement_kinds(self) -> dict[str, str]:
        """Every statement ``statements`` gives, with what it writes (``projection_bulk``
        folds each kind as its statement does)."""
        return {
            self._item_sql: "feed_items",
            self._ack_sql: "feed_acks",
            self._ledger_issue_sql: "ledger_issues",
            self._ledger_report_sql: "ledger_reports",
            self._case_mark_sql: "deadline_case_marks",
            self.meta_set_sql: "meta",
            self._facts_sql: "facts",
            self._docs_upsert_sql: "lifecycle_docs",
            self._deadline_starts_sql: "deadline_starts",
            self._deadline_fired_sql: "deadline_fired",
            self._deadline_ended_sql: "deadline_ended",
            self._deadline_rescheduled_sql: "deadline_rescheduled",
        }

    def _row_statement(self, change: Change) -> tuple[str, tuple[Any, ...]]:
        """The SQL statement and arguments that apply ``change`` alone (idempotent): every kind
        but the facts, docs and deadline starts, which ``statements`` gathers into arrays."""
        match change:
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
                    change.letter_on,
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
            case DemoMark():
                return self.meta_set_sql, ("demo", 1)
            case CaseMark():
                return self._case_mark_sql, (
                    change.case_id,
                    change.event_id,
                    change.at,
                    change.done,
                )
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

    def statements(self, changes: Sequence[Change]) -> Statements:
        """``changes`` as statements with their argument rows, in first-use order (the CPU
        part of ``apply``: a rebuild prepares the next chunk while the database writes one)."""
        groups: Statements = {}
        metrics: list[str] = []
        keys: list[str] = []
        places: list[str] = []
        docs: dict[tuple[str, str], Doc] = {}
        starts: dict[tuple[str, str], DeadlineStart] = {}
        issues: set[str] = set()  # whose tasks' and supervisions' rows may close or reopen
        stationings: set[str] = set()  # whose cadences' rows may
        closing = self.closing
        for change in changes:
            if closing:
                _note_closing(change, issues, stationings)
            # the kinds of change are final (no subclass): compared by identity, fastest
            if type(change) is Fact:  # gathered into one row of arrays
                metrics.append(str(change.metric))  # its value, as plain text
                keys.append(change.key)
                places.append(change.jurisdiction)
            elif type(change) is Doc:  # the latest of each key, the first of equal times
                seen = docs.get((change.kind, change.key))
                if seen is None or seen.at < change.at:
                    docs[(change.kind, change.key)] = change
            elif type(change) is DeadlineStart:  # the last start of each key
                starts[(change.kind, change.key)] = change
            else:
                sql, args = self._row_statement(change)
                groups.setdefault(sql, []).append(args)
        if metrics:
            groups[self._facts_sql] = [(metrics, keys, places)]
        if docs:
            groups[self._docs_upsert_sql] = [_doc_arrays(docs.values())]
        if starts:
            groups[self._deadline_starts_sql] = [self._start_arrays(starts.values())]
        # last: they read what the statements above wrote
        if self.closing and issues:
            groups[self._close_by_marks_sql] = [(sorted(issues),)]
        if self.closing and stationings:
            group_ids = sorted({key.split("/")[0] for key in stationings})
            groups[self._close_by_stationings_sql] = [(group_ids, sorted(stationings))]
        return groups

    def _start_arrays(self, starts: Iterable[DeadlineStart]) -> tuple[list[Any], ...]:
        """The arguments of the starts upsert: one array per column, the rule's version and
        due date computed here (``DeadlineRules.due``)."""
        due = self.rules.due
        rows = [
            (
                c.kind,
                c.key,
                c.rule_id,
                *due(c.rule_id, c.started_at, c.due_date),  # version, due date
                c.case_type,
                c.jurisdiction,
                c.owner,
                c.waits_for,
                c.started_at,
            )
            for c in starts
        ]
        return tuple(map(list, zip(*rows, strict=True))) if rows else tuple([] for _ in range(10))
