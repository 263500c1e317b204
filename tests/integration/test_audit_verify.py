"""Tamper evidence of the stored history (``xuncha audit verify``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from xuncha_shared.audit import verify_database
from xuncha_shared.eventstore import NO_STREAM, PostgresEventStore

from tests.support.events import petition


async def _seed(pool, streams: int = 3, per_stream: int = 4) -> None:
    store = PostgresEventStore(pool)
    for s in range(streams):
        for v in range(per_stream):
            await store.append("petition", f"case-{s}", v if v else NO_STREAM, [petition()])


async def test_clean_history_verifies(fresh_db):
    await _seed(fresh_db.pool)
    async with fresh_db.pool.acquire() as conn:
        report = await verify_database(conn, "t")
    assert report.intact
    assert (report.streams, report.events) == (3, 12)


async def test_update_of_one_payload_is_detected_with_stream_and_version(fresh_db):
    await _seed(fresh_db.pool)
    await fresh_db.pool.execute(
        "UPDATE events SET payload = jsonb_set(payload, '{unit}', '\"另一个单位\"') "
        "WHERE stream_id = 'case-1' AND stream_version = 3"
    )
    async with fresh_db.pool.acquire() as conn:
        report = await verify_database(conn, "t")
    assert not report.intact
    (b,) = report.breaks
    assert (b.stream_id, b.stream_version) == ("case-1", 3)
    assert "content changed" in b.problem


async def test_deleted_event_is_detected(fresh_db):
    await _seed(fresh_db.pool)
    await fresh_db.pool.execute(
        "DELETE FROM events WHERE stream_id = 'case-2' AND stream_version = 2"
    )
    async with fresh_db.pool.acquire() as conn:
        report = await verify_database(conn, "t")
    (b,) = report.breaks
    assert (b.stream_id, b.stream_version) == ("case-2", 3)


async def test_cli_audit_verify_exit_codes(infra):
    """The CLI against the run's service databases: intact → 0; tampered → 1 naming the stream."""
    env = {**os.environ, **infra.env("intake")}
    from xuncha_shared.db import create_pool

    pool = await create_pool(infra.database_url("intake"))
    try:
        store = PostgresEventStore(pool)
        stored = await store.append("petition", "cli-tamper", NO_STREAM, [petition(), petition()])
        ok = subprocess.run(
            [sys.executable, "-m", "xuncha_shared.cli", "audit", "verify"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert ok.returncode == 0, ok.stderr + ok.stdout
        assert "all hash chains intact" in ok.stdout
        await pool.execute(
            "UPDATE events SET payload = payload || $1::jsonb WHERE event_id = $2",
            json.dumps({"summary": "篡改后的内容"}),
            stored[1].event_id,
        )
        bad = subprocess.run(
            [sys.executable, "-m", "xuncha_shared.cli", "audit", "verify"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert bad.returncode == 1
        assert "stream cli-tamper version 2" in bad.stderr
        assert "Traceback" not in bad.stderr
    finally:
        await pool.execute("DELETE FROM events WHERE stream_id = 'cli-tamper'")
        await pool.close()
