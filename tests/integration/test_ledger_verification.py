"""整改台账 after a rejected verification (核实不通过) and after a revisit's reopening (回头看),
against the real PostgreSQL: the changes of the real projection function applied to a schema of
their own, one event at a time and in one batch, in several orders of arrival; the unit's
ledger read by ``ProjectionTables.unit_ledger`` (what ``/views/ledger`` and ``xuncha audit
replay -u`` serve) and the board from the same tables (``/views/board``, the Excel ledger) give
the issue the state and progress of the rectification service's issue: 整改中 at 0 % until the
next report, that report's figure after it."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from xuncha_rectification.domain.issue import Issue
from xuncha_rectification.domain.model import evolve
from xuncha_reporting.adapters.projection_tables import ProjectionTables
from xuncha_reporting.domain.board import board as board_of
from xuncha_reporting.domain.board_sheets import ledger_rows
from xuncha_reporting.domain.projection import project
from xuncha_reporting.domain.rectification_docs import BOARD_KINDS
from xuncha_shared.clocks.clock import CST
from xuncha_shared.contracts import REGISTRY
from xuncha_shared.contracts import rectification as r
from xuncha_shared.envelope import Actor, EventEnvelope, EventPayload
from xuncha_shared.eventstore.base import NewEvent, seal_events

from tests.support.principals import LINCHUAN
from tests.support.projection_schema import projection_schema

pytestmark = pytest.mark.timeout(120)

T0 = datetime(2026, 10, 12, 9, tzinfo=CST)
AS_OF = date(2026, 11, 1)  # before the R1 due date
ACTOR = Actor(principal_id="office-1", role="county_admin")
UNIT = "临川区核实测试局"


@pytest.fixture
async def db(infra: Any) -> AsyncIterator[tuple[asyncpg.Connection, str]]:
    async with projection_schema(infra.pg_admin_url, "lgv") as opened:
        yield opened


def history(issue: uuid.UUID, steps: list[EventPayload]) -> list[EventEnvelope]:
    return [
        seal_events(
            "issue", str(issue), n + 1, "0" * 64,
            [NewEvent(p, LINCHUAN, ACTOR, occurred_at=T0 + timedelta(days=n))],
            T0 + timedelta(days=n),
        )[0]
        for n, p in enumerate(steps)
    ]  # fmt: skip


def steps_of(issue: uuid.UUID, tail: list[str]) -> list[EventPayload]:
    def reported(kind: r.ReportKind, percent: int) -> r.RectificationReported:
        return r.RectificationReported(
            issue_id=issue, kind=kind, progress_percent=percent, completed=percent == 100,
            note="整改报告",
        )  # fmt: skip

    def verified(outcome: r.VerificationOutcome) -> r.RectificationVerified:
        return r.RectificationVerified(issue_id=issue, outcome=outcome, note="核实")

    more: dict[str, EventPayload] = {
        "rejected": verified(r.VerificationOutcome.REJECTED),
        "accepted": verified(r.VerificationOutcome.ACCEPTED),
        "closed": r.IssueClosedOut(issue_id=issue, note="对账销号"),
        "reopened": r.IssueReopened(
            issue_id=issue, revisit_id=uuid.uuid4(), note="回头看发现反弹", was_closed_out=True
        ),
        "60": reported(r.ReportKind.PROGRESS, 60),
        "done": reported(r.ReportKind.FINAL, 100),
    }
    return [
        r.IssueFedBack(
            issue_id=issue, feedback_id=uuid.uuid4(), jurisdiction=LINCHUAN, unit=UNIT,
            description=f"问题（{'、'.join(tail)}）", due_date="2026-12-12",
        ),
        reported(r.ReportKind.PROGRESS, 40),
        reported(r.ReportKind.FORMAL, 100),
        *(more[t] for t in tail),
    ]  # fmt: skip


#: each issue's events after its feedback, a progress report (40) and a formal one declaring
#: completion, and what every view must say then: (整改台账 status, 挂图作战 status, progress)
CASES: dict[tuple[str, ...], tuple[str, str, int]] = {
    (): ("completed", "reported_done", 100),
    ("rejected",): ("in_progress", "in_progress", 0),
    ("rejected", "60"): ("in_progress", "in_progress", 60),
    ("rejected", "60", "done"): ("completed", "reported_done", 100),
    ("accepted", "closed", "reopened"): ("in_progress", "in_progress", 0),
}


async def test_a_rejected_or_reopened_issue_is_in_progress_in_the_ledger_and_the_board(
    db: tuple[asyncpg.Connection, str],
) -> None:
    conn, schema = db
    tables = ProjectionTables(schema)
    issues = {tail: uuid.uuid4() for tail in CASES}
    events = [
        e for tail, issue in issues.items() for e in history(issue, steps_of(issue, list(tail)))
    ]
    # what the rectification service's own read side says (its issue list and unit page)
    service, service_returned = {}, {}
    for tail, issue in issues.items():
        state = Issue()
        for n, payload in enumerate(steps_of(issue, list(tail))):
            state = evolve(state, payload, T0 + timedelta(days=n))
        service[tail] = (state.status.value, state.progress_percent)
        service_returned[tail] = state.returned
    orders = [events, list(reversed(events))]
    for seed in range(2):
        order = list(events)
        random.Random(seed).shuffle(order)
        orders.append(order)
    for n, order in enumerate(orders):
        async with conn.transaction():
            for table in ("ledger_issues", "ledger_reports", "deadline_case_marks"):
                await conn.execute(f"TRUNCATE {schema}.{table}")
            await conn.execute(f"TRUNCATE {schema}.lifecycle_docs")
            decoded = [(e, REGISTRY.decode(e)) for e in order]
            if n % 2:
                await tables.apply(conn, [c for e, p in decoded for c in project(e, p)])
            else:
                for e, p in decoded:
                    await tables.apply(conn, project(e, p))
        ledger = await tables.unit_ledger(conn, LINCHUAN, UNIT, AS_OF)
        assert ledger is not None
        entries = {e["issue_id"]: e for e in ledger["issues"]}
        [unit] = board_of(await tables.docs(conn, BOARD_KINDS, LINCHUAN), AS_OF, lambda _: 20)[
            "units"
        ]
        items = {uuid.UUID(i["issue_id"]): i for i in unit["issues"]}
        rows = zip(unit["issues"], ledger_rows(unit), strict=True)
        sheet = {uuid.UUID(i["issue_id"]): row for i, row in rows}
        for tail, (ledger_status, state, progress) in CASES.items():
            issue = issues[tail]
            assert service[tail] == (state, progress), tail
            entry, item = entries[issue], items[issue]
            assert (entry["status"], entry["progress_percent"]) == (ledger_status, progress), (
                n,
                tail,
            )
            assert (item["status"], item["progress_percent"]) == (state, progress), (n, tail)
            # sent back by the last verification, not reported done since: said alike
            returned = tail[-1:] == ("rejected",) or tail[-2:] == ("rejected", "60")
            assert service_returned[tail] is returned, tail
            assert (item["status_zh"] == "核实未通过，退回整改") is returned, (n, tail)
            assert sheet[issue][9] == progress, (n, tail)  # 整改进度(%) of the Excel sheet
        # the header: 已完成 only what stands completed; 自报完成率 over the same count
        assert (ledger["completed"], ledger["in_progress"]) == (2, 3), n
        assert ledger["completion_rate"] == 0.4
        assert ledger["reports_total"] == 2 * 5 + 3  # 40 and 100 each; 60 twice, 100 again once
        assert unit["self_declared"] == 2


async def test_a_unit_that_intake_does_not_plan_is_named_by_its_feedback(
    db: tuple[asyncpg.Connection, str],
) -> None:
    """``GET /api/v1/me`` names a unit's token's unit (本单位) by what intake registered; a unit
    intake never registered (the office under a provincial review) by its first feedback's name,
    and only to readers of its jurisdiction."""
    conn, schema = db
    tables = ProjectionTables(schema)
    unit_id, issue = uuid.uuid4(), uuid.uuid4()
    fed = r.IssueFedBack(
        issue_id=issue, feedback_id=uuid.uuid4(), jurisdiction=LINCHUAN, unit=UNIT,
        unit_id=unit_id, description="问题", due_date="2026-12-12",
    )  # fmt: skip
    [event] = history(issue, [fed])
    assert await tables.unit_name(conn, str(unit_id), LINCHUAN) is None
    await tables.apply(conn, project(event, REGISTRY.decode(event)))
    assert await tables.unit_name(conn, str(unit_id), LINCHUAN) == UNIT
    assert await tables.unit_name(conn, str(unit_id), "3610%") == UNIT
    assert await tables.unit_name(conn, str(unit_id), "361003") is None
    assert await tables.unit_name(conn, str(uuid.uuid4()), LINCHUAN) is None
