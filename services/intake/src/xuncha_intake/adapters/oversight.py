"""Read model of the city's oversight of its counties' inspection work (R29):
``county_oversight_view``, one row per check (督导检查), key supervision (重点督办, with the day
it was lifted) or pilot point (联系点, ``point``), written in the transaction of its event (the
shared command loop's ``upsert``)."""

from __future__ import annotations

import builtins
import json
from datetime import date
from typing import Any

from xuncha_shared.contracts.intake import CheckFinding, PilotPlaceLevel, PilotPointKind
from xuncha_shared.db import PoolRepository, hold_locks

from xuncha_intake.domain.oversight import CountyOversight, OversightKind, PilotPoint

OVERSIGHT_DDL = """
CREATE TABLE IF NOT EXISTS county_oversight_view (
    record_id    uuid        PRIMARY KEY,
    kind         text        NOT NULL,
    jurisdiction char(6)     NOT NULL,
    county       char(6)     NOT NULL,
    day          date        NOT NULL,
    findings     jsonb       NOT NULL DEFAULT '[]',
    text         text        NULL,
    recorded_at  timestamptz NULL,
    version      bigint      NOT NULL
);
CREATE INDEX IF NOT EXISTS county_oversight_by_county ON county_oversight_view (county, day);
ALTER TABLE county_oversight_view ADD COLUMN IF NOT EXISTS lifted_on date NULL;
ALTER TABLE county_oversight_view ADD COLUMN IF NOT EXISTS lift_reason text NULL;
ALTER TABLE county_oversight_view ADD COLUMN IF NOT EXISTS point jsonb NULL;
"""

SCHEMA: tuple[str, ...] = (OVERSIGHT_DDL,)


class SqlCountyOversight(PoolRepository):
    async def upsert(self, conn: Any, state: CountyOversight) -> None:
        assert state.kind is not None
        assert state.day is not None
        async with self._conn(conn) as c:
            await c.execute(
                "INSERT INTO county_oversight_view (record_id, kind, jurisdiction, county, day, "
                "findings, text, recorded_at, version, lifted_on, lift_reason, point) "
                "VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12::jsonb) "
                "ON CONFLICT (record_id) DO UPDATE SET version = EXCLUDED.version, "
                "lifted_on = EXCLUDED.lifted_on, lift_reason = EXCLUDED.lift_reason "
                "WHERE county_oversight_view.version < EXCLUDED.version",
                state.record_id,
                state.kind.value,
                state.jurisdiction,
                state.county,
                state.day,
                json.dumps([f.model_dump() for f in state.findings], ensure_ascii=False),
                state.text,
                state.recorded_at,
                state.version,
                state.lifted_on,
                state.lift_reason,
                _point_json(state.point),
            )

    async def lock_county(self, conn: Any, county: str) -> None:
        """Serialise the oversight records of one county (one key supervision at a time, a
        check not entered twice): held until the transaction ends."""
        await hold_locks(conn, [f"xuncha.intake.county-oversight/{county}"])

    async def of_county(
        self, conn: Any, county: str, kind: OversightKind, *, day: date | None = None
    ) -> builtins.list[CountyOversight]:
        """The county's records of ``kind`` (of ``day`` when given), read on ``conn``."""
        rows = await conn.fetch(
            "SELECT * FROM county_oversight_view WHERE county = $1 AND kind = $2 "
            "AND ($3::date IS NULL OR day = $3) ORDER BY day, record_id",
            county,
            kind.value,
            day,
        )
        return [_record(r) for r in rows]

    async def list(self, county_like: str, year: int | None) -> builtins.list[CountyOversight]:
        """The records of the counties matching ``county_like`` (a county's code, or a city's
        pattern for all its counties), in ``year`` when given, newest first."""
        async with self._conn(None) as c:
            rows = await c.fetch(
                "SELECT * FROM county_oversight_view WHERE county LIKE $1 "
                "AND ($2::int IS NULL OR extract(year FROM day)::int = $2) "
                "ORDER BY day DESC, county, record_id",
                county_like,
                year,
            )
        return [_record(r) for r in rows]


def _record(r: Any) -> CountyOversight:
    return CountyOversight(
        record_id=r["record_id"],
        kind=OversightKind(r["kind"]),
        jurisdiction=r["jurisdiction"].strip(),
        county=r["county"].strip(),
        day=r["day"],
        findings=[CheckFinding(**f) for f in json.loads(r["findings"])],
        text=r["text"],
        lifted_on=r["lifted_on"],
        lift_reason=r["lift_reason"],
        point=_point(r["point"]),
        recorded_at=r["recorded_at"],
        version=r["version"],
    )


def _point_json(point: PilotPoint | None) -> str | None:
    if point is None:
        return None
    level = point.level.value if point.level else None
    body = {"kind": point.kind.value, "level": level, "place": point.place}
    return json.dumps(body | {"liaison": point.liaison}, ensure_ascii=False)


def _point(stored: str | None) -> PilotPoint | None:
    if stored is None:
        return None
    body = json.loads(stored)
    level = PilotPlaceLevel(body["level"]) if body["level"] else None
    return PilotPoint(PilotPointKind(body["kind"]), level, body["place"], body["liaison"])
