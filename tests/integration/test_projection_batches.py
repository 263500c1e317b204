"""A rebuild or replay projects a chunk of changes as one batch (``ProjectionTables.statements``:
the facts and docs of a batch in one statement each, the deadline starts in one): the tables
end exactly as when the same changes are applied one by one, as the live consumer does —
repeated facts counted once, the latest doc of a key kept (the first of equal times), the last
start of a deadline kept. It folds the batches' statements in memory and writes the result with
COPY (``projection_bulk``): the tables end exactly as when the database runs the statements."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from xuncha_reporting.adapters.deadline_rules import DeadlineRules
from xuncha_reporting.adapters.projection_bulk import BulkTables
from xuncha_reporting.adapters.projection_compare import SAMPLE, compare
from xuncha_reporting.adapters.projection_tables import ProjectionTables
from xuncha_reporting.adapters.schema import TABLE_KEYS, bulk_ddl, ddl
from xuncha_reporting.adapters.two_connections import BESIDE_TABLES
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
    FeedKind,
    LedgerIssue,
    LedgerReport,
    Metric,
)
from xuncha_shared.clocks.rules import R3_TRANSFER_RESULT
from xuncha_shared.contracts.common import Department

pytestmark = pytest.mark.timeout(60)

T0 = datetime(2026, 5, 6, 1, 2, 3, tzinfo=UTC)


def _changes() -> list[Change]:
    at = [T0 + timedelta(minutes=i) for i in range(4)]

    def doc(key: str, when: datetime, body: dict[str, Any]) -> Doc:
        return Doc("clue", key, "361002", body, when)

    def start(key: str, when: datetime, owner: str) -> DeadlineStart:
        return DeadlineStart(
            kind="clues.transfer_result",
            key=key,
            rule_id=R3_TRANSFER_RESULT,
            case_type="clue",
            jurisdiction="361002",
            owner=owner,
            waits_for="clues.TransferResultReported",
            started_at=when,
        )

    return [
        Fact(Metric.PETITIONS_RECEIVED, "p1", "361002"),
        Fact(Metric.PETITIONS_RECEIVED, "p2", "361002"),
        Fact(Metric.PETITIONS_RECEIVED, "p1", "361002"),  # seen again: counted once
        Fact(Metric.PETITIONS_RECEIVED, "p3", "361003"),
        doc("c1", at[1], {"v": "second"}),
        doc("c1", at[2], {"v": "latest"}),
        doc("c1", at[0], {"v": "oldest"}),
        doc("c2", at[1], {"v": "first of equal times"}),
        doc("c2", at[1], {"v": "second of equal times"}),
        start("k1", at[0], "纪委监委"),
        start("k1", at[3], "组织部"),  # the last start of a key wins
        start("k2", at[2], "纪委监委"),
    ]


async def test_a_batch_leaves_the_tables_as_one_change_at_a_time(fresh_db: Any) -> None:
    rules = DeadlineRules().pinned()
    async with fresh_db.pool.acquire() as conn:
        for schema in ("one_by_one", "batched"):
            await conn.execute(ddl(schema))
        single = ProjectionTables("one_by_one", rules=rules)
        batched = ProjectionTables("batched", rules=rules)
        changes = _changes()
        async with conn.transaction():
            for change in changes:
                await single.apply(conn, [change])
        async with conn.transaction():
            statements = batched.statements(changes)
            # facts, docs and starts: one row of arrays each
            assert sorted(len(rows) for rows in statements.values()) == [1, 1, 1]
            await batched.write(conn, statements)

        assert all(d.equal for d in await compare(conn, "one_by_one", "batched"))
        counters = {
            (r["jurisdiction"], r["metric"]): r["value"] for r in await batched.counter_rows(conn)
        }
        assert counters == {
            ("361002", "petitions_received"): 2,
            ("361003", "petitions_received"): 1,
        }
        docs = {
            r["key"]: r["doc"]
            for r in await conn.fetch("SELECT key, doc->>'v' AS doc FROM batched.lifecycle_docs")
        }
        assert docs == {"c1": "latest", "c2": "first of equal times"}
        owners = dict(await conn.fetch("SELECT key, owner FROM batched.deadlines ORDER BY key"))
        assert owners == {"k1": "组织部", "k2": "纪委监委"}


# ---- the bulk fold (``projection_bulk``) against the statements run by the database -----------

_KINDS = ("clues.transfer_result", "rectification.formal_report")


def _random_changes(rng: random.Random, count: int) -> list[Change]:
    """Changes of every kind over a few keys each, so that keys meet again and again (across
    chunks and within one), in every order."""
    at = [T0 + timedelta(hours=rng.randrange(0, 48)) for _ in range(6)]
    events = [uuid.UUID(int=rng.randrange(1, 2**64)) for _ in range(8)]
    ids = [uuid.UUID(int=i) for i in range(1, 5)]
    places = ("361002", "361003")

    def one() -> Change:
        kind, key = rng.choice(_KINDS), f"k{rng.randrange(4)}"
        pick = rng.randrange(13)
        if pick == 0:
            metric = rng.choice((Metric.PETITIONS_RECEIVED, Metric.CLUES_REGISTERED))
            return Fact(metric, f"f{rng.randrange(5)}", rng.choice(places))
        if pick == 1:
            body = {"v": rng.randrange(100), "名": "值"}
            return Doc("clue", f"c{rng.randrange(4)}", rng.choice(places), body, rng.choice(at))
        if pick in (2, 3):
            return DeadlineStart(
                kind=kind,
                key=key,
                rule_id=R3_TRANSFER_RESULT,
                case_type="clue",
                jurisdiction=rng.choice(places),
                owner=rng.choice(("纪委监委", "组织部")),
                waits_for="clues.TransferResultReported",
                started_at=rng.choice(at),
                due_date=rng.choice((None, "2026-07-01")),
            )
        if pick == 4:
            return DeadlineFired(
                kind=kind,
                key=key,
                stage=rng.choice(("yellow", "red", "overdue")),
                event_id=rng.choice(events),
                rule_id="r",
                rule_version=rng.randrange(1, 3),
                due_date=rng.choice(("2026-06-01", "2026-06-15")),
                case_type=rng.choice(("clue", "issue")),
                jurisdiction=rng.choice(places),
                owner=rng.choice(("纪委监委", "某局")),
                waits_for="w",
                at=rng.choice(at),
            )
        if pick == 5:
            return DeadlineEnded(kind, key, rng.choice(events), rng.choice(at))
        if pick == 6:
            return DeadlineRescheduled(kind, key, rng.choice(("2026-08-01", "2026-08-20")))
        if pick == 7:
            return CaseMark(
                f"c{rng.randrange(3)}", rng.choice(events), rng.choice(at), rng.random() < 0.5
            )
        if pick == 8:
            return DemoMark()
        if pick == 9:
            source = rng.choice(events)
            return FeedItem(
                item_id=f"{source}:organisation",
                department=Department.ORGANISATION,
                kind=FeedKind.PROBLEM,
                source_event_id=source,
                source_event_type="clues.ProblemRecorded",
                ref_id=str(rng.choice(ids)),
                jurisdiction=rng.choice(places),
                unit=rng.choice(("市财政局", "")),
                summary=f"摘要{rng.randrange(9)}",
                reason=rng.choice((None, "r")),
                rect_type=None,
                due_date=rng.choice((None, "2026-06-01")),
                occurred_at=rng.choice(at),
            )
        if pick == 10:
            return Ack(
                item_id=f"{rng.choice(events)}:organisation",
                department=Department.ORGANISATION,
                ack_event_id=rng.choice(events),
                acknowledged_at=rng.choice(at),
                acknowledged_by=rng.choice(("a", "b")),
                note=rng.choice((None, "n")),
            )
        if pick == 11:
            return LedgerIssue(
                issue_id=rng.choice(ids),
                feedback_id=rng.choice(ids),
                jurisdiction=rng.choice(places),
                unit="某局",
                description=f"问题{rng.randrange(9)}",
                rect_type="immediate",
                due_date=rng.choice((None, "2026-06-01")),
                fed_back_at=rng.choice(at),
                source_event_id=rng.choice(events),
            )
        return LedgerReport(
            event_id=rng.choice(events),
            issue_id=rng.choice(ids),
            jurisdiction=rng.choice(places),
            kind="progress",
            progress_percent=rng.randrange(101),
            completed=rng.random() < 0.5,
            note="n",
            reported_at=rng.choice(at),
        )

    return [one() for _ in range(count)]


async def test_the_bulk_fold_leaves_the_tables_the_statements_leave(fresh_db: Any) -> None:
    """A rebuild folds each chunk's statements in memory and COPYs the result into an empty
    schema (``BulkTables``): for random changes of every kind, cut into random chunks, the
    tables (and the version) end exactly as when the database runs the same statements."""
    rules = DeadlineRules().pinned()
    async with fresh_db.pool.acquire() as conn:
        for seed in range(25):
            rng = random.Random(seed)
            changes = _random_changes(rng, rng.randrange(1, 120))
            chunks: list[list[Change]] = []
            while changes:
                size = rng.randrange(1, 30)
                chunks.append(changes[:size])
                changes = changes[size:]
            sql_schema, bulk_schema = f"by_sql_{seed}", f"by_fold_{seed}"
            await conn.execute(ddl(sql_schema))
            await conn.execute(bulk_ddl(bulk_schema, logged=rng.random() < 0.5))
            # both bulk: the rows closed by other rows written at the end (``close_all``)
            by_sql = ProjectionTables(sql_schema, rules=rules, bulk=True)
            by_fold = ProjectionTables(bulk_schema, rules=rules, bulk=True)
            bulk = BulkTables(by_fold.writes)
            for chunk in chunks:
                statements = by_sql.statements(chunk)
                changed = rng.randrange(0, 3)
                async with conn.transaction():
                    await by_sql.write(conn, statements)
                    if changed:
                        await by_sql.bump_version(conn, changed)
                bulk.apply(by_fold.statements(chunk), changed)
            if rng.random() < 0.5:  # on one connection
                await bulk.load(conn, None)
            else:  # the largest table on a second one
                async with fresh_db.pool.acquire() as beside:
                    await bulk.load(conn, beside)
                    assert await beside.fetchval("SELECT $1::jsonb", {"键": [1]}) == {"键": [1]}
            # the pool's connection has its own JSON codecs again after the COPY's
            assert await conn.fetchval("SELECT $1::jsonb", {"键": [1]}) == {"键": [1]}
            await by_sql.close_all(conn)
            diffs = await compare(conn, sql_schema, bulk_schema)
            assert all(d.equal for d in diffs), (seed, [d for d in diffs if not d.equal])
            meta_sql = await by_sql.meta(conn)
            assert meta_sql == await by_fold.meta(conn), seed
            for schema in (sql_schema, bulk_schema):
                await conn.execute(f"DROP SCHEMA {schema} CASCADE")


async def test_the_comparison_finds_every_row_that_differs(fresh_db: Any) -> None:
    """``compare`` reports the rows of each side the other does not hold (as ``EXCEPT``
    would): a changed column, a NULL against a value, a row missing on one side."""
    async with fresh_db.pool.acquire() as conn:
        for schema in ("left_side", "right_side"):
            await conn.execute(ddl(schema))
            await ProjectionTables(schema).apply(conn, _changes())
        await conn.execute(
            "UPDATE right_side.lifecycle_docs SET doc = '{\"v\": \"changed\"}' WHERE key = 'c1'"
        )
        await conn.execute("UPDATE right_side.deadlines SET owner = NULL WHERE key = 'k2'")
        await conn.execute("DELETE FROM right_side.facts WHERE entity_key = 'p3'")
        alone = await compare(conn, "left_side", "right_side")
        async with fresh_db.pool.acquire() as beside:  # the largest table compared on it
            assert await compare(conn, "left_side", "right_side", beside) == alone
        assert [d.table for d in alone] == list(TABLE_KEYS)
        diffs = {d.table: d for d in alone}
        assert (diffs["lifecycle_docs"].only_live, diffs["lifecycle_docs"].only_rebuilt) == (1, 1)
        assert (diffs["deadlines"].only_live, diffs["deadlines"].only_rebuilt) == (1, 1)
        assert diffs["deadlines"].samples_live == ["kind=clues.transfer_result, key=k2"]
        assert (diffs["facts"].only_live, diffs["facts"].only_rebuilt) == (1, 0)
        untouched = {"counters", "feed_items", "feed_acks", "ledger_issues", "ledger_reports"}
        assert all(diffs[t].equal for t in untouched)


async def test_the_comparison_counts_every_row_and_samples_the_first_keys(fresh_db: Any) -> None:
    """Beside an empty side (a first rebuild), every row differs: each is counted, and the first
    ``SAMPLE`` of each side come back in the keys' text order, byte by byte (what sorting their
    ``str`` in Python gives): ``k10`` before ``k2``, ``z`` before ``乙``, uuids as their text."""
    entity_keys = [f"k{i}" for i in range(1, 13)] + ["z", "乙"]
    report_ids = [uuid.uuid4() for _ in range(7)]
    async with fresh_db.pool.acquire() as conn:
        for schema in ("empty_side", "full_side"):
            await conn.execute(ddl(schema))
        await conn.executemany(
            "INSERT INTO full_side.facts VALUES ($1, $2, '361000')",
            [(metric, key) for metric in ("m2", "m1") for key in entity_keys],
        )
        await conn.executemany(
            "INSERT INTO full_side.ledger_reports VALUES ($1, $2, '361000', 'progress', 50, false,"
            " '', now())",
            [(event_id, uuid.uuid4()) for event_id in report_ids],
        )
        diffs = {d.table: d for d in await compare(conn, "empty_side", "full_side")}
        facts = diffs["facts"]
        assert (facts.only_live, facts.only_rebuilt, facts.samples_live) == (0, 28, [])
        expected = sorted(("m1", key) for key in entity_keys)[:SAMPLE]
        assert facts.samples_rebuilt == [f"metric={m}, entity_key={k}" for m, k in expected]
        assert expected[1] == ("m1", "k10") and sorted(entity_keys)[-2:] == ["z", "乙"]
        reports = diffs["ledger_reports"]
        assert reports.only_rebuilt == 7
        assert (
            reports.samples_rebuilt
            == [f"event_id={i}" for i in sorted(map(str, report_ids))][:SAMPLE]
        )
        flipped = {d.table: d for d in await compare(conn, "full_side", "empty_side")}
        assert flipped["facts"].samples_live == facts.samples_rebuilt
        assert flipped["facts"].only_live == 28 and flipped["facts"].only_rebuilt == 0
        for schema in ("empty_side", "full_side"):
            await conn.execute(f"DROP SCHEMA {schema} CASCADE")


async def test_a_load_on_two_connections_builds_everything_and_reports_a_failure(
    fresh_db: Any,
) -> None:
    """``BulkTables.load`` with a second connection: every key and index ``ddl`` has, the
    statistics of every table; a failure of either part is raised once both have ended (the
    other's rows committed, its connection out of its transaction)."""
    rules = DeadlineRules().pinned()
    changes = _random_changes(random.Random(7), 150)
    indexes = (
        "SELECT tablename, replace(indexdef, schemaname || '.', '') FROM pg_indexes "
        "WHERE schemaname = $1"
    )
    async with fresh_db.pool.acquire() as conn, fresh_db.pool.acquire() as beside:
        await conn.execute(ddl("whole"))
        for schema in ("split", "broken"):
            await conn.execute(bulk_ddl(schema))
            tables = ProjectionTables(schema, rules=rules, bulk=True)
            bulk = BulkTables(tables.writes)
            bulk.apply(tables.statements(changes), 1)
            if schema == "broken":
                await conn.execute(f"DROP TABLE {schema}.{BESIDE_TABLES[0]}")
                with pytest.raises(asyncpg.UndefinedTableError):
                    await bulk.load(conn, beside)
                assert not conn.is_in_transaction() and not beside.is_in_transaction()
                assert await conn.fetchval(f"SELECT count(*) FROM {schema}.facts") > 0
                continue
            await bulk.load(conn, beside)
        assert set(await conn.fetch(indexes, "split")) == set(await conn.fetch(indexes, "whole"))
        analyzed = await conn.fetch(
            "SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = 'split'"
        )
        filled = {t for t, rows in bulk.rows().items() if rows}
        assert {r["tablename"] for r in analyzed} >= filled - {"meta"} and len(filled) > 5
