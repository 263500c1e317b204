"""Read model of step 1: ``unit_view``, ``term_plan_view``, ``linkage_plan_view``, ``round_view``.

Each row is written in the transaction of the events it reflects (the shared command loop's
``upsert``). The unique indexes repeat the natural keys the stream ids are derived from (unit
name per jurisdiction, term per jurisdiction, round number per jurisdiction and term): a second
guard, in case an id were ever derived differently.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from xuncha_shared.db import PoolRepository, hold_locks

from xuncha_intake.domain.linkage import LinkagePlan
from xuncha_intake.domain.planning import Amendment, TermPlan, Unit, UnitFact
from xuncha_intake.domain.rounds import Round

PLANNING_DDL = """
CREATE TABLE IF NOT EXISTS unit_view (
    unit_id      uuid    PRIMARY KEY,
    jurisdiction char(6) NOT NULL,
    name         text    NOT NULL,
    kind         text    NOT NULL,
    version      bigint  NOT NULL,
    CONSTRAINT unit_view_name_key UNIQUE (jurisdiction, name)
);
CREATE TABLE IF NOT EXISTS term_plan_view (
    term_plan_id uuid    PRIMARY KEY,
    jurisdiction char(6) NOT NULL,
    term_no      integer NOT NULL,
    starts_on    date    NOT NULL,
    ends_on      date    NOT NULL,
    unit_ids     uuid[]  NOT NULL,
    version      bigint  NOT NULL,
    CONSTRAINT term_plan_view_term_key UNIQUE (jurisdiction, term_no)
);
-- the plan's amendments (巡察规划调整), oldest first
ALTER TABLE term_plan_view ADD COLUMN IF NOT EXISTS amendments jsonb NOT NULL DEFAULT '[]';
CREATE TABLE IF NOT EXISTS linkage_plan_view (
    linkage_plan_id uuid    PRIMARY KEY,
    jurisdiction    char(6) NOT NULL,
    title           text    NOT NULL,
    issued_on       date    NOT NULL,
    trigger         text    NOT NULL,
    parent_plan_id  uuid    NULL,
    version         bigint  NOT NULL
);
CREATE TABLE IF NOT EXISTS round_view (
    round_id        uuid    PRIMARY KEY,
    jurisdiction    char(6) NOT NULL,
    term_no         integer NOT NULL,
    round_no        integer NOT NULL,
    kind            text    NOT NULL,
    starts_on       date    NOT NULL,
    ends_on         date    NOT NULL,
    linkage_plan_id uuid    NULL,
    units           jsonb   NOT NULL,
    authorisations  text[]  NOT NULL,
    closed          boolean NOT NULL,
    version         bigint  NOT NULL,
    CONSTRAINT round_view_round_key UNIQUE (jurisdiction, term_no, round_no)
);
"""

SCHEMA: tuple[str, ...] = (PLANNING_DDL,)


@dataclass(frozen=True)
class UnitRow:
    unit_id: UUID
    jurisdiction: str
    name: str
    kind: str


@dataclass(frozen=True)
class RoundRow:
    round_id: UUID
    jurisdiction: str
    term_no: int
    round_no: int
    kind: str
    starts_on: date
    ends_on: date
    linkage_plan_id: UUID | None
    units: list[dict[str, str]]
    authorisations: list[str]
    closed: bool


# the version guard: an older state never overwrites a newer row
_UPSERT_GUARD = "WHERE {table}.version < EXCLUDED.version"


class SqlUnits(PoolRepository):
    async def upsert(self, conn: Any, state: Unit) -> None:
        assert state.kind is not None
        async with self._conn(conn) as c:
            await c.execute(
                "INSERT INTO unit_view (unit_id, jurisdiction, name, kind, version) "
                "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (unit_id) DO UPDATE SET "
                "name = EXCLUDED.name, kind = EXCLUDED.kind, version = EXCLUDED.version "
                + _UPSERT_GUARD.format(table="unit_view"),
                state.unit_id,
                state.jurisdiction,
                state.name,
                state.kind.value,
                state.version,
            )

    async def named_alike(self, jurisdiction: str, name: str) -> str | None:
        """A unit of ``jurisdiction`` whose name is ``name`` but for its blanks (one registered
        before blanks between Chinese characters stopped counting: its id was derived from the
        name as written), if there is one."""
        async with self._conn(None) as c:
            found: str | None = await c.fetchval(
                "SELECT name FROM unit_view WHERE jurisdiction = $1 "
                "AND regexp_replace(name, '\\s', '', 'g') = regexp_replace($2, '\\s', '', 'g') "
                "LIMIT 1",
                jurisdiction,
                name,
            )
        return found

    async def facts(self, unit_ids: list[UUID], conn: Any = None) -> dict[UUID, UnitFact]:
        """The registered units among ``unit_ids`` (on ``conn`` when given)."""
        async with self._conn(conn) as c:
            rows = await c.fetch(
                "SELECT unit_id, jurisdiction, name, kind FROM unit_view WHERE unit_id = ANY($1)",
                list(set(unit_ids)),
            )
        return {
            r["unit_id"]: UnitFact(r["unit_id"], r["jurisdiction"], r["name"], r["kind"])
            for r in rows
        }

    async def list(self, jurisdiction_like: str) -> list[UnitRow]:
        async with self._conn(None) as c:
            rows = await c.fetch(
                "SELECT unit_id, jurisdiction, name, kind FROM unit_view "
                "WHERE jurisdiction LIKE $1 ORDER BY jurisdiction, name",
                jurisdiction_like,
            )
        return [UnitRow(r["unit_id"], r["jurisdiction"], r["name"], r["kind"]) for r in rows]

    async def list_of_group(self, group_id: UUID, jurisdiction_like: str) -> builtins.list[UnitRow]:
        """The units of group ``group_id`` (``group_view``, same database) within
        ``jurisdiction_like``."""
        async with self._conn(None) as c:
            rows = await c.fetch(
                "SELECT u.unit_id, u.jurisdiction, u.name, u.kind FROM unit_view u "
                "JOIN group_view g ON u.unit_id = ANY(g.unit_ids) "
                "WHERE g.group_id = $1 AND u.jurisdiction LIKE $2 ORDER BY u.jurisdiction, u.name",
                group_id,
                jurisdiction_like,
            )
        return [UnitRow(r["unit_id"], r["jurisdiction"], r["name"], r["kind"]) for r in rows]


def term_lock_name(jurisdiction: str, term_no: int) -> str:
    """The advisory lock of a jurisdiction's term (``lock_term``)."""
    return f"xuncha.intake/term/{jurisdiction}/{term_no}"


async def lock_term(conn: Any, jurisdiction: str, term_no: int) -> None:
    """Serialise what changes which units a term covers (a plan's amendment taking a unit out,
    a round of the term assigning one): held until the transaction ends."""
    await hold_locks(conn, [term_lock_name(jurisdiction, term_no)])


class SqlTermPlans(PoolRepository):
    async def upsert(self, conn: Any, state: TermPlan) -> None:
        async with self._conn(conn) as c:
            await c.execute(
                "INSERT INTO term_plan_view (term_plan_id, jurisdiction, term_no, starts_on, "
                "ends_on, unit_ids, amendments, version) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8) "
                "ON CONFLICT (term_plan_id) DO UPDATE SET unit_ids = EXCLUDED.unit_ids, "
                "amendments = EXCLUDED.amendments, version = EXCLUDED.version "
                + _UPSERT_GUARD.format(table="term_plan_view"),
                state.term_plan_id,
                state.jurisdiction,
                state.term_no,
                state.starts_on,
                state.ends_on,
                state.unit_ids,
                [_amendment_json(a) for a in state.amendments],
                state.version,
            )

    async def list(self, jurisdiction_like: str, term_no: int | None) -> builtins.list[TermPlan]:
        """The term plans of ``jurisdiction_like`` (of term ``term_no``, if given), by term and
        jurisdiction, with their amendments."""
        async with self._conn(None) as c:
            rows = await c.fetch(
                "SELECT term_plan_id, jurisdiction, term_no, starts_on, ends_on, unit_ids, "
                "amendments, version FROM term_plan_view WHERE jurisdiction LIKE $1 "
                "AND ($2::int IS NULL OR term_no = $2) ORDER BY term_no, jurisdiction",
                jurisdiction_like,
                term_no,
            )
        return [
            TermPlan(
                term_plan_id=r["term_plan_id"],
                jurisdiction=r["jurisdiction"],
                term_no=r["term_no"],
                starts_on=r["starts_on"],
                ends_on=r["ends_on"],
                unit_ids=list(r["unit_ids"]),
                amendments=[_amendment_of(a) for a in r["amendments"]],
                version=r["version"],
            )
            for r in rows
        ]


def _amendment_json(amendment: Amendment) -> dict[str, Any]:
    return {
        "amendment_no": amendment.amendment_no,
        "amended_on": amendment.amended_on.isoformat(),
        "added_unit_ids": [str(u) for u in amendment.added_unit_ids],
        "removed_unit_ids": [str(u) for u in amendment.removed_unit_ids],
        "reason": amendment.reason,
    }


def _amendment_of(row: dict[str, Any]) -> Amendment:
    return Amendment(
        amendment_no=row["amendment_no"],
        amended_on=date.fromisoformat(row["amended_on"]),
        added_unit_ids=[UUID(u) for u in row["added_unit_ids"]],
        removed_unit_ids=[UUID(u) for u in row["removed_unit_ids"]],
        reason=row["reason"],
    )


class SqlLinkagePlans(PoolRepository):
    async def upsert(self, conn: Any, state: LinkagePlan) -> None:
        async with self._conn(conn) as c:
            await c.execute(
                "INSERT INTO linkage_plan_view (linkage_plan_id, jurisdiction, title, issued_on, "
                "trigger, parent_plan_id, version) VALUES ($1, $2, $3, $4, $5, $6, $7) "
                "ON CONFLICT (linkage_plan_id) DO UPDATE SET version = EXCLUDED.version "
                + _UPSERT_GUARD.format(table="linkage_plan_view"),
                state.linkage_plan_id,
                state.jurisdiction,
                state.title,
                state.issued_on,
                state.trigger,
                state.parent_plan_id,
                state.version,
            )

    async def list(
        self, jurisdiction_like: str, also: str | None = None
    ) -> builtins.list[LinkagePlan]:
        """The plans of ``jurisdiction_like``, and of the jurisdiction ``also`` (a county's
        city: the plans its own hang under)."""
        async with self._conn(None) as c:
            rows = await c.fetch(
                "SELECT * FROM linkage_plan_view WHERE jurisdiction LIKE $1 "
                "OR jurisdiction = $2 ORDER BY issued_on, jurisdiction",
                jurisdiction_like,
                also,
            )
        return [
            LinkagePlan(
                linkage_plan_id=r["linkage_plan_id"],
                jurisdiction=r["jurisdiction"],
                title=r["title"],
                issued_on=r["issued_on"],
                trigger=r["trigger"],
                parent_plan_id=r["parent_plan_id"],
                version=r["version"],
            )
            for r in rows
        ]

    async def linked_units(
        self, plan_ids: builtins.list[UUID]
    ) -> dict[UUID, builtins.list[tuple[UUID, str]]]:
        """Per plan of ``plan_ids``, the units its rounds inspect in linkage (mode ``linked``:
        the units a county's counterpart report answers), with their names, by name."""
        async with self._conn(None) as c:
            rows = await c.fetch(
                "SELECT DISTINCT r.linkage_plan_id, u.unit_id, u.name FROM round_view r "
                "CROSS JOIN LATERAL jsonb_array_elements(r.units) e "
                "JOIN unit_view u ON u.unit_id = (e->>'unit_id')::uuid "
                "WHERE r.linkage_plan_id = ANY($1::uuid[]) AND e->>'mode' = 'linked' "
                "ORDER BY u.name",
                plan_ids,
            )
        out: dict[UUID, builtins.list[tuple[UUID, str]]] = {}
        for r in rows:
            out.setdefault(r["linkage_plan_id"], []).append((r["unit_id"], r["name"]))
        return out


class SqlRounds(PoolRepository):
    async def upsert(self, conn: Any, state: Round) -> None:
        assert state.kind is not None
        units = [{"unit_id": str(u), "mode": m.value} for u, m in state.units.items()]
        async with self._conn(conn) as c:
            await c.execute(
                "INSERT INTO round_view (round_id, jurisdiction, term_no, round_no, kind, "
                "starts_on, ends_on, linkage_plan_id, units, authorisations, closed, version) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12) "
                "ON CONFLICT (round_id) DO UPDATE SET units = EXCLUDED.units, "
                "authorisations = EXCLUDED.authorisations, closed = EXCLUDED.closed, "
                "version = EXCLUDED.version " + _UPSERT_GUARD.format(table="round_view"),
                state.round_id,
                state.jurisdiction,
                state.term_no,
                state.round_no,
                state.kind.value,
                state.starts_on,
                state.ends_on,
                state.linkage_plan_id,
                units,
                state.authorisations,
                state.closed,
                state.version,
            )

    async def list(
        self, jurisdiction_like: str, term_no: int | None, conn: Any = None
    ) -> list[RoundRow]:
        async with self._conn(conn) as c:
            rows = await c.fetch(
                "SELECT * FROM round_view WHERE jurisdiction LIKE $1 "
                "AND ($2::integer IS NULL OR term_no = $2) "
                "ORDER BY jurisdiction, term_no, round_no",
                jurisdiction_like,
                term_no,
            )
        return [
            RoundRow(
                round_id=r["round_id"],
                jurisdiction=r["jurisdiction"],
                term_no=r["term_no"],
                round_no=r["round_no"],
                kind=r["kind"],
                starts_on=r["starts_on"],
                ends_on=r["ends_on"],
                linkage_plan_id=r["linkage_plan_id"],
                units=list(r["units"]),
                authorisations=list(r["authorisations"]),
                closed=r["closed"],
            )
            for r in rows
        ]
