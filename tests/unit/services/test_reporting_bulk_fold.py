"""The tables a rebuild or a replay folds in memory (``BulkTables``) are freed as soon as
nothing refers to them, without the cyclic collector: a process that runs replays (the
reporting service, for auditors) must not keep each run's gigabytes until a full collection
happens to come (it kept them when the tables held their own bound methods)."""

from __future__ import annotations

import gc
import weakref
from datetime import UTC, datetime

from xuncha_reporting.adapters.deadline_rules import DeadlineRules
from xuncha_reporting.adapters.projection_bulk import BulkTables
from xuncha_reporting.adapters.projection_tables import ProjectionTables
from xuncha_reporting.domain.model import Doc, Fact, Metric


def test_folded_tables_are_freed_without_the_collector() -> None:
    tables = ProjectionTables("rebuild_x", rules=DeadlineRules().pinned(), bulk=True)
    at = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    changes = [Fact(Metric.PETITIONS_RECEIVED, f"p{i}", "361002") for i in range(50)] + [
        Doc("clue", f"c{i}", "361002", {"status": "registered"}, at) for i in range(50)
    ]
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        bulk = BulkTables(tables.writes)
        bulk.apply(tables.statements(changes), len(changes))
        assert len(bulk.rows()["facts"]) == 50 and len(bulk.rows()["lifecycle_docs"]) == 50
        freed = weakref.ref(bulk)
        del bulk
        assert freed() is None  # by its reference count alone: no cycle holds it
    finally:
        if was_enabled:
            gc.enable()
