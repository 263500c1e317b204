"""Comparing two schemas of the projection's tables row by row (``compare``): what a rebuild
reports against the live tables, and what the tests hold a bulk load to."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncpg

from xuncha_reporting.adapters.schema import TABLE_KEYS, check_schema

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


def _row_text(row: asyncpg.Record, side: str, keys: Sequence[str]) -> str:
    return ", ".join(f"{k}={str(row[f'{side}_{k}']).strip()}" for k in keys)


async def compare(conn: asyncpg.Connection, live: str, rebuilt: str) -> list[TableDiff]:
    """Row-by-row differences of every projection table between two schemas: the rows of one
    that the other does not hold (what ``EXCEPT`` gives both ways). A table holds one row per
    key, so the two are joined by key once (a full join) and a row counts where the other
    side's row of its key is missing or is not the same row: a row changed counts on both
    sides."""
    check_schema(live)
    check_schema(rebuilt)
    diffs: list[TableDiff] = []
    for table, keys in TABLE_KEYS.items():
        shown = keys if table != "counters" else (*keys, "value")
        columns = ", ".join(f"{side}.{k} AS {side}_{k}" for side in ("a", "b") for k in shown)
        same_key = " AND ".join(f"b.{k} = a.{k}" for k in keys)
        # the keys are never NULL (primary keys): a NULL key is a side without the row
        rows = await conn.fetch(
            f"SELECT {columns}, a.{keys[0]} IS NOT NULL AS in_a, b.{keys[0]} IS NOT NULL AS in_b "
            f"FROM {live}.{table} a FULL JOIN {rebuilt}.{table} b ON {same_key} "
            "WHERE ROW(a.*) IS DISTINCT FROM ROW(b.*)"
        )
        only_live = sorted((r for r in rows if r["in_a"]), key=lambda r: _sort_key(r, "a", keys))
        only_rebuilt = sorted((r for r in rows if r["in_b"]), key=lambda r: _sort_key(r, "b", keys))
        diffs.append(
            TableDiff(
                table=table,
                only_live=len(only_live),
                only_rebuilt=len(only_rebuilt),
                samples_live=[_row_text(r, "a", shown) for r in only_live[:SAMPLE]],
                samples_rebuilt=[_row_text(r, "b", shown) for r in only_rebuilt[:SAMPLE]],
            )
        )
    return diffs


def _sort_key(row: asyncpg.Record, side: str, keys: Sequence[str]) -> tuple[str, ...]:
    return tuple(str(row[f"{side}_{k}"]) for k in keys)
