"""The deadlines list a page at a time (期限预警, ``GET /api/v1/views/deadlines``): the rows, their
state and their order decided in SQL from what the projection stored, so that a page of the
whole history costs one sorted read of the jurisdiction's rows, not its transfer and decision in
Python.

It decides what ``ProjectionTables.deadline_rows`` and ``domain.deadlines.state_of`` decide (a
test holds the two equal over every way of ending and many orders):

* a row is ended by its own event (``ended_at``), or closed by other rows (``closed_*``, written
  by the projection when the issue's marks or the stationing's end arrive): by the marks in every
  read (``closed_in`` null), by a stationing only in a read that holds it (``closed_in`` is the
  stationing's jurisdiction; the read of all jurisdictions holds every one);
* an R8 result notice is listed only when its petition's acceptance notice is a row of the same
  read (a real-name petition: ``domain.intake_clocks.real_name_result_notices``), and a withdrawn
  request's for an opinion on a cadre not at all (``not_withdrawn``);
* the state: met or met late against 00:00 Beijing time after the due date, else overdue, red,
  yellow or running by the firings projected.

The order: the overdue first (the most late first: by due date), then every other by due date;
ties by kind, case and key in code-point order (``COLLATE "C"``, as Python compares strings)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg
from xuncha_shared.clocks.rules import WarningPolicy
from xuncha_shared.contracts.clues import clue_id_for_petition

from xuncha_reporting.domain.deadlines import (
    COLOUR_OF,
    WITHDRAWABLE_KINDS,
    WITHDRAWN_PREFIX,
    YELLOW_BY_DATE,
    Kind,
    State,
)
from xuncha_reporting.domain.summary_cadre_opinions import ASKED as OPINION_ASKED

#: ``state_of`` in SQL over the columns ``ended_at`` (as the read decides it), ``due_date`` and
#: R10's yellow threshold of the row's jurisdiction: ``$9``'s days of its code in ``$8``, else
#: the default ``$7`` (``thresholds``)
_YELLOW_DAYS = "COALESCE(($9::int[])[array_position($8::text[], jurisdiction)], $7::int)"
_YELLOW_KINDS = ", ".join(f"'{k}'" for k in sorted(YELLOW_BY_DATE))
#: the firings, on the day ``$6`` (Beijing date; null: none); yellow by date (``$7``-``$9``) as
#: ``domain.deadlines.yellow_by_date`` decides it
_STATE = f"""
    CASE WHEN ended_at IS NOT NULL THEN
             CASE WHEN ended_at < ((due_date + 1)::timestamp AT TIME ZONE INTERVAL '+08:00')
                  THEN '{State.MET.value}' ELSE '{State.MET_LATE.value}' END
         WHEN overdue_event_id IS NOT NULL THEN '{State.OVERDUE.value}'
         WHEN red_event_id IS NOT NULL THEN '{State.WARNING_RED.value}'
         WHEN due_date = $6::date THEN '{State.WARNING_RED.value}'
         WHEN yellow_event_id IS NOT NULL THEN '{State.WARNING_YELLOW.value}'
         WHEN kind IN ({_YELLOW_KINDS}) AND due_date - $6::date BETWEEN 0 AND {_YELLOW_DAYS}
              THEN '{State.WARNING_YELLOW.value}'
         ELSE '{State.RUNNING.value}' END"""

#: the page's order (module docstring)
ORDER = (
    f"state <> '{State.OVERDUE.value}', due_date, kind COLLATE \"C\","
    ' split_part(key, \'/\', 1) COLLATE "C", key COLLATE "C"'
)


def real_name_in_read(s: str) -> str:
    """The condition on a deadline row ``d`` of a read of ``$1`` (a jurisdiction, or all when
    null) that keeps an R8 result notice only when its petition's acceptance notice (ended or
    not) is a row of the same read (``domain.intake_clocks.real_name_result_notices``): one
    index probe each, a scalar subquery never turned into a join that would scan every
    acceptance notice."""
    return f"""(d.kind <> '{Kind.RESULT_NOTICE.value}'
                   OR (SELECT 1 FROM {s}.deadlines o
                       WHERE o.kind = '{Kind.ACCEPTANCE_NOTICE.value}' AND o.key = d.key
                         AND o.due_date IS NOT NULL AND o.jurisdiction IS NOT NULL
                         AND ($1::text IS NULL OR o.jurisdiction = $1)) IS NOT NULL)"""


_WITHDRAWABLE = ", ".join(f"'{k.value}'" for k in WITHDRAWABLE_KINDS)


def not_withdrawn(s: str) -> str:
    """The condition that a deadline row is not one that no longer applies and was never met
    (its case's mark ``withdrawn:<key>``, ``domain.deadlines.withdrawn_case``): a withdrawn
    request's for an opinion on a cadre, an R8 notice of a petition whose reporter's identity
    was erased. Such a case waits for nothing any more; a notice given before stays, met. Only
    those kinds' rows probe the marks."""
    return f"""(d.kind NOT IN ({_WITHDRAWABLE}) OR d.ended_at IS NOT NULL OR NOT EXISTS (
                SELECT 1 FROM {s}.deadline_case_marks w
                WHERE w.case_id = '{WITHDRAWN_PREFIX}' || d.key))"""


def _page_sql(s: str, *, open_only: bool) -> str:
    """``$1`` the jurisdiction read (null: all), ``$2`` a ``LIKE`` pattern the listed rows'
    jurisdictions match (the caller's city), ``$3`` the states (null: all), ``$4``/``$5`` limit
    (null: all) and offset, ``$6`` the day the states are of (``state_of``'s ``today``),
    ``$7``-``$9`` R10's yellow thresholds (``thresholds``; nulls: none by date).
    ``open_only``: the rows of the partial index ``deadlines_unended``
    only, for states that are all open (an ended row is never one of them)."""
    closed = (
        "d.closed_at IS NOT NULL AND (d.closed_in IS NULL OR $1::text IS NULL OR d.closed_in = $1)"
    )
    return f"""
        WITH listed AS (
            SELECT d.kind, d.key, d.rule_id, d.rule_version, d.due_date, d.case_type,
                   rtrim(d.jurisdiction) AS jurisdiction, d.owner, d.waits_for, d.started_at,
                   d.yellow_event_id, d.red_event_id, d.overdue_event_id,
                   COALESCE(d.ended_at, CASE WHEN {closed} THEN d.closed_at END) AS ended_at,
                   COALESCE(d.ended_by, CASE WHEN {closed} THEN d.closed_by END) AS ended_by
            FROM {s}.deadlines d
            WHERE {"d.unended AND " if open_only else ""}d.due_date IS NOT NULL
              AND d.jurisdiction IS NOT NULL
              AND ($1::text IS NULL OR d.jurisdiction = $1) AND d.jurisdiction LIKE $2
              AND {real_name_in_read(s)} AND {not_withdrawn(s)}
        ), stated AS (
            SELECT *, {_STATE} AS state FROM listed
        )
        SELECT *, count(*) OVER () AS total FROM stated
        WHERE $3::text[] IS NULL OR state = ANY($3::text[])
        ORDER BY {ORDER}
        LIMIT $4 OFFSET $5
    """


def _subjects_sql(s: str) -> str:
    """What a page's rows concern, by ``(kind, key)``: ``$1``/``$2``/``$3`` the rows' kinds, keys
    and case types. A group's row (R14, R15: key ``<group>/<stationing>[/…]``) is named by the
    group's number and the unit it is stationed at (intake's ``GroupFormed``,
    ``GroupStationed`` and ``UnitRegistered``, as projected); an issue's row by the issue's unit
    (``IssueFedBack``), a clue's (R3, R12) by the clue's (``ClueRegistered``, projection 17),
    a petition's (R7, R13, the result notice) by the unit of the clue registered for it
    (``$4``: each row's clue key, ``clue_key``), a request for an opinion on a cadre's (R4) by
    the cadre's unit (``CadreOpinionRequested``, projection 32). One index probe per document;
    a row of any other case names nothing."""
    return f"""
        SELECT r.kind, r.key, (g.doc->>'group_no')::int AS group_no,
               COALESCE(u.doc->>'name', i.unit, c.doc->>'unit', o.doc->>'unit') AS unit_name
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
             AS r(kind, key, case_type, clue_key)
        LEFT JOIN {s}.lifecycle_docs g
               ON r.case_type = 'group' AND g.kind = 'group' AND g.key = split_part(r.key, '/', 1)
        LEFT JOIN {s}.lifecycle_docs st
               ON r.case_type = 'group' AND st.kind = 'stationing'
              AND st.key = split_part(r.key, '/', 2)
        LEFT JOIN {s}.lifecycle_docs u ON u.kind = 'unit' AND u.key = st.doc->>'unit_id'
        LEFT JOIN {s}.ledger_issues i
               ON i.issue_id = (CASE WHEN r.case_type = 'issue'
                                     THEN split_part(r.key, '/', 1) END)::uuid
        LEFT JOIN {s}.lifecycle_docs c
               ON r.clue_key IS NOT NULL AND c.kind = 'clue' AND c.key = r.clue_key
        LEFT JOIN {s}.lifecycle_docs o
               ON r.case_type = 'cadre_opinion' AND o.kind = '{OPINION_ASKED}' AND o.key = r.key
    """


#: the cases whose rows name what they concern (``_subjects_sql``)
_NAMED_CASES = ("group", "issue", "clue", "petition", "cadre_opinion")


def clue_key(case_type: str, key: str) -> str | None:
    """The clue whose registered unit names a row: a clue's own, a petition's the one
    registered for it (``clue_id_for_petition``); None for other cases."""
    if case_type == "clue":
        return key
    if case_type == "petition":
        with contextlib.suppress(ValueError):
            return str(clue_id_for_petition(UUID(key)))
    return None


@dataclass(frozen=True)
class Subject:
    """What a deadline concerns, where the projection knows it (``DeadlinePages.subjects``)."""

    group_no: int | None = None
    unit_name: str | None = None


NO_SUBJECT = Subject()


@dataclass(frozen=True)
class DeadlinePage:
    rows: list[dict[str, Any]]
    total: int


#: rows fetched at a time by a read of the whole list
STREAM_CHUNK = 500


def _row(record: asyncpg.Record) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "total"}


@dataclass
class DeadlineStream:
    """The whole list from an offset, read through a cursor ``chunk`` rows at a time (its
    memory does not grow with the history): ``first`` is read when it is opened, so a failure
    to read surfaces before anything is answered; ``total`` as for a page."""

    first: list[dict[str, Any]]
    total: int
    _cursor: Any
    _chunk: int

    async def rest(self) -> AsyncIterator[list[dict[str, Any]]]:
        """The chunks after ``first``, in the list's order."""
        if self._cursor is None or len(self.first) < self._chunk:
            return
        while records := await self._cursor.fetch(self._chunk):
            yield [_row(r) for r in records]
            if len(records) < self._chunk:
                return


#: ``$7``-``$9``: R10's default yellow threshold, the codes that have their own, their days
YellowArgs = tuple[int | None, list[str] | None, list[int] | None]


def _thresholds(policy: WarningPolicy | None) -> YellowArgs:
    if policy is None:
        return None, None, None
    codes = sorted(policy.per_jurisdiction)
    days = [policy.per_jurisdiction[c].yellow_days for c in codes]
    return policy.default.yellow_days, codes, days


class DeadlinePages:
    """The list's pages in one schema."""

    def __init__(self, schema: str) -> None:
        self._sql = _page_sql(schema, open_only=False)
        self._open_sql = _page_sql(schema, open_only=True)
        self._subjects_sql = _subjects_sql(schema)

    async def subjects(
        self, conn: asyncpg.Connection | asyncpg.Pool, rows: Sequence[dict[str, Any]]
    ) -> dict[tuple[str, str], Subject]:
        """What each of ``rows`` (a page's, or a chunk of a stream's) concerns, by its
        ``(kind, key)``; rows of cases that name nothing are left out."""
        named = [r for r in rows if r["case_type"] in _NAMED_CASES]
        if not named:
            return {}
        records = await conn.fetch(
            self._subjects_sql,
            [r["kind"] for r in named],
            [r["key"] for r in named],
            [r["case_type"] for r in named],
            [clue_key(r["case_type"], r["key"]) for r in named],
        )
        return {
            (r["kind"], r["key"]): Subject(r["group_no"], r["unit_name"])
            for r in records
            if r["group_no"] is not None or r["unit_name"] is not None
        }

    def _query(
        self, jurisdiction: str | None, listed_like: str, states: Sequence[str] | None
    ) -> tuple[str, tuple[Any, ...]]:
        wanted = None if states is None else sorted({State(s).value for s in states})
        open_only = wanted is not None and all(State(s) in COLOUR_OF for s in wanted)
        sql = self._open_sql if open_only else self._sql
        return sql, (jurisdiction, listed_like, wanted)

    async def _total_past_the_end(
        self, conn: Any, sql: str, args: tuple[Any, ...], today: date | None, yellow: YellowArgs
    ) -> int:
        first = await conn.fetch(sql, *args, 1, 0, today, *yellow)
        return int(first[0]["total"]) if first else 0

    async def stream(
        self,
        conn: asyncpg.Connection,
        jurisdiction: str | None,
        *,
        listed_like: str = "%",
        states: Sequence[str] | None = None,
        offset: int = 0,
        chunk: int | None = None,
        today: date | None = None,
        yellow: WarningPolicy | None = None,
    ) -> DeadlineStream:
        """Every row from ``offset`` (no limit), as :meth:`page` reads them, through a cursor
        of ``conn``, which must be in a transaction that stays open until the stream is read;
        ``chunk`` rows at a time (default ``STREAM_CHUNK``)."""
        chunk = chunk or STREAM_CHUNK
        sql, args = self._query(jurisdiction, listed_like, states)
        thresholds = _thresholds(yellow)
        cursor = await conn.cursor(sql, *args, None, offset, today, *thresholds)
        records = await cursor.fetch(chunk)
        if not records:
            total = (
                await self._total_past_the_end(conn, sql, args, today, thresholds)
                if offset > 0
                else 0
            )
            return DeadlineStream([], total, None, chunk)
        return DeadlineStream([_row(r) for r in records], int(records[0]["total"]), cursor, chunk)

    async def page(
        self,
        conn: asyncpg.Connection | asyncpg.Pool,
        jurisdiction: str | None,
        *,
        listed_like: str = "%",
        states: Sequence[str] | None = None,
        limit: int | None = None,
        offset: int = 0,
        today: date | None = None,
        yellow: WarningPolicy | None = None,
    ) -> DeadlinePage:
        """The rows of ``jurisdiction`` (``None``: the read of all) whose jurisdiction matches
        ``listed_like``, in ``states`` (``None``: all), ``limit`` of them from ``offset`` in the
        list's order, each with its ``state``; and how many match in all."""
        sql, args = self._query(jurisdiction, listed_like, states)
        thresholds = _thresholds(yellow)
        records = await conn.fetch(sql, *args, limit, offset, today, *thresholds)
        if not records and offset > 0:  # past the end: the total from the first row
            return DeadlinePage(
                [], await self._total_past_the_end(conn, sql, args, today, thresholds)
            )
        total = int(records[0]["total"]) if records else 0
        return DeadlinePage([_row(r) for r in records], total)
