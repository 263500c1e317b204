"""The deadlines view's rectification tasks (R1) and supervisions (R4) against the real
PostgreSQL: the changes of the real projection function applied to a schema of their own, in
every order (the supervision's topic and the issue's are not ordered with each other), give the
same view: a task is met by the issue's done report, a supervision of an issue already reported
done is met when it starts, one after a rejected verification waits again, an overdue firing
shows red."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from xuncha_reporting.adapters.deadline_pages import DeadlinePages, Subject
from xuncha_reporting.adapters.projection_tables import ProjectionTables
from xuncha_reporting.adapters.schema import ddl
from xuncha_reporting.domain.deadlines import deadline_item
from xuncha_reporting.domain.projection import project
from xuncha_shared.clocks.clock import CST
from xuncha_shared.contracts import REGISTRY
from xuncha_shared.contracts import rectification as r
from xuncha_shared.envelope import Actor, EventEnvelope, EventPayload
from xuncha_shared.eventstore.base import NewEvent, seal_events

from tests.support.principals import LINCHUAN

pytestmark = pytest.mark.timeout(120)

T0 = datetime(2026, 10, 12, 9, tzinfo=CST)
ACTOR = Actor(principal_id="office-1", role="county_admin")
UNIT = "临川区某局"


def env(payload: EventPayload, stream_type: str, stream_id: object, at: datetime) -> EventEnvelope:
    [sealed] = seal_events(
        stream_type,
        str(stream_id),
        1,
        "0" * 64,
        [NewEvent(payload, LINCHUAN, ACTOR, occurred_at=at)],
        at,
    )
    return sealed


@pytest.fixture
async def conn(infra: Any) -> AsyncIterator[asyncpg.Connection]:
    schema = f"rcv_{uuid.uuid4().hex[:8]}"
    connection = await asyncpg.connect(infra.pg_admin_url)
    try:
        await connection.execute(ddl(schema))
        yield connection
    finally:
        await connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await connection.close()


def history() -> tuple[list[EventEnvelope], dict[str, str]]:
    """Two issues of one unit: A planned with one task, reported done, then supervised (met at
    once); B planned, reported done, rejected, supervised (waits again), its supervision fires
    overdue, then B is reported done again late."""
    a, b, plan, sup = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    task_a, task_b = uuid.uuid4(), uuid.uuid4()

    def task(issue: uuid.UUID, tid: uuid.UUID, days: int) -> r.PlanTask:
        return r.PlanTask(
            task_id=tid, issue_id=issue, measure="整改措施", owner="办公室",
            type=r.TaskType.TIME_BOUND, due_on=T0.date() + timedelta(days=days),
        )  # fmt: skip

    def reported(issue: uuid.UUID) -> r.RectificationReported:
        return r.RectificationReported(
            issue_id=issue, kind=r.ReportKind.FORMAL, progress_percent=100, completed=True,
            note="已整改",
        )  # fmt: skip

    due = T0.date() + timedelta(days=10)
    events = [
        env(r.IssuePlanned(issue_id=a, plan_id=plan, tasks=[task(a, task_a, 30)]), "issue", a, T0),
        env(r.IssuePlanned(issue_id=b, plan_id=plan, tasks=[task(b, task_b, 5)]), "issue", b, T0),
        env(reported(a), "issue", a, T0 + timedelta(days=1)),
        env(reported(b), "issue", b, T0 + timedelta(days=1)),
        env(
            r.RectificationVerified(
                issue_id=b, outcome=r.VerificationOutcome.REJECTED, note="佐证不足"
            ),
            "issue",
            b,
            T0 + timedelta(days=2),
        ),
        env(
            r.SupervisionOrdered(
                supervision_id=sup,
                jurisdiction=LINCHUAN,
                unit_id=uuid.uuid4(),
                unit=UNIT,
                issue_ids=[a, b],
                kind=r.SupervisionKind.KEY,
                note="重点督办",
                due_on=due,
            ),
            "oversight",
            sup,
            T0 + timedelta(days=3),
        ),
        env(
            r.SupervisionOverdue(
                deadline_id=uuid.uuid4(),
                rule_id="supervision_due",
                rule_version=1,
                due_date=due,
                issue_id=b,
                supervision_id=sup,
                unit=UNIT,
            ),
            "issue",
            b,
            T0 + timedelta(days=11),
        ),
        env(reported(b), "issue", b, T0 + timedelta(days=12)),
    ]
    keys = {
        "task_a": f"{a}/{task_a}",
        "task_b": f"{b}/{task_b}",
        "sup_a": f"{a}/{sup}",
        "sup_b": f"{b}/{sup}",
    }
    return events, keys


def decode(e: EventEnvelope) -> EventPayload:
    return REGISTRY.decode(e)


async def view(conn: asyncpg.Connection, schema: str) -> dict[tuple[str, str], str]:
    rows = await ProjectionTables(schema).deadline_rows(conn, LINCHUAN)
    today = date(2026, 11, 1)
    return {(row["kind"], row["key"]): deadline_item(row, today)["state"] for row in rows}


async def test_tasks_and_supervisions_end_by_the_issues_marks_in_any_order(
    conn: asyncpg.Connection,
) -> None:
    events, keys = history()
    expected = {
        ("rectification.task_due", keys["task_a"]): "met",
        ("rectification.task_due", keys["task_b"]): "met",
        ("rectification.supervision_due", keys["sup_a"]): "met",  # done before it started
        ("rectification.supervision_due", keys["sup_b"]): "met_late",  # reported after due
    }
    schema = await conn.fetchval("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rcv_%'")
    tables = ProjectionTables(schema)
    # the supervision's and the firing's topics against the issues': several orders of arrival,
    # applied one event at a time and all in one batch (as a rebuild does)
    shuffles = [list(reversed(events))]
    for seed in range(4):
        order = list(events)
        random.Random(seed).shuffle(order)
        shuffles.append(order)
    for n, order in enumerate([events, *shuffles]):
        async with conn.transaction():
            await conn.execute(f"TRUNCATE {schema}.deadlines, {schema}.deadline_case_marks")
            if n % 2:
                await tables.apply(conn, [c for e in order for c in project(e, decode(e))])
            else:
                for e in order:
                    await tables.apply(conn, project(e, decode(e)))
        got = {k: v for k, v in (await view(conn, schema)).items() if k in expected}
        assert got == expected, f"order {n}"


async def test_a_cadre_opinion_s_day_and_a_returned_task_s_turns_in_the_view(
    conn: asyncpg.Connection,
) -> None:
    """R4: the day the 组织部 asked an answer by is the office's deadline, met by the answer,
    fired when passed, gone from the view once the request is withdrawn (in either order); a
    returned task's second turn is a row of its own, the first met on the day done."""
    schema = await conn.fetchval("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rcv_%'")
    tables = ProjectionTables(schema)
    asked, late, dropped = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def request(request_id: uuid.UUID, name: str) -> r.CadreOpinionRequested:
        return r.CadreOpinionRequested(
            request_id=request_id, jurisdiction=LINCHUAN, department="organisation",
            unit=UNIT, cadre_name=name, cadre_post="副局长", purpose=r.OpinionPurpose.PROMOTION,
            requested_on=date(2026, 10, 12), reply_by=date(2026, 10, 20),
        )  # fmt: skip

    issue, task = uuid.uuid4(), uuid.uuid4()
    events = [
        env(request(asked, "王某"), "cadre_opinion", asked, T0),
        env(request(late, "李某"), "cadre_opinion", late, T0),
        env(request(dropped, "赵某"), "cadre_opinion", dropped, T0),
        env(
            r.CadreOpinionGiven(
                request_id=asked,
                jurisdiction=LINCHUAN,
                conclusion=r.OpinionConclusion.NOT_INSPECTED,
                text="经查，该单位尚未巡察。",
                given_on=date(2026, 10, 19),
                issues=0,
                done=0,
                red_line_warnings=0,
            ),
            "cadre_opinion",
            asked,
            T0 + timedelta(days=8),
        ),
        env(
            r.CadreOpinionOverdue(
                deadline_id=uuid.uuid4(),
                rule_id="cadre_opinion_reply",
                rule_version=1,
                due_date=date(2026, 10, 20),
                request_id=late,
                office="临川区委巡察办",
            ),
            "cadre_opinion",
            late,
            T0 + timedelta(days=9),
        ),
        env(
            r.CadreOpinionWithdrawn(
                request_id=dropped,
                jurisdiction=LINCHUAN,
                withdrawn_on=date(2026, 10, 14),
                reason="已另行了解",
            ),
            "cadre_opinion",
            dropped,
            T0 + timedelta(days=2),
        ),
        env(
            r.IssuePlanned(
                issue_id=issue,
                plan_id=uuid.uuid4(),
                tasks=[
                    r.PlanTask(
                        task_id=task,
                        issue_id=issue,
                        measure="修订制度",
                        owner="办公室",
                        type=r.TaskType.TIME_BOUND,
                        due_on=date(2026, 10, 25),
                    )
                ],
            ),
            "issue",
            issue,
            T0,
        ),
        env(
            r.RectificationTaskCompleted(
                issue_id=issue,
                task_id=task,
                attempt=1,
                completed_on=date(2026, 10, 14),
                note="已修订",
            ),
            "issue",
            issue,
            T0 + timedelta(days=3),
        ),
        env(
            r.RectificationTaskReturned(
                issue_id=issue,
                task_id=task,
                attempt=2,
                reason="佐证不足",
                due_on=date(2026, 10, 28),
                owner="办公室",
            ),
            "issue",
            issue,
            T0 + timedelta(days=4),
        ),
    ]
    kind = "rectification.cadre_opinion_reply"
    expected = {
        (kind, str(asked)): "met",
        (kind, str(late)): "overdue",
        ("rectification.task_due", f"{issue}/{task}"): "met",
        ("rectification.task_due", f"{issue}/{task}/2"): "running",  # no firing projected yet
    }
    for n, order in enumerate([events, list(reversed(events))]):
        async with conn.transaction():
            await conn.execute(f"TRUNCATE {schema}.deadlines, {schema}.deadline_case_marks")
            if n % 2:
                await tables.apply(conn, [c for e in order for c in project(e, decode(e))])
            else:
                for e in order:
                    await tables.apply(conn, project(e, decode(e)))
        got = await view(conn, schema)
        assert got == expected, f"order {n}"
        # the open reads leave the withdrawn request out too
        open_rows = await tables.deadline_rows(conn, LINCHUAN, open_only=True)
        assert str(dropped) not in {row["key"] for row in open_rows}
        # each names the cadre's unit, as 期限预警 and the replay's workbook show it
        rows = await tables.deadline_rows(conn, LINCHUAN)
        subjects = await DeadlinePages(schema).subjects(conn, rows)
        assert subjects[(kind, str(late))] == Subject(None, UNIT)
        assert subjects[(kind, str(asked))] == Subject(None, UNIT)
