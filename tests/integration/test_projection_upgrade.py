"""A live projection of an older version (before the rectification ledger existed) is rebuilt from
every service's history when the reporting service starts, reading the history as the
read-only auditor role; a new deployment is only stamped; a current one is left alone."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import asyncpg
import pytest
from xuncha_reporting.adapters.projection_tables import ProjectionTables
from xuncha_reporting.adapters.schema import LIVE_SCHEMA, ddl
from xuncha_reporting.adapters.share_tables import SCHEMA as SHARE_SCHEMA
from xuncha_reporting.bootstrap import SPEC
from xuncha_reporting.handlers import apply_event
from xuncha_reporting.settings import PROJECTION_VERSION, PROJECTION_VERSION_KEY
from xuncha_reporting.upgrade import ensure_projection_current
from xuncha_shared import provision
from xuncha_shared.contracts import REGISTRY
from xuncha_shared.contracts.clues import ClueTransferred
from xuncha_shared.contracts.common import Department
from xuncha_shared.contracts.rectification import IssueFedBack
from xuncha_shared.db import create_pool
from xuncha_shared.eventstore import NO_STREAM, NewEvent, PostgresEventStore
from xuncha_shared.runtime import service_context
from xuncha_shared.settings import SERVICES

from tests.support.events import ACTOR, petition
from tests.support.principals import LINCHUAN
from tests.support.service_api import service_settings

pytestmark = pytest.mark.timeout(120)

UNIT = "临川区水利局"


@pytest.fixture
async def databases(infra: Any) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    prefix = f"{infra.db_prefix}up{uuid.uuid4().hex[:6]}_"
    dbs = await provision.create_service_databases(infra.pg_admin_url, prefix)
    try:
        yield prefix, dbs
    finally:
        await provision.drop_prefixed_databases(infra.pg_admin_url, prefix)


async def _append(url: str, stream_type: str, stream_id: str, event: NewEvent) -> Any:
    pool = await create_pool(url, max_size=1)
    try:
        [stored] = await PostgresEventStore(pool).append(stream_type, stream_id, NO_STREAM, [event])
        return stored
    finally:
        await pool.close()


async def _projection(conn: asyncpg.Connection) -> dict[str, Any]:
    s = LIVE_SCHEMA
    return {
        "facts": await conn.fetchval(f"SELECT count(*) FROM {s}.facts"),
        "ledger_issues": await conn.fetchval(f"SELECT count(*) FROM {s}.ledger_issues"),
        "meta": await ProjectionTables().meta(conn),
    }


async def test_a_version_1_projection_is_rebuilt_at_start(infra: Any, databases: Any) -> None:
    prefix, dbs = databases
    # the history: a petition (intake) and an issue fed back to a unit (rectification)
    filed = await _append(dbs["intake"].url, "petition", str(uuid.uuid4()), petition())
    issue_id = uuid.uuid4()
    fed = await _append(
        dbs["rectification"].url,
        "issue",
        str(issue_id),
        NewEvent(
            IssueFedBack(
                issue_id=issue_id,
                feedback_id=uuid.uuid4(),
                jurisdiction=LINCHUAN,
                unit=UNIT,
                description="河道采砂监管不到位",
                due_date="2027-01-24",
            ),
            LINCHUAN,
            ACTOR,
        ),
    )
    # ... projected by a release without the ledger: facts and counters, empty ledger tables,
    # no projection_version in meta
    conn = await asyncpg.connect(dbs["reporting"].url)
    try:
        await conn.execute(ddl(LIVE_SCHEMA))
        store = ProjectionTables()
        async with conn.transaction():
            for envelope in (filed, fed):
                await apply_event(conn, store, envelope, REGISTRY.decode(envelope))
            await conn.execute(f"DELETE FROM {LIVE_SCHEMA}.ledger_issues")
            await conn.execute(
                f"DELETE FROM {LIVE_SCHEMA}.meta WHERE key = $1", "projection_version"
            )
        before = await _projection(conn)
    finally:
        await conn.close()
    assert before["facts"] == 2 and before["ledger_issues"] == 0
    assert PROJECTION_VERSION_KEY not in before["meta"]

    settings = service_settings("reporting", infra, dbs, prefix, infra.topic_prefix)
    async with service_context(SPEC, settings) as ctx:  # on_start upgrades
        async with ctx.pool.acquire() as conn:
            after = await _projection(conn)
            row = await conn.fetchrow(
                f"SELECT unit, jurisdiction FROM {LIVE_SCHEMA}.ledger_issues WHERE issue_id = $1",
                issue_id,
            )
        assert after["facts"] == 2
        assert after["ledger_issues"] == 1
        assert row is not None and (row["unit"], row["jurisdiction"]) == (UNIT, LINCHUAN)
        assert after["meta"][PROJECTION_VERSION_KEY] == PROJECTION_VERSION
        assert after["meta"]["version"] > before["meta"]["version"]  # dashboards reload
        # started again: nothing to do
        outcome = await ensure_projection_current(ctx)
        assert (outcome.found, outcome.action) == (PROJECTION_VERSION, "current")


async def test_a_new_deployment_is_stamped_and_an_older_version_rebuilt(
    infra: Any, databases: Any
) -> None:
    prefix, dbs = databases
    settings = service_settings("reporting", infra, dbs, prefix, infra.topic_prefix)
    async with service_context(SPEC, settings) as ctx:
        async with ctx.pool.acquire() as conn:
            state = await _projection(conn)
        assert state["meta"][PROJECTION_VERSION_KEY] == PROJECTION_VERSION  # stamped
        assert state["facts"] == 0

        # an older stamped version with data is rebuilt from the (here: one-event) history
        await _append(dbs["intake"].url, "petition", str(uuid.uuid4()), petition())
        async with ctx.pool.acquire() as conn:
            await ProjectionTables().set_meta(conn, PROJECTION_VERSION_KEY, 1)
            await ProjectionTables().bump_version(conn)
        outcome = await ensure_projection_current(ctx)
        assert (outcome.found, outcome.action, outcome.rebuilt_events) == (1, "rebuilt", 1)
        async with ctx.pool.acquire() as conn:
            state = await _projection(conn)
        assert state["facts"] == 1 and state["meta"][PROJECTION_VERSION_KEY] == PROJECTION_VERSION

        # a newer version than the code's is left alone
        async with ctx.pool.acquire() as conn:
            await ProjectionTables().set_meta(conn, PROJECTION_VERSION_KEY, PROJECTION_VERSION + 1)
        outcome = await ensure_projection_current(ctx)
        assert outcome.action == "newer"
    assert set(dbs) == set(SERVICES)


async def test_a_version_2_projection_is_rebuilt_with_the_deadlines(
    infra: Any, databases: Any
) -> None:
    prefix, dbs = databases
    issue_id = uuid.uuid4()
    await _append(
        dbs["rectification"].url,
        "issue",
        str(issue_id),
        NewEvent(
            IssueFedBack(
                issue_id=issue_id,
                feedback_id=uuid.uuid4(),
                jurisdiction=LINCHUAN,
                unit=UNIT,
                description="整改台账未建立",
                due_date="2027-01-24",
            ),
            LINCHUAN,
            ACTOR,
        ),
    )
    settings = service_settings("reporting", infra, dbs, prefix, infra.topic_prefix)
    async with service_context(SPEC, settings) as ctx:
        async with ctx.pool.acquire() as conn:
            # what a version-2 release left: the ledger without the deadlines view
            await conn.execute(f"DELETE FROM {LIVE_SCHEMA}.deadlines")
            await ProjectionTables().set_meta(conn, PROJECTION_VERSION_KEY, 2)
            await ProjectionTables().bump_version(conn)
        outcome = await ensure_projection_current(ctx)
        assert (outcome.found, outcome.action) == (2, "rebuilt")
        rows = await ProjectionTables().deadline_rows(ctx.pool, LINCHUAN)
    assert [(r["kind"], r["key"], r["due_date"].isoformat()) for r in rows] == [
        ("rectification.formal_report", str(issue_id), "2027-01-24")
    ]
    assert (rows[0]["rule_id"], rows[0]["rule_version"]) == ("xunshi_2015_art27", 1)


async def test_a_deployment_from_before_the_share_queue_queues_its_unpublished_items(
    infra: Any, databases: Any
) -> None:
    """Reporting migration 1 (``adapters/share_tables.py``): the live feed items of a deployment
    that published by scanning the history are queued when the service first starts with the
    queue, except those already published; once only."""
    prefix, dbs = databases
    url = dbs["reporting"].url
    conn = await asyncpg.connect(url)
    try:  # the database as the release before the queue left it
        await conn.execute(ddl(LIVE_SCHEMA))
        await conn.execute(
            "CREATE TABLE public.share_published (item_id text PRIMARY KEY, department text "
            "NOT NULL, topic text NOT NULL, published_at timestamptz NOT NULL DEFAULT now())"
        )
        await conn.execute(
            "INSERT INTO projection.feed_items (item_id, department, kind, source_event_id, "
            "source_event_type, ref_id, jurisdiction, unit, summary, occurred_at) "
            "SELECT 'old-' || n, 'audit', 'clue_transfer', gen_random_uuid(), "
            "'clues.ClueTransferred', n::text, $1, $2, '问题线索', now() "
            "FROM generate_series(1, 3) AS n",
            LINCHUAN,
            UNIT,
        )
        await conn.execute(
            "INSERT INTO public.share_published (item_id, department, topic) "
            "VALUES ('old-1', 'audit', 'share.audit.v1')"
        )
    finally:
        await conn.close()
    settings = service_settings("reporting", infra, dbs, prefix, infra.topic_prefix)
    async with service_context(SPEC, settings) as ctx:
        pending = {r[0] for r in await ctx.pool.fetch("SELECT item_id FROM public.share_pending")}
        applied = await ctx.pool.fetch(
            "SELECT version, name FROM schema_migrations WHERE component = 'reporting'"
        )
    assert pending == {"old-2", "old-3"}
    assert [tuple(r) for r in applied] == [(1, "share_pending_queued")]


async def test_a_projection_without_a_newer_column_is_rebuilt_with_it(
    infra: Any, databases: Any
) -> None:
    """Version 15 added ``feed_items.letter_on``: a live projection of version 14 has the table
    without it. The rebuild compares the columns both have, swaps in the new tables, and the
    feed item carries its 移交函 day."""
    prefix, dbs = databases
    clue_id = uuid.uuid4()
    moved = await _append(
        dbs["clues"].url,
        "clue",
        str(clue_id),
        NewEvent(
            ClueTransferred(
                clue_id=clue_id,
                department=Department.DISCIPLINE,
                reason="涉嫌违反廉洁纪律",
                jurisdiction=LINCHUAN,
                unit=UNIT,
                summary="反映问题",
                transferred_on=date(2026, 9, 1),
            ),
            LINCHUAN,
            ACTOR,
        ),
    )
    conn = await asyncpg.connect(dbs["reporting"].url)
    try:  # as version 14 left it: the item, no letter_on column
        await conn.execute(ddl(LIVE_SCHEMA))
        await conn.execute(SHARE_SCHEMA)
        async with conn.transaction():
            await apply_event(conn, ProjectionTables(), moved, REGISTRY.decode(moved))
            await conn.execute(f"ALTER TABLE {LIVE_SCHEMA}.feed_items DROP COLUMN letter_on")
            await ProjectionTables().set_meta(conn, PROJECTION_VERSION_KEY, 14)
    finally:
        await conn.close()
    settings = service_settings("reporting", infra, dbs, prefix, infra.topic_prefix)
    async with service_context(SPEC, settings) as ctx, ctx.pool.acquire() as conn:
        letter = await conn.fetchval(f"SELECT letter_on FROM {LIVE_SCHEMA}.feed_items")
        meta = await ProjectionTables().meta(conn)
    assert letter == date(2026, 9, 1)
    assert meta[PROJECTION_VERSION_KEY] == PROJECTION_VERSION
