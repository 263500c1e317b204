"""Holes in ``global_position`` and whether they are explained (aborted transactions consume
identity values; an event that Kafka or a checkpoint shows there is not explained)."""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence

import asyncpg

from xuncha_shared.audit.report import Hole, ServiceAudit

_HOLES_SQL = """
SELECT prev + 1 AS first, global_position - 1 AS last FROM (
    SELECT global_position,
           lag(global_position, 1, 0::bigint) OVER (ORDER BY global_position) AS prev
    FROM events
) s
WHERE global_position > prev + 1
ORDER BY 1
"""


async def find_holes(conn: asyncpg.Connection) -> tuple[int, list[tuple[int, int]], int | None]:
    """``(max stored position, hole ranges, last value the identity handed out)``."""
    ranges = [(r["first"], r["last"]) for r in await conn.fetch(_HOLES_SQL)]
    max_position = int(await conn.fetchval("SELECT coalesce(max(global_position), 0) FROM events"))
    handed_out: int | None = None
    sequence = await conn.fetchval("SELECT pg_get_serial_sequence('events', 'global_position')")
    if sequence:
        try:
            async with conn.transaction():  # a savepoint: no privilege on the sequence is fine
                row = await conn.fetchrow(f"SELECT last_value, is_called FROM {sequence}")
            if row is not None:
                handed_out = int(row["last_value"]) if row["is_called"] else 0
        except asyncpg.PostgresError:
            handed_out = None
    return max_position, ranges, handed_out


def classify_holes(
    audit: ServiceAudit,
    ranges: Sequence[tuple[int, int]],
    *,
    trailing: tuple[int, int] | None,
    kafka_positions: Mapping[int, str],
    failed_heads: Sequence[tuple[int, str]],
    kafka_checked: bool,
    max_listed: int = 1000,
) -> None:
    """Explain or flag each hole: a position is unexplained when Kafka holds an event there
    (``kafka_positions``: positions of events on Kafka that the store lacks) or when a checkpoint
    covering it now finds fewer events than it counted (``failed_heads``: (head position,
    description))."""
    kafka_sorted = sorted(kafka_positions)
    all_ranges = [*ranges, *([trailing] if trailing else [])]
    audit.hole_ranges = len(all_ranges)
    for first, last in all_ranges:
        is_trailing = trailing is not None and (first, last) == trailing
        i = bisect.bisect_left(kafka_sorted, first)
        on_kafka = [p for p in kafka_sorted[i : i + 50] if p <= last]
        covering = [desc for head, desc in failed_heads if head >= first]
        span = f"{first}" if first == last else f"{first}–{last}"
        if on_kafka:
            why = f"Kafka holds an event at position {on_kafka[0]}: {kafka_positions[on_kafka[0]]}"
            hole = Hole(first, last, False, why)
            audit.add("position", f"hole at global position {span}: {why}")
        elif covering:
            why = f"{covering[0]} counted more events than the store now has (an event removed?)"
            hole = Hole(first, last, False, why)
            audit.add("position", f"hole at global position {span}: {why}")
        else:
            if is_trailing:
                why = "identity values handed out but not committed (aborted or still running)"
            else:
                why = "no event here on Kafka or in any checkpoint: an aborted transaction"
            if not kafka_checked:
                why += " (Kafka not consulted)"
            hole = Hole(first, last, True, why)
        if len(audit.holes) < max_listed or not hole.explained:
            audit.holes.append(hole)
