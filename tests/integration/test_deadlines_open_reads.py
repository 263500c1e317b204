"""The deadlines view's open rows (the summary and the list's open states) against the real
PostgreSQL: read in SQL without the ended history, they are exactly the open rows of the whole
list as the Python post-processing decides them (R15 cadences closed by their stationing, R8
result notices of anonymous petitions left out, R1/R4 tasks and supervisions ended by their
issue's marks), and many deadlines ended long ago change neither them nor the summary."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from xuncha_reporting.adapters.projection_tables import ProjectionTables
from xuncha_reporting.adapters.schema import ddl
from xuncha_reporting.domain.deadlines import COLOUR_OF, Kind, state_of, summary
from xuncha_shared.clocks.clock import CST

from tests.support.principals import LINCHUAN, NANCHENG

pytestmark = pytest.mark.timeout(120)

T0 = datetime(2026, 10, 12, 9, tzinfo=CST)
DUE = date(2026, 10, 30)
LONG_AGO = datetime(2022, 3, 1, 9, tzinfo=CST)


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

    # a long history, all ended: the open rows and the summary do not change
    await insert(conn, name, *history(400))
    for jurisdiction in (LINCHUAN, NANCHENG, None):
        whole, open_rows, expected = await reads(jurisdiction)
        assert len(whole) > len(before[jurisdiction][0]) + 100
        assert open_rows == expected == before[jurisdiction][1], jurisdiction
        assert summary(open_rows) == summary(whole) == summary(before[jurisdiction][0])
