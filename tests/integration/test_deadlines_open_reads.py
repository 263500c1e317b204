"""The deadlines view's open rows (the summary and the list's open states) against the real
PostgreSQL: read in SQL without the ended history, they are exactly the open rows of the whole
list as the Python post-processing decides them (R15 cadences closed by their stationing, R8
result notices of anonymous petitions left out, R1/R4 tasks and supervisions ended by their
issue's marks), and many deadlines ended long ago change neither them nor the summary.

The rows closed by other rows (by the issue's marks, by the stationing's end) are written by the
projection when those arrive (``closed_*``): whatever the order in which the changes are
applied, one at a time (the live consumer), in batches, or in bulk with ``close_all`` at the end
(a rebuild, a replay), the tables end the same, the open read equals the whole list's open rows,
and the partial index ``deadlines_unended`` holds no ended task, supervision or cadence."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from xuncha_reporting.adapters.deadline_pages import DeadlinePages
from xuncha_reporting.adapters.deadline_rules import DeadlineRules
from xuncha_reporting.adapters.projection_bulk import BulkTables
from xuncha_reporting.adapters.projection_compare import compare
from xuncha_reporting.adapters.projection_tables import ProjectionTables
from xuncha_reporting.adapters.schema import bulk_ddl, ddl, index_ddl
from xuncha_reporting.domain.deadlines import (
    COLOUR_OF,
    KINDS,
    Kind,
    State,
    state_of,
    summary,
)
from xuncha_reporting.domain.model import (
    CaseMark,
    Change,
    DeadlineEnded,
    DeadlineFired,
    DeadlineStart,
)
from xuncha_shared.clocks.clock import CST
from xuncha_shared.clocks.rules import Thresholds, WarningPolicy

from tests.support.principals import LINCHUAN, NANCHENG

pytestmark = pytest.mark.timeout(120)

T0 = datetime(2026, 10, 12, 9, tzinfo=CST)
DUE = date(2026, 10, 30)
LONG_AGO = datetime(2022, 3, 1, 9, tzinfo=CST)


#: R10's yellow by date: a threshold that makes some rows yellow, another for 临川区
YELLOW = WarningPolicy(Thresholds(20, 0), {LINCHUAN: Thresholds(5, 0)})


def yellow_days(jurisdiction: str) -> int:
    return YELLOW.for_jurisdiction(jurisdiction).yellow_days


@pytest.fixture
async def schema(infra: Any) -> AsyncIterator[tuple[asyncpg.Connection, str]]:
    name = f"dor_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(infra.pg_admin_url)
    try:
        await connection.execute(ddl(name))
        yield connection, name
    finally:
        await connection.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        await connection.close()


def row(
    kind: str,
    key: str,
    *,
    jurisdiction: str = LINCHUAN,
    started_at: datetime | None = T0,
    due: date | None = DUE,
    ended_at: datetime | None = None,
    fired: str | None = None,
) -> tuple[Any, ...]:
    fired_id = uuid.uuid4()
    return (
        kind,
        key,
        "rule",
        1,
        due,
        "case",
        jurisdiction,
        "owner",
        "waits",
        started_at,
        fired_id if fired in ("yellow", "red", "overdue") else None,
        fired_id if fired in ("red", "overdue") else None,
        fired_id if fired == "overdue" else None,
        ended_at,
        uuid.uuid4() if ended_at else None,
    )


def mark(case: str, at: datetime, done: bool) -> tuple[Any, ...]:
    return (case, uuid.uuid4(), at, done)


def key(*parts: object) -> str:
    return "/".join(str(p) for p in parts)


def current() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Open and ended deadlines of every way a row ends, in two jurisdictions."""
    u = uuid.uuid4
    s1, s2, s3 = (key(u(), u()) for _ in range(3))  # group/stationing
    p_real, p_anon, p_other = u(), u(), u()
    i_done, i_rejected, i_done_before, i_reopened = (str(u()) for _ in range(4))
    ended = T0 + timedelta(days=3)
    rows = [
        # R14/R15: s1 ended: its cadences still running count as ended (met / met_late)
        row(Kind.STATIONING, s1, ended_at=ended),
        row(Kind.DISPATCH, key(s1, "dispatch", 0), ended_at=T0 + timedelta(days=1)),
        row(Kind.DISPATCH, key(s1, "dispatch", 1)),
        row(Kind.PROGRESS_REPORT, key(s1, "report", 0), due=T0.date(), fired="overdue"),
        # s2 running: its cadence open (yellow)
        row(Kind.STATIONING, s2),
        row(Kind.DISPATCH, key(s2, "dispatch", 0), fired="yellow"),
        # s3 ended, its stationing row of another jurisdiction: open when Linchuan is read
        row(Kind.STATIONING, s3, jurisdiction=NANCHENG, ended_at=ended),
        row(Kind.PROGRESS_REPORT, key(s3, "report", 0), fired="red"),
        # R8: a real-name petition's result notice (its acceptance notice met) stays, an
        # anonymous one's is left out, one whose acceptance notice is of another jurisdiction
        # stays only when every jurisdiction is read
        row(Kind.ACCEPTANCE_NOTICE, str(p_real), ended_at=T0),
        row(Kind.RESULT_NOTICE, str(p_real), fired="overdue"),
        row(Kind.RESULT_NOTICE, str(p_anon)),
        row(Kind.ACCEPTANCE_NOTICE, str(p_other), jurisdiction=NANCHENG),
        row(Kind.RESULT_NOTICE, str(p_other)),
        # R1/R4 by the issue's marks: done after the start ends it, done before the start ends
        # it when it starts, a rejected (not done) mark leaves it open, reopened before too
        row(Kind.TASK_DUE, key(i_done, u())),
        row(Kind.TASK_DUE, key(i_rejected, u()), fired="red"),
        row(Kind.SUPERVISION, key(i_done_before, u())),
        row(Kind.SUPERVISION, key(i_reopened, u()), fired="overdue"),
        # R13: handled and not; a firing without its start (no due date) is no row of the view
        row(Kind.WALK_IN, str(u()), ended_at=T0 + timedelta(hours=2)),
        # met until midnight Beijing time after the due date, late from then (not UTC's)
        row(Kind.WALK_IN, str(u()), ended_at=datetime(2026, 10, 30, 23, 59, tzinfo=CST)),
        row(Kind.WALK_IN, str(u()), ended_at=datetime(2026, 10, 31, 2, tzinfo=CST)),
        row(Kind.WALK_IN, str(u()), fired="overdue"),
        row(Kind.WALK_IN, str(u()), due=None, fired="overdue"),
        row(Kind.TRANSFER_RESULT, str(u()), jurisdiction=NANCHENG),
    ]
    marks = [
        mark(i_done, T0 + timedelta(days=2), True),
        mark(i_rejected, T0 - timedelta(days=1), False),
        mark(i_rejected, T0 + timedelta(days=1), False),
        mark(i_done_before, T0 - timedelta(days=1), True),
        mark(i_reopened, T0 - timedelta(days=2), True),
        mark(i_reopened, T0 - timedelta(days=1), False),
    ]
    return rows, marks


def history(n: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """``n`` cases of a past term, every deadline of them ended (by its own event, by its
    stationing or by its issue's marks)."""
    rows: list[tuple[Any, ...]] = []
    marks: list[tuple[Any, ...]] = []
    for i in range(n):
        at = LONG_AGO + timedelta(days=i % 300)
        due, ended = at.date() + timedelta(days=15), at + timedelta(days=10 + i % 10)
        where = LINCHUAN if i % 3 else NANCHENG
        s, p, issue = key(uuid.uuid4(), uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
        rows += [
            row(Kind.STATIONING, s, jurisdiction=where, started_at=at, due=due, ended_at=ended),
            row(Kind.DISPATCH, key(s, "dispatch", 3), jurisdiction=where, started_at=at, due=due),
            row(Kind.ACCEPTANCE_NOTICE, p, jurisdiction=where, started_at=at, due=due,
                ended_at=ended),
            row(Kind.RESULT_NOTICE, p, jurisdiction=where, started_at=at, due=due,
                ended_at=ended, fired="overdue"),
            row(Kind.TASK_DUE, key(issue, uuid.uuid4()), jurisdiction=where, started_at=at,
                due=due),
        ]  # fmt: skip
        marks.append(mark(issue, ended, True))
    return rows, marks


async def insert(
    conn: asyncpg.Connection, schema: str, rows: list[tuple[Any, ...]], marks: list[Any]
) -> None:
    await conn.copy_records_to_table(
        "deadlines",
        schema_name=schema,
        records=rows,
        columns=[
            "kind", "key", "rule_id", "rule_version", "due_date", "case_type", "jurisdiction",
            "owner", "waits_for", "started_at", "yellow_event_id", "red_event_id",
            "overdue_event_id", "ended_at", "ended_by",
        ],
    )  # fmt: skip
    await conn.copy_records_to_table(
        "deadline_case_marks",
        schema_name=schema,
        records=marks,
        columns=["case_id", "event_id", "at", "done"],
    )


async def test_open_rows_are_the_open_ones_of_the_whole_list_whatever_the_history(
    schema: tuple[asyncpg.Connection, str],
) -> None:
    conn, name = schema
    tables = ProjectionTables(name)
    await insert(conn, name, *current())
    await tables.close_all(conn)  # rows loaded in bulk: their closed_* written once, at the end

    async def reads(jurisdiction: str | None) -> tuple[list[Any], list[Any], list[Any]]:
        whole = await tables.deadline_rows(conn, jurisdiction)
        open_rows = await tables.deadline_rows(conn, jurisdiction, open_only=True)
        return whole, open_rows, [r for r in whole if state_of(r) in COLOUR_OF]

    before: dict[str | None, tuple[list[Any], list[Any]]] = {}
    for jurisdiction in (LINCHUAN, NANCHENG, None):
        whole, open_rows, expected = await reads(jurisdiction)
        # every way of ending is in the whole list, and the open rows are its open ones
        assert {state_of(r).value for r in whole} >= (
            {"met", "met_late", "running", "overdue"} if jurisdiction != NANCHENG else {"met"}
        )
        assert open_rows == expected, jurisdiction
        assert all(r["ended_at"] is None for r in open_rows)
        await pages_equal_the_whole_list(conn, name, jurisdiction, whole)
        before[jurisdiction] = (whole, open_rows)
    lc_open = {(r["kind"], state_of(r).value) for r in before[LINCHUAN][1]}
    assert lc_open == {
        (Kind.DISPATCH.value, "warning_yellow"),  # s2's
        (Kind.PROGRESS_REPORT.value, "warning_red"),  # s3's: its stationing is not read
        (Kind.RESULT_NOTICE.value, "overdue"),  # the real-name petition's only
        (Kind.TASK_DUE.value, "warning_red"),
        (Kind.SUPERVISION.value, "overdue"),
        (Kind.STATIONING.value, "running"),
        (Kind.WALK_IN.value, "overdue"),
    }
    assert len(before[LINCHUAN][1]) == 7
    # the other jurisdiction's acceptance notice makes p_other's result notice real-name
    assert (Kind.RESULT_NOTICE.value, "running") in {
        (r["kind"], state_of(r).value) for r in before[None][1]
    }

    # a long history, all ended: the open rows and the summary do not change, nor what the
    # partial index holds
    indexed = await unended(conn, name)
    await insert(conn, name, *history(400))
    await tables.close_all(conn)
    assert await unended(conn, name) == indexed
    # the open read can read that index alone (its condition implies the index's)
    async with conn.transaction():
        await conn.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off")
        plan = await conn.fetch(f"EXPLAIN {tables._open_deadlines_sql}", LINCHUAN)
    assert "deadlines_unended" in "\n".join(r[0] for r in plan)
    for jurisdiction in (LINCHUAN, NANCHENG, None):
        whole, open_rows, expected = await reads(jurisdiction)
        assert len(whole) > len(before[jurisdiction][0]) + 100
        assert open_rows == expected == before[jurisdiction][1], jurisdiction
        assert summary(open_rows) == summary(whole) == summary(before[jurisdiction][0])


async def unended(conn: asyncpg.Connection, schema: str) -> set[tuple[str, str]]:
    """The rows the partial index ``deadlines_unended`` holds (those its condition matches)."""
    condition = await conn.fetchval(
        "SELECT pg_get_expr(indpred, indrelid) FROM pg_index WHERE indexrelid = $1::regclass",
        f"{schema}.deadlines_unended",
    )
    assert condition == "unended"
    rows = await conn.fetch(f"SELECT kind, key FROM {schema}.deadlines WHERE {condition}")
    return {(r["kind"], r["key"]) for r in rows}


# ---- the changes of a history, applied in several orders ------------------------------------


def _start(kind: Kind, key: str, at: datetime, where: str = LINCHUAN) -> DeadlineStart:
    info = KINDS[kind]
    return DeadlineStart(
        kind=kind.value, key=key, rule_id=info.rule_id, case_type=info.case_type,
        jurisdiction=where, owner="owner", waits_for=info.waits_for, started_at=at,
        due_date=DUE.isoformat(),
    )  # fmt: skip


def _fired(kind: Kind, key: str, stage: str, where: str = LINCHUAN) -> DeadlineFired:
    info = KINDS[kind]
    return DeadlineFired(
        kind=kind.value, key=key, stage=stage, event_id=uuid.uuid4(), rule_id=info.rule_id,
        rule_version=1, due_date=DUE.isoformat(), case_type=info.case_type, jurisdiction=where,
        owner="owner", waits_for=info.waits_for, at=T0,
    )  # fmt: skip


def _ended(kind: Kind, key: str, at: datetime) -> DeadlineEnded:
    return DeadlineEnded(kind.value, key, uuid.uuid4(), at)


def _mark(case: str, at: datetime, done: bool, event_id: uuid.UUID | None = None) -> CaseMark:
    return CaseMark(case, event_id or uuid.uuid4(), at, done)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def changes() -> tuple[list[Change], dict[str, str]]:
    """Every way a task, a supervision or a cadence is closed, or not, by other rows; and the
    keys the test looks at by name."""
    u = uuid.uuid4
    issue = {name: str(u()) for name in ("A", "B", "C", "D", "E", "F", "G", "H", "J", "N")}
    k = {name: key(case, u()) for name, case in issue.items()}
    k |= {"E2": key(issue["E"], u()), "E3": key(issue["E"], u()), "G2": key(issue["G"], u())}
    low, high = sorted([u(), u()])
    s1, s2, s3, s4, s5, s6 = (key(u(), u()) for _ in range(6))
    k |= {"s3": key(s3, "report", 0), "s4": key(s4, "dispatch", 0), "s6": key(s6, "report", 0)}
    T, S = Kind.TASK_DUE, Kind.SUPERVISION
    out: list[Change] = [
        # done after the start: ended then
        _start(T, k["A"], day(0)), _mark(issue["A"], day(2), True),
        # only not-done marks: open, red
        _start(T, k["B"], day(0)), _fired(T, k["B"], "red"),
        _mark(issue["B"], day(-1), False), _mark(issue["B"], day(1), False),
        # done before the start: ended when it started
        _start(S, k["C"], day(0)), _mark(issue["C"], day(-1), True),
        # done, then reopened before the start: open, overdue
        _start(S, k["D"], day(0)), _fired(S, k["D"], "overdue"),
        _mark(issue["D"], day(-2), True), _mark(issue["D"], day(-1), False),
        # one issue, tasks started at three moments: done at 1, reopened at 3, done at 5
        _mark(issue["E"], day(1), True), _mark(issue["E"], day(3), False),
        _mark(issue["E"], day(5), True),
        _start(T, k["E"], day(0)),  # ended at 1
        _start(T, k["E2"], day(2)),  # the last mark before was done: ended when it started
        _start(T, k["E3"], day(4)),  # reopened before: ended at 5
        # marks at the same moment: by event id. At the start, the later id (done) wins...
        _start(T, k["F"], day(1)),
        _mark(issue["F"], day(1), False, low), _mark(issue["F"], day(1), True, high),
        # ... and here the later id (not done) wins: open; after the start, the first done
        # mark by (at, event id) ends the other task
        _start(T, k["G"], day(1)), _start(T, k["G2"], day(0)),
        _mark(issue["G"], day(1), True, low), _mark(issue["G"], day(1), False, high),
        # two done marks at the same moment after the start: the earlier id ends it
        _start(S, k["J"], day(0)),
        _mark(issue["J"], day(2), True, high), _mark(issue["J"], day(2), True, low),
        # fired, never started: open whatever the marks
        _fired(S, k["H"], "overdue"), _mark(issue["H"], day(-1), True),
        # another jurisdiction's task, done
        _start(T, k["N"], day(0), NANCHENG), _mark(issue["N"], day(3), True),
        # s1 ended at 3: its dispatch 0 ended by its own event, dispatch 1 and report 0
        # (overdue) closed by the stationing
        _start(Kind.STATIONING, s1, day(0)), _ended(Kind.STATIONING, s1, day(3)),
        _start(Kind.DISPATCH, key(s1, "dispatch", 0), day(0)),
        _ended(Kind.DISPATCH, key(s1, "dispatch", 0), day(1)),
        _start(Kind.DISPATCH, key(s1, "dispatch", 1), day(1)),
        _start(Kind.PROGRESS_REPORT, key(s1, "report", 0), day(0)),
        _fired(Kind.PROGRESS_REPORT, key(s1, "report", 0), "overdue"),
        # s2 running: its dispatch open, yellow
        _start(Kind.STATIONING, s2, day(0)), _start(Kind.DISPATCH, key(s2, "dispatch", 0), day(0)),
        _fired(Kind.DISPATCH, key(s2, "dispatch", 0), "yellow"),
        # s3's stationing row of another jurisdiction, ended: its report open in Linchuan's read
        _start(Kind.STATIONING, s3, day(0), NANCHENG), _ended(Kind.STATIONING, s3, day(2)),
        _start(Kind.PROGRESS_REPORT, k["s3"], day(0)), _fired(Kind.PROGRESS_REPORT, k["s3"], "red"),
        # s4 ended, its start never projected (no row the view reads): its dispatch open
        _ended(Kind.STATIONING, s4, day(2)), _start(Kind.DISPATCH, k["s4"], day(0)),
        # s5 ended at 2, its dispatch ended by its own event after that: its own end counts
        _start(Kind.STATIONING, s5, day(0)), _ended(Kind.STATIONING, s5, day(2)),
        _start(Kind.DISPATCH, key(s5, "dispatch", 0), day(0)),
        _ended(Kind.DISPATCH, key(s5, "dispatch", 0), day(4)),
        # s6 known from its overdue firing only (a row the view reads), ended: report closed
        _fired(Kind.STATIONING, s6, "overdue"), _ended(Kind.STATIONING, s6, day(20)),
        _start(Kind.PROGRESS_REPORT, k["s6"], day(0)),
    ]  # fmt: skip
    return out, k


async def project(
    conn: asyncpg.Connection,
    schema: str,
    items: Sequence[Change],
    sizes: random.Random | None,
    *,
    bulk: bool = False,
) -> ProjectionTables:
    """``items`` applied to a fresh ``schema``: one at a time (no ``sizes``), or in batches of
    random sizes; ``bulk`` as a rebuild does (``rebuild.project_history``: the batches'
    statements folded in memory, written with COPY into tables without keys, then the keys
    and indexes, then the rows closed by other rows)."""
    await conn.execute((bulk_ddl if bulk else ddl)(schema))
    tables = ProjectionTables(schema, rules=DeadlineRules().pinned(), bulk=bulk)
    folded = BulkTables(tables.writes) if bulk else None
    start = 0
    while start < len(items):
        size = sizes.randint(1, 7) if sizes else 1
        batch = items[start : start + size]
        if folded is not None:
            folded.apply(tables.statements(batch), len(batch))
        else:
            async with conn.transaction():
                await tables.apply(conn, batch)
        start += size
    if folded is not None:
        async with conn.transaction():
            await folded.copy(conn, schema)
            await conn.execute(index_ddl(schema))
            await tables.close_all(conn)
    return tables


@pytest.fixture
async def scratch(infra: Any) -> AsyncIterator[tuple[asyncpg.Connection, str]]:
    """A connection and a schema prefix; every schema of that prefix dropped at the end."""
    prefix = f"dor_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(infra.pg_admin_url)
    try:
        yield connection, prefix
    finally:
        names = await connection.fetch(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE $1", f"{prefix}%"
        )
        for r in names:
            await connection.execute(f"DROP SCHEMA {r['nspname']} CASCADE")
        await connection.close()


def list_order(row: dict[str, Any]) -> tuple[Any, ...]:
    """The list's order (``adapters.deadline_pages``): the overdue first, then by due date,
    kind, case and key (Python compares strings by code point)."""
    return (
        state_of(row) is not State.OVERDUE,
        row["due_date"],
        row["kind"],
        row["key"].split("/")[0],
        row["key"],
    )


async def pages_equal_the_whole_list(
    conn: asyncpg.Connection, schema: str, jurisdiction: str | None, whole: list[dict[str, Any]]
) -> None:
    """The pages decided in SQL, put together, are the whole list as decided in Python, for
    every filter of states, page size and listed jurisdiction, without a day and on a day when
    some open rows are due (R10: red on the due date); the totals count it."""
    open_dues = sorted(r["due_date"] for r in whole if state_of(r) in COLOUR_OF)
    days: list[date | None] = [None]
    if open_dues:
        days.append(open_dues[len(open_dues) // 2])
    for today in days:
        await _pages_equal_on(conn, schema, jurisdiction, whole, today, None)
    if open_dues:  # and R10's yellow by date, with a county's own threshold
        await _pages_equal_on(conn, schema, jurisdiction, whole, days[-1], YELLOW)
    pages = DeadlinePages(schema)
    past = await pages.page(conn, jurisdiction, limit=5, offset=len(whole) + 10)
    assert (past.rows, past.total) == ([], len(whole))
    async with conn.transaction():
        beyond = await pages.stream(conn, jurisdiction, offset=len(whole) + 10)
        assert (beyond.first, beyond.total) == ([], len(whole))
        assert [rows async for rows in beyond.rest()] == []


async def _pages_equal_on(
    conn: asyncpg.Connection,
    schema: str,
    jurisdiction: str | None,
    whole: list[dict[str, Any]],
    today: date | None,
    yellow: WarningPolicy | None,
) -> None:
    days = yellow_days if yellow else None
    pages = DeadlinePages(schema)
    filters: list[list[str] | None] = [
        None,
        ["overdue", "warning_red", "warning_yellow"],
        ["running"],
        ["met", "met_late"],
        ["met_late", "overdue"],
    ]
    listed = [None] if jurisdiction else [None, LINCHUAN, NANCHENG]
    for states in filters:
        for like in listed:
            expected = sorted(
                (
                    r
                    for r in whole
                    if (states is None or state_of(r, today, days).value in states)
                    and (like is None or r["jurisdiction"] == like)
                ),
                key=list_order,
            )
            for size in (None, 1, 3, 50):
                got: list[dict[str, Any]] = []
                offset = 0
                while True:
                    page = await pages.page(
                        conn,
                        jurisdiction,
                        listed_like=like or "%",
                        states=states,
                        limit=size,
                        offset=offset,
                        today=today,
                        yellow=yellow,
                    )
                    assert page.total == len(expected), (jurisdiction, states, like, size)
                    got += page.rows
                    offset += size or len(expected)
                    if not page.rows or size is None or offset >= page.total:
                        break
                assert all(r.pop("state") == state_of(r, today, days).value for r in got)
                assert got == expected, (jurisdiction, states, like, size)
            # the whole list read through a cursor (an unpaged request), a few rows at a time
            for offset, chunk in ((0, 3), (2, 3), (0, max(len(expected), 1)), (1, 50)):
                async with conn.transaction():
                    stream = await pages.stream(
                        conn,
                        jurisdiction,
                        listed_like=like or "%",
                        states=states,
                        offset=offset,
                        chunk=chunk,
                        today=today,
                        yellow=yellow,
                    )
                    streamed = list(stream.first)
                    async for rows in stream.rest():
                        assert 0 < len(rows) <= chunk
                        streamed += rows
                assert stream.total == len(expected), (jurisdiction, states, like, offset)
                assert all(r.pop("state") == state_of(r, today, days).value for r in streamed)
                assert streamed == expected[offset:], (jurisdiction, states, like, offset, chunk)


async def check(conn: asyncpg.Connection, tables: ProjectionTables) -> dict[Any, list[Any]]:
    """The open rows are the whole list's open ones in every read; the closed_* written equal
    what the whole list decides when read; the partial index holds the open rows only (and a
    cadence closed by another jurisdiction's stationing, open in its own one's read). Returns
    the whole list of each read."""
    whole: dict[Any, list[Any]] = {}
    for jurisdiction in (LINCHUAN, NANCHENG, None):
        rows = await tables.deadline_rows(conn, jurisdiction)
        open_rows = await tables.deadline_rows(conn, jurisdiction, open_only=True)
        assert open_rows == [r for r in rows if state_of(r) in COLOUR_OF], jurisdiction
        await pages_equal_the_whole_list(conn, tables.schema, jurisdiction, rows)
        whole[jurisdiction] = rows
    closed = {
        (r["kind"], r["key"]): (r["closed_at"], r["closed_by"], r["ended_at"])
        for r in await conn.fetch(f"SELECT * FROM {tables.schema}.deadlines")
    }
    cadence = (Kind.DISPATCH.value, Kind.PROGRESS_REPORT.value)
    for r in whole[None]:
        closed_at, closed_by, own_end = closed[(r["kind"], r["key"])]
        if r["kind"] in (Kind.TASK_DUE.value, Kind.SUPERVISION.value):
            assert (closed_at, closed_by) == (r["ended_at"], r["ended_by"]), r["key"]
        elif r["kind"] in cadence and own_end is None:
            assert closed_at == r["ended_at"], r["key"]
    everywhere_open = {(r["kind"], r["key"]) for r in whole[None] if state_of(r) in COLOUR_OF}
    elsewhere = {
        (r["kind"], r["key"])
        for r in whole[LINCHUAN] + whole[NANCHENG]
        if state_of(r) in COLOUR_OF and (r["kind"], r["key"]) not in everywhere_open
    }
    assert await unended(conn, tables.schema) == everywhere_open | elsewhere
    return whole


async def test_rows_closed_by_marks_and_stationings_whatever_the_order(
    scratch: tuple[asyncpg.Connection, str],
) -> None:
    conn, prefix = scratch
    items, k = changes()
    shuffle = random.Random(16)
    orders: list[tuple[str, list[Change], random.Random | None, bool]] = [
        ("one_by_one", items, None, False),
        ("reversed", items[::-1], None, False),
    ]
    for n in range(4):
        shuffled = shuffle.sample(items, len(items))
        orders.append((f"batches_{n}", shuffled, random.Random(n), False))
    orders.append(("bulk", shuffle.sample(items, len(items)), random.Random(9), True))
    reference: dict[Any, list[Any]] = {}
    for label, order, sizes, bulk in orders:
        tables = await project(conn, f"{prefix}_{label}", order, sizes, bulk=bulk)
        whole = await check(conn, tables)
        if not reference:
            reference = whole
        assert whole == reference, label
        diffs = await compare(conn, f"{prefix}_one_by_one", tables.schema)
        assert all(d.equal for d in diffs), (label, [d for d in diffs if not d.equal])

    def states(rows: list[Any]) -> dict[str, tuple[str, datetime | None]]:
        return {r["key"]: (state_of(r).value, r["ended_at"]) for r in rows}

    every = states(reference[None])
    assert every[k["A"]] == ("met", day(2)) and every[k["B"]] == ("warning_red", None)
    assert every[k["C"]] == ("met", day(0)) and every[k["D"]] == ("overdue", None)
    assert [every[k[n]] for n in ("E", "E2", "E3")] == [("met", day(i)) for i in (1, 2, 5)]
    assert every[k["F"]] == ("met", day(1)) and every[k["G"]] == ("running", None)
    assert every[k["G2"]] == ("met", day(1)) and every[k["H"]] == ("overdue", None)
    assert every[k["s3"]][0] == "met" and states(reference[LINCHUAN])[k["s3"]][0] == "warning_red"
    assert every[k["s4"]] == ("running", None) and every[k["s6"]] == ("met_late", day(20))
    by_key = {r["key"]: r for r in reference[None]}
    tie_ids = sorted(
        r["event_id"]
        for r in await conn.fetch(
            f"SELECT event_id FROM {prefix}_one_by_one.deadline_case_marks WHERE case_id = $1",
            k["F"].split("/")[0],
        )
    )
    assert by_key[k["F"]]["ended_by"] == tie_ids[1]  # the done mark, the later of equal times
    ties = await conn.fetch(
        f"SELECT event_id FROM {prefix}_one_by_one.deadline_case_marks WHERE case_id = $1",
        k["J"].split("/")[0],
    )
    assert by_key[k["J"]]["ended_by"] == min(r["event_id"] for r in ties)
    assert states(reference[NANCHENG])[k["N"]][0] == "met"
    assert (Kind.TASK_DUE.value, k["A"]) not in await unended(conn, f"{prefix}_one_by_one")

    # later arrivals, as the live consumer (or a swap's catch-up) applies them: C reopened before
    # its start (open again), s2's stationing ended (its dispatch closed), s4's start at last
    # (its dispatch closed)
    c_issue, s2, s4 = k["C"].split("/")[0], None, "/".join(k["s4"].split("/")[:2])
    s2 = next(
        "/".join(r["key"].split("/")[:2])
        for r in reference[None]
        if r["kind"] == Kind.DISPATCH.value and r["yellow_event_id"] is not None
    )
    late: list[Change] = [
        _mark(c_issue, day(-0.5), False),
        _ended(Kind.STATIONING, s2, day(6)),
        _start(Kind.STATIONING, s4, day(0)),
    ]
    for label in ("one_by_one", "bulk"):
        tables = ProjectionTables(f"{prefix}_{label}", rules=DeadlineRules().pinned())
        for change in late:
            async with conn.transaction():
                await tables.apply(conn, [change])
        after = states((await check(conn, tables))[None])
        assert after[k["C"]] == ("running", None)
        assert after[k["s4"]] == ("met", day(2))
        assert after[key(s2, "dispatch", 0)] == ("met", day(6))
    diffs = await compare(conn, f"{prefix}_one_by_one", f"{prefix}_bulk")
    assert all(d.equal for d in diffs)
