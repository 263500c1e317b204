"""Comparing two schemas of the projection's tables row by row (``compare``): what a rebuild
reports against the live tables, and what the tests hold a bulk load to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncpg

from xuncha_reporting.adapters.schema import TABLE_KEYS, check_schema
from xuncha_reporting.adapters.two_connections import BESIDE_TABLES, on_both

#: rows of each side shown per table that differs
SAMPLE = 5


@dataclass
class TableDiff:
    table: str
    only_live: int
    only_rebuilt: int
    samples_live: list[str] = field(default_factory=list)
    samples_rebuilt: list[str] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return self.only_live == 0 and self.only_rebuilt == 0


async def compare(
    conn: asyncpg.Connection,
    live: str,
    rebuilt: str,
    beside: asyncpg.Connection | None = None,
) -> list[TableDiff]:
    """Row-by-row differences of every projection table between two schemas: the rows of one
    that the other does not hold (what ``EXCEPT`` gives both ways). A table holds one row per
    key, so the two are joined by key once (a full join) and a row counts where the other
    side's row of its key is missing or is not the same row: a row changed counts on both
    sides. With ``beside``, ``BESIDE_TABLES`` are compared on it meanwhile (PostgreSQL on two
    cores); both sides run to their end before a failure of either is raised (the other's
    logged)."""
    check_schema(live)
    check_schema(rebuilt)

    async def tables_on(on: asyncpg.Connection, tables: Sequence[str]) -> list[TableDiff]:
        return [await _table_diff(on, live, rebuilt, table) for table in tables]

    if beside is None:
        return await tables_on(conn, list(TABLE_KEYS))
    parts = await on_both(
        tables_on(conn, [t for t in TABLE_KEYS if t not in BESIDE_TABLES]),
        tables_on(beside, [t for t in TABLE_KEYS if t in BESIDE_TABLES]),
    )
    by_table = {diff.table: diff for part in parts for diff in part}
    return [by_table[table] for table in TABLE_KEYS]


async def _table_diff(conn: asyncpg.Connection, live: str, rebuilt: str, table: str) -> TableDiff:
    """One table's differences, counted by PostgreSQL, with the first ``SAMPLE`` rows of each
    side in key order (as text, byte by byte: Python's order of the keys' ``str``); only those
    come back, however many rows differ (a first rebuild beside an empty live schema: all)."""
    keys = TABLE_KEYS[table]
    shown = keys if table != "counters" else (*keys, "value")
    columns = ", ".join(f"{side}.{k} AS {side}_{k}" for side in ("a", "b") for k in shown)
    same_key = " AND ".join(f"b.{k} = a.{k}" for k in keys)

    def samples(side: str) -> str:
        order = ", ".join(f'{side}_{k}::text COLLATE "C"' for k in keys)
        picked = ", ".join(f"{side}_{k} AS c{i}" for i, k in enumerate(shown))
        return (
            f"SELECT '{side}' AS side, {picked} FROM diff WHERE in_{side} "
            f"ORDER BY {order} LIMIT {SAMPLE}"
        )

    # the columns both sides have, in the live table's order: a release that adds a column
    # (version 15: ``feed_items.letter_on``) compares its rebuild with the older live tables
    common = await _common_columns(conn, live, rebuilt, table)
    row_a = ", ".join(f"a.{c}" for c in common)
    row_b = ", ".join(f"b.{c}" for c in common)
    # the keys are never NULL (primary keys): a NULL key is a side without the row
    rows = await conn.fetch(
        f"WITH diff AS MATERIALIZED ("
        f"SELECT {columns}, a.{keys[0]} IS NOT NULL AS in_a, b.{keys[0]} IS NOT NULL AS in_b "
        f"FROM {live}.{table} a FULL JOIN {rebuilt}.{table} b ON {same_key} "
        f"WHERE ROW({row_a}) IS DISTINCT FROM ROW({row_b})), "
        "counted AS (SELECT count(*) FILTER (WHERE in_a) AS only_a, "
        "count(*) FILTER (WHERE in_b) AS only_b FROM diff) "
        f"SELECT n.only_a, n.only_b, s.* FROM counted n "
        f"LEFT JOIN (({samples('a')}) UNION ALL ({samples('b')})) s ON true"
    )
    return TableDiff(
        table=table,
        only_live=rows[0]["only_a"],
        only_rebuilt=rows[0]["only_b"],
        samples_live=[_row_text(r, shown) for r in rows if r["side"] == "a"],
        samples_rebuilt=[_row_text(r, shown) for r in rows if r["side"] == "b"],
    )


async def _common_columns(
    conn: asyncpg.Connection, live: str, rebuilt: str, table: str
) -> list[str]:
    rows = await conn.fetch(
        """
        SELECT a.column_name FROM information_schema.columns a
        JOIN information_schema.columns b
          ON b.table_schema = $2 AND b.table_name = a.table_name
         AND b.column_name = a.column_name
        WHERE a.table_schema = $1 AND a.table_name = $3
        ORDER BY a.ordinal_position
        """,
        live,
        rebuilt,
        table,
    )
    return [str(r["column_name"]) for r in rows]


def _row_text(row: asyncpg.Record, names: Sequence[str]) -> str:
    return ", ".join(f"{k}={str(row[f'c{i}']).strip()}" for i, k in enumerate(names))
