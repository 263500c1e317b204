"""The reporting views as they were at a past moment (``xuncha audit replay --as-of``).

The history "as it stood at" ``as_of`` is every event whose ``recorded_at`` — when the event
store recorded it, set by the store, never backdated — is at or before ``as_of``. ``occurred_at``
is business time: a command may backdate it, so it cannot say what the system knew at a moment.

A replay is ``xuncha projections rebuild`` stopped at ``as_of`` (``rebuild.project_history``):

1. a fresh schema ``asof_<UTC stamp of as_of>_<random>`` in reporting's database, with the same
   empty tables as the live ``projection`` schema;
2. each service's ``events`` table read in one repeatable-read snapshot, only the rows recorded
   up to ``as_of`` (filtered in SQL), applied with the live consumer's own code path;
3. the linked view, one jurisdiction's row and one unit's rectification ledger read from that
   schema with the same functions the live API uses; the schema is dropped unless ``keep``.

It writes nothing but its own schema: not the live tables, not the consumers' inboxes, and it
publishes nothing (it has no Kafka client at all).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
from xuncha_shared.audit.access import Connector
from xuncha_shared.domain import jurisdictions
from xuncha_shared.runtime_gc import gc_paused
from xuncha_shared.settings import SERVICES, Settings

from xuncha_reporting.adapters.deadline_pages import NO_SUBJECT, DeadlinePages
from xuncha_reporting.adapters.projection_tables import ProjectionTables
from xuncha_reporting.adapters.schema import check_schema
from xuncha_reporting.domain.deadlines import deadline_item
from xuncha_reporting.domain.ledger import china_date
from xuncha_reporting.domain.linkage import (
    LINKAGE_KINDS,
    linkage_figures,
    linked_row,
    with_linkage,
)
from xuncha_reporting.domain.views import counters_from_rows, linked_view
from xuncha_reporting.projection_chunks import ProgressHook, ProjectionRun
from xuncha_reporting.rebuild import owner_connection, project_history
from xuncha_reporting.warning_policy import yellow_days

SCHEMA_PREFIX = "asof_"


class AsOfError(ValueError):
    """A moment that cannot be replayed (no offset, in the future, not ISO 8601)."""


def parse_as_of(value: str, now: datetime) -> datetime:
    """The moment of ``--as-of``: ISO 8601 **with** a UTC offset (``Z`` or ``+08:00``), not
    after ``now``. A time without an offset is refused rather than guessed: whether it meant
    Beijing time or UTC changes the answer by eight hours."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise AsOfError(
            f"回溯时间格式不正确 / {value!r} is not an ISO 8601 time "
            "(e.g. 2026-05-01T00:00:00+08:00)"
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise AsOfError(
            f"回溯时间须带时区 / {value!r} has no timezone offset: write it with one, "
            f"e.g. {text}+08:00 (Beijing time) or {text}Z (UTC)"
            if "T" in text or " " in text
            else f"回溯时间须带时刻和时区 / {value!r} has no time and no timezone offset: "
            f"write e.g. {text}T00:00:00+08:00"
        )
    try:
        parsed.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+08:00 is before datetime's range in UTC
        raise AsOfError(
            f"回溯时间过早 / {value!r} is before the earliest moment that can be replayed"
        ) from None
    if parsed > now:
        raise AsOfError(
            f"回溯时间不能晚于现在，只能回溯已记录的历史 / {value!r} is in the future (now is "
            f"{now.astimezone(UTC).isoformat()}): only "
            "recorded history can be replayed"
        )
    return parsed


def replay_schema_name(as_of: datetime) -> str:
    """``asof_<UTC stamp of as_of>_<random>``, e.g. ``asof_20260430160000_3fa1``."""
    stamp = as_of.astimezone(UTC).strftime("%Y%m%d%H%M%S")
    return check_schema(f"{SCHEMA_PREFIX}{stamp}_{secrets.token_hex(2)}")


@dataclass(kw_only=True)
class ReplayReport(ProjectionRun):
    """The replayed views; ``read``/``history``: per service, events replayed and events in its
    store when it was read."""

    as_of: datetime
    city: str
    history: dict[str, int] = field(default_factory=dict)
    counters: dict[tuple[str, str], int] = field(default_factory=dict)
    view: dict[str, Any] = field(default_factory=dict)  # domain.views.linked_view
    row: dict[str, Any] | None = None  # domain.views.single_row, with ``jurisdiction``
    ledger: dict[str, Any] | None = None  # domain.ledger.unit_ledger, with ``unit``
    units: dict[str, int] = field(default_factory=dict)  # with ``jurisdiction``: unit -> issues
    #: every deadline (of ``jurisdiction`` when given) as it stood: domain.deadlines items
    deadlines: list[dict[str, Any]] = field(default_factory=list)
    kept: bool = False


def replay_document(
    report: ReplayReport, jurisdiction: str | None = None, unit: str | None = None
) -> dict[str, Any]:
    """The replay as a JSON-ready document (``xuncha audit replay --json`` and
    ``GET /api/v1/audit/replay``): per service the events replayed and in the history, the
    linked view, and with ``jurisdiction`` its row and units, with ``unit`` its ledger."""
    doc: dict[str, Any] = {
        "as_of": report.as_of.astimezone(UTC),
        "schema": report.schema,
        "kept": report.kept,
        "services": {
            svc: {"replayed": report.read.get(svc, 0), "history": report.history.get(svc, 0)}
            for svc in report.read
        },
        "applied": report.applied,
        "changed": report.changed,
        "skipped": [{"event_id": e, "reason": r} for e, r in report.skipped],
        "linked": report.view,
        "deadlines": report.deadlines,
    }
    if jurisdiction is not None:
        doc["row"] = report.row
        doc["units"] = report.units
    if unit is not None:
        doc["ledger"] = report.ledger
    return doc


async def replayed_ledger(
    conn: asyncpg.Connection | asyncpg.Pool,
    schema: str,
    jurisdiction: str,
    unit: str,
    as_of: datetime,
) -> dict[str, Any] | None:
    """One unit's ledger read from a replay's schema (``replay_as_of(..., keep=True)``), the
    statuses computed for ``as_of``'s date in China time; ``None`` when the unit had no issue."""
    if not schema.startswith(SCHEMA_PREFIX):
        raise ValueError(f"{schema} is not a replay schema")
    tables = ProjectionTables(schema)
    return await tables.unit_ledger(conn, jurisdiction, unit, china_date(as_of))


async def replay_as_of(
    settings: Settings,
    as_of: datetime,
    *,
    keep: bool = False,
    services: Sequence[str] = SERVICES,
    progress: ProgressHook | None = None,
    jurisdiction: str | None = None,
    unit: str | None = None,
    connector: Connector | None = None,
) -> ReplayReport:
    """Rebuild the reporting views from the history as it stood at ``as_of`` into a fresh
    schema and read them back: the linked view always, ``jurisdiction``'s row and ``unit``'s
    ledger (of that jurisdiction) when asked. The schema is dropped at the end unless ``keep``.

    The history is read through ``connector`` when given (the reporting service's read-only
    auditor pools), else with ``settings``' URLs; the schema is written through reporting's own
    database URL."""
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise AsOfError(f"as_of must carry a timezone offset, not {as_of.isoformat()}")
    if as_of > datetime.now(UTC):
        raise AsOfError(f"as_of {as_of.isoformat()} is in the future")
    if unit is not None and jurisdiction is None:
        raise ValueError("a unit's ledger needs its jurisdiction")
    city = jurisdictions.city_of(jurisdiction) if jurisdiction else jurisdictions.CITY.code
    report = ReplayReport(
        schema=replay_schema_name(as_of), read={}, as_of=as_of, city=city, kept=keep
    )
    conn = await owner_connection(settings)
    beside: asyncpg.Connection | None = None
    try:
        # its statements run once each over the whole schema: compiling them (JIT) costs more
        # than it saves (the read of every deadline: about a second of CPU at 200,000 rows)
        await conn.execute("SET jit = off")
        beside = await owner_connection(settings)  # the load's second connection
        _, report.history = await project_history(
            conn, settings, report, services, progress, as_of=as_of, connector=connector,
            beside=beside,
        )  # fmt: skip
        tables = ProjectionTables(report.schema)
        # every deadline read back (acyclic rows and items, kept for the report)
        with gc_paused():
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                report.counters = counters_from_rows(await tables.counter_rows(conn))
                linkage_docs = await tables.docs(conn, LINKAGE_KINDS, f"{city[:4]}%")
                today = china_date(as_of)
                rows = await tables.deadline_rows(conn, jurisdiction)
                # named and coloured as 期限预警 names and colours them (yellow by date with
                # the deployment's R10 thresholds)
                subjects = await DeadlinePages(report.schema).subjects(conn, rows)
                report.deadlines = [
                    {
                        **deadline_item(row, today, yellow_days),
                        "group_no": subjects.get((row["kind"], row["key"]), NO_SUBJECT).group_no,
                        "unit_name": subjects.get((row["kind"], row["key"]), NO_SUBJECT).unit_name,
                    }
                    for row in rows
                ]
                if jurisdiction is not None:
                    report.units = await tables.ledger_units(conn, jurisdiction)
                    if unit is not None:
                        report.ledger = await tables.unit_ledger(
                            conn, jurisdiction, unit, china_date(as_of)
                        )
        figures = linkage_figures(linkage_docs)
        report.view = with_linkage(linked_view(report.counters, city), city, figures)
        if jurisdiction is not None:  # by the function the live single-row route uses
            report.row = linked_row(report.counters, jurisdiction, city, figures)
        if not keep:
            await conn.execute(f"DROP SCHEMA IF EXISTS {report.schema} CASCADE")
        return report
    except BaseException:
        if beside is not None:  # never left holding a lock the drop would wait for
            beside.terminate()
        if not keep:
            with contextlib.suppress(Exception):  # best effort
                await conn.execute(f"DROP SCHEMA IF EXISTS {report.schema} CASCADE")
        raise
    finally:
        if beside is not None:
            await beside.close()
        await conn.close()
