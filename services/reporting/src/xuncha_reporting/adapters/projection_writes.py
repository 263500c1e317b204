"""The projection's writes: each change as an idempotent SQL statement, and a batch of changes
as few statements as will do (``ProjectionTables.apply`` and ``write`` run them)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from xuncha_reporting.adapters.deadline_rules import DeadlineRules
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

#: SQL statement -> its argument rows (``ProjectionWrites.statements``)
Statements = dict[str, list[tuple[Any, ...]]]


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


class ProjectionWrites:
    """The write statements of one schema's projection tables (already checked)."""

    def __init__(self, schema: str, rules: DeadlineRules) -> None:
        s = schema
        self.rules = rules
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
        self.meta_set_sql = f"""
            INSERT INTO {s}.meta AS m (key, value) VALUES ($1, $2)
            ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value
        """

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
            sql, args = self._row_statement(change)
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
