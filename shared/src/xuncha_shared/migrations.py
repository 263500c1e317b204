"""Versioned schema migrations, recorded in each service database's ``schema_migrations``.

A service database's schema is built in two layers, both applied by
:func:`xuncha_shared.db.migrate` at every start, in one transaction under an advisory lock:

1. the **baseline**: the idempotent DDL (``CREATE TABLE IF NOT EXISTS ...``) of the core schema
   and of each service (``ServiceSpec.schema``), as it stood when migrations were introduced;
2. the **numbered migrations** of each component (``core`` here, a service's in
   ``ServiceSpec.migrations``): ``Migration(component, version, name, sql)``, versions 1, 2, 3 …
   without gaps. Each runs once; ``schema_migrations`` records component, version, name, the
   SHA-256 of its SQL and when it ran.

Rules (docs/operations.md, "Database schema changes"):

* never edit a migration that may have run anywhere: a recorded migration whose SQL changed stops
  the start-up (:class:`MigrationError`); add the next version instead;
* additive first (expand, then contract in a later release): new columns nullable or with a
  default, new tables, new indexes (``CREATE INDEX CONCURRENTLY`` cannot run in the transaction:
  build a large index by hand first, then the migration's ``IF NOT EXISTS`` finds it);
* the events table is append-only history: a migration never rewrites a stored event (a new
  event version and an upcaster do, at read time: docs/operations.md, "A new event version");
* a database that has recorded migrations this code does not know (the code was rolled back)
  starts with a warning: migrations are additive, so the older code still runs.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CORE_MIGRATIONS",
    "EVENTS_CHANNEL",
    "MIGRATIONS_DDL",
    "Migration",
    "MigrationError",
    "apply_migrations",
    "check_sequence",
]

log = logging.getLogger("xuncha.migrations")

MIGRATIONS_DDL = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    component  text        NOT NULL,
    version    integer     NOT NULL CHECK (version >= 1),
    name       text        NOT NULL,
    checksum   char(64)    NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (component, version)
);
"""


class MigrationError(RuntimeError):
    """A migration cannot be applied safely (edited after it ran, numbering broken)."""


@dataclass(frozen=True)
class Migration:
    component: str
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.strip().encode("utf-8")).hexdigest()

    @property
    def label(self) -> str:
        return f"{self.component} {self.version:04d} {self.name}"


#: the core schema's migrations (every service database)
CORE_MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "core",
        1,
        "baseline",
        "-- the baseline: xuncha_shared.db.CORE_SCHEMA (events, relay_positions, inbox), the\n"
        "-- tokens' and informant keys' tables, each service's schema DDL as of this release\n"
        "SELECT 1",
    ),
    Migration(
        "core",
        2,
        "events_notify",
        "-- the relay wakes on commit instead of polling: every statement that adds events\n"
        "-- notifies the channel (delivered when its transaction commits, once per transaction)\n"
        "CREATE OR REPLACE FUNCTION xuncha_events_notify() RETURNS trigger\n"
        "LANGUAGE plpgsql AS $$\n"
        "BEGIN PERFORM pg_notify('xuncha_events', ''); RETURN NULL; END $$;\n"
        "DROP TRIGGER IF EXISTS events_notify ON events;\n"
        "CREATE TRIGGER events_notify AFTER INSERT ON events\n"
        "    FOR EACH STATEMENT EXECUTE FUNCTION xuncha_events_notify()",
    ),
)

#: the channel the ``events_notify`` trigger notifies (core migration 2)
EVENTS_CHANNEL = "xuncha_events"


def check_sequence(migrations: Iterable[Migration]) -> list[Migration]:
    """``migrations`` sorted by component and version; each component's versions must be
    1, 2, … without gap or duplicate."""
    ordered = sorted(migrations, key=lambda m: (m.component, m.version))
    expected: dict[str, int] = {}
    for migration in ordered:
        want = expected.get(migration.component, 0) + 1
        if migration.version != want:
            raise MigrationError(
                f"migrations of {migration.component!r}: version {migration.version} where "
                f"{want} was expected (versions are 1, 2, 3 … without gaps or duplicates)"
            )
        expected[migration.component] = want
    return ordered


async def apply_migrations(conn: Any, migrations: Sequence[Migration]) -> list[Migration]:
    """Apply, in the caller's transaction, the ``migrations`` not yet recorded; returns them.

    Refuses (:class:`MigrationError`) a recorded migration whose SQL changed."""
    ordered = check_sequence(migrations)
    await conn.execute(MIGRATIONS_DDL)
    rows = await conn.fetch("SELECT component, version, name, checksum FROM schema_migrations")
    recorded = {(r["component"], r["version"]): r for r in rows}
    known = {(m.component, m.version) for m in ordered}
    for migration in ordered:
        row = recorded.get((migration.component, migration.version))
        if row is not None and row["checksum"] != migration.checksum:
            raise MigrationError(
                f"migration {migration.label} was changed after it ran here (recorded "
                f"checksum {row['checksum'][:12]}…, code {migration.checksum[:12]}…): never "
                "edit an applied migration, add the next version"
            )
    applied: list[Migration] = []
    for migration in ordered:
        if (migration.component, migration.version) in recorded:
            continue
        await conn.execute(migration.sql)
        await conn.execute(
            "INSERT INTO schema_migrations (component, version, name, checksum) "
            "VALUES ($1, $2, $3, $4)",
            migration.component,
            migration.version,
            migration.name,
            migration.checksum,
        )
        applied.append(migration)
        log.info("applied migration %s", migration.label)
    components = {m.component for m in ordered}
    unknown = sorted(
        f"{c} {v:04d} {r['name']}"
        for (c, v), r in recorded.items()
        if c in components and (c, v) not in known
    )
    if unknown:
        log.warning(
            "this database has migrations this code does not know (a newer release ran here): %s",
            ", ".join(unknown),
        )
    return applied
