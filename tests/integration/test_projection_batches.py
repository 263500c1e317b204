"""A rebuild or replay writes a chunk of changes as one batch (``ProjectionTables.statements``:
the facts and docs of a batch in one statement each, the deadline starts in one): the tables
end exactly as when the same changes are applied one by one, as the live consumer does —
repeated facts counted once, the latest doc of a key kept (the first of equal times), the last
start of a deadline kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from xuncha_reporting.adapters.deadline_rules import DeadlineRules
from xuncha_reporting.adapters.projection_tables import ProjectionTables
from xuncha_reporting.adapters.schema import ddl
from xuncha_reporting.domain.model import Change, DeadlineStart, Doc, Fact, Metric
from xuncha_reporting.rebuild import compare
from xuncha_shared.clocks.rules import R3_TRANSFER_RESULT

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
