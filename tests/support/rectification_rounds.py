"""What rectification learns of other services, put straight into its tables for a test: a
hearing of a unit's inspection report (R16, as the consumer ``rectification.hearings`` keeps it)
and a round with its units (as ``rectification.rounds`` and ``rectification.round-units`` keep
``intake.round.v1``)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from xuncha_rectification.adapters.tables import record_hearing
from xuncha_rectification.handlers import keep_round_units, keep_rounds
from xuncha_shared.contracts.clues import InspectionReportHeard
from xuncha_shared.contracts.intake import (
    InspectionMode,
    RoundKind,
    RoundPlanned,
    RoundUnit,
    RoundUnitsAssigned,
)

from tests.support.events import consumed


async def hear(
    pool: Any,
    round_id: uuid.UUID,
    jurisdiction: str,
    unit_id: uuid.UUID,
    held_on: date = date(2026, 9, 28),
) -> None:
    """The unit's inspection report heard at a secretary meeting (R16: feedback may follow)."""
    event = InspectionReportHeard(
        report_id=uuid.uuid4(),
        hearing_id=uuid.uuid4(),
        round_id=round_id,
        jurisdiction=jurisdiction,
        kind="unit",
        unit_id=unit_id,
        unit_ids=[unit_id],
        meeting="secretary_meeting",
        held_on=held_on,
        decisions="同意反馈",
    )
    async with pool.acquire() as conn:
        await record_hearing(conn, uuid.uuid4(), event)


async def plan_round(
    pool: Any,
    round_id: uuid.UUID,
    jurisdiction: str,
    round_no: int,
    units: dict[uuid.UUID, InspectionMode],
    at: datetime,
    *,
    redelivered: bool = False,
) -> None:
    """A round of the 4th term (2026-09-07 to 2026-11-30) and its units with their modes, as
    rectification's consumers keep them (``redelivered``: the units' event twice)."""
    planned = RoundPlanned(
        round_id=round_id,
        jurisdiction=jurisdiction,
        term_no=4,
        round_no=round_no,
        kind=RoundKind.REGULAR,
        starts_on=date(2026, 9, 7),
        ends_on=date(2026, 11, 30),
    )
    assigned = RoundUnitsAssigned(
        round_id=round_id, units=[RoundUnit(unit_id=u, mode=m) for u, m in units.items()]
    )
    where = {"stream_type": "round", "stream_id": round_id, "jurisdiction": jurisdiction}
    await consumed(pool, keep_rounds(), planned, **where, at=at)
    for _ in range(2 if redelivered else 1):
        await consumed(pool, keep_round_units(), assigned, **where, at=at)
