"""Rectification's tables of intake's rounds (consumed from ``intake.round.v1``), written in the
consumers' transactions:

* ``round_name``: each round as intake planned it (``intake.RoundPlanned``, consumer
  ``rectification.rounds``), so that issues and plans name their round, and whether intake closed
  it (``intake.RoundClosed``: 边巡边改 is over with the round, R16);
* ``round_unit``: the units intake assigned to its rounds with their modes
  (``intake.RoundUnitsAssigned``, consumer ``rectification.round-units``, which reads
  ``intake.round.v1`` from its beginning); a 回头看 held by a round names one assigning the unit
  in mode ``revisit`` (R18).

``RectificationTables`` reads them.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from xuncha_shared.contracts.intake import RoundPlanned, RoundUnitsAssigned, UnitRegistered

ROUNDS_DDL = """
CREATE TABLE IF NOT EXISTS round_name (
    round_id     uuid     PRIMARY KEY,
    jurisdiction char(6)  NOT NULL,
    term_no      smallint NOT NULL,
    round_no     smallint NOT NULL,
    kind         text     NOT NULL,
    starts_on    date     NOT NULL,
    ends_on      date     NOT NULL,
    source_event uuid     NOT NULL
);
-- intake.RoundClosed: 边巡边改 is over with the round (R16)
ALTER TABLE round_name ADD COLUMN IF NOT EXISTS closed boolean NOT NULL DEFAULT false;
-- intake.RoundUnitsAssigned: a unit is assigned to a round once, in one mode (R18's 回头看)
CREATE TABLE IF NOT EXISTS round_unit (
    round_id     uuid NOT NULL,
    unit_id      uuid NOT NULL,
    mode         text NOT NULL,
    source_event uuid NOT NULL,
    PRIMARY KEY (round_id, unit_id)
);
-- intake.UnitRegistered: the units by name, so that a unit a round inspected without feeding
-- issues back to it is known as inspected (干部任用征求巡察意见, R4)
CREATE TABLE IF NOT EXISTS known_unit (
    unit_id      uuid    PRIMARY KEY,
    jurisdiction char(6) NOT NULL,
    name         text    NOT NULL,
    kind         text    NOT NULL,
    source_event uuid    NOT NULL
);
CREATE INDEX IF NOT EXISTS known_unit_by_name ON known_unit (jurisdiction, name);
"""


async def record_round(conn: Any, event_id: UUID, planned: RoundPlanned) -> None:
    """Keep a round's name (idempotent: a redelivered one changes nothing)."""
    await conn.execute(
        """
        INSERT INTO round_name (round_id, jurisdiction, term_no, round_no, kind, starts_on,
                                ends_on, source_event)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (round_id) DO NOTHING
        """,
        planned.round_id,
        planned.jurisdiction,
        planned.term_no,
        planned.round_no,
        planned.kind.value,
        planned.starts_on,
        planned.ends_on,
        event_id,
    )


async def record_round_units(conn: Any, event_id: UUID, assigned: RoundUnitsAssigned) -> None:
    """Keep a round's units and their modes (idempotent: a redelivered one changes nothing)."""
    await conn.executemany(
        """
        INSERT INTO round_unit (round_id, unit_id, mode, source_event) VALUES ($1, $2, $3, $4)
        ON CONFLICT (round_id, unit_id) DO NOTHING
        """,
        [(assigned.round_id, u.unit_id, u.mode.value, event_id) for u in assigned.units],
    )


async def record_unit(conn: Any, event_id: UUID, registered: UnitRegistered) -> None:
    """Keep a registered unit (idempotent: a redelivered one changes nothing)."""
    await conn.execute(
        """
        INSERT INTO known_unit (unit_id, jurisdiction, name, kind, source_event)
        VALUES ($1, $2, $3, $4, $5) ON CONFLICT (unit_id) DO NOTHING
        """,
        registered.unit_id,
        registered.jurisdiction,
        registered.name,
        registered.kind.value,
        event_id,
    )


async def record_round_closed(conn: Any, round_id: UUID) -> None:
    """The round was closed (``intake.RoundClosed``, after its ``RoundPlanned`` on the same
    partition); a redelivery changes nothing."""
    await conn.execute("UPDATE round_name SET closed = true WHERE round_id = $1", round_id)
