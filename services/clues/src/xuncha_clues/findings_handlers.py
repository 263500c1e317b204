"""Service layer of problems, inspection reports, hearings and immediate consultations (step 6's
即时会商 and step 7), over the shared command loop, and the consumer that keeps the units of
each group (intake's ``GroupFormed``) for group-bound members.

Every command checks what it refers to before the pure model decides: the clues of a problem or
a consultation must exist in ``clue_view`` and be visible to the caller, the problems of a report
must exist and be visible, a group-bound member acts only on its group's units in its round.
Anything missing or invisible answers the same 404 (no existence oracle). Round and unit ids are
taken as given (intake owns them; clues does not follow rounds and units) except for a
group-bound member, whose group's round and units clues knows from ``GroupFormed``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from uuid import UUID

from xuncha_shared.aggregates import Aggregates
from xuncha_shared.consumer import EventHandler
from xuncha_shared.contracts.clues import InspectionReportKind
from xuncha_shared.contracts.intake import GroupFormed
from xuncha_shared.domain.commands import Meta
from xuncha_shared.domain.errors import NotFoundError
from xuncha_shared.envelope import EventEnvelope, EventPayload

from xuncha_clues.adapters.findings import (
    SqlConsultationReadModel,
    SqlLookups,
    SqlProblemReadModel,
    SqlReportReadModel,
)
from xuncha_clues.domain import consultation as consultation_model
from xuncha_clues.domain import inspection_report as report_model
from xuncha_clues.domain import problem as problem_model
from xuncha_clues.domain.clue import UnknownClue, unknown_clue_detail
from xuncha_clues.domain.consultation import Consultation
from xuncha_clues.domain.inspection_report import InspectionReport
from xuncha_clues.domain.problem import Problem
from xuncha_clues.domain.scope import Viewer

#: consumer group (and inbox name) keeping the units of each group
GROUP_UNITS_CONSUMER = "clues.group-units"


class UnknownUnit(NotFoundError):
    """A unit the caller's group does not inspect (404, like an unknown one)."""


def unknown_unit_detail(unit_id: UUID) -> str:
    return f"未找到被巡察单位 {unit_id} / unknown unit {unit_id}"


@dataclass
class FindingHandlers:
    problems: Aggregates[Problem]
    reports: Aggregates[InspectionReport]
    consultations: Aggregates[Consultation]
    problem_rows: SqlProblemReadModel
    report_rows: SqlReportReadModel
    consultation_rows: SqlConsultationReadModel
    lookups: SqlLookups
    #: today in China Standard Time (the service's clock)
    today: Callable[[], date]

    async def viewer(self, jurisdiction: str, city_wide: bool, group_id: UUID | None) -> Viewer:
        """The caller; a group-bound member with its group's round and units (when known)."""
        if group_id is None:
            return Viewer(jurisdiction, city_wide)
        group = await self.lookups.group(group_id)
        if group is None:
            return Viewer(jurisdiction, city_wide, group_id)
        return Viewer(group.jurisdiction, False, group_id, group.round_id, group.unit_ids)

    # --- reads --------------------------------------------------------------------------------

    async def problem(self, problem_id: UUID, viewer: Viewer) -> Problem:
        p = await self.problems.load(problem_id)
        if not p.exists or not viewer.sees(
            p.jurisdiction, p.round_id, [p.unit_id] if p.unit_id else []
        ):
            raise problem_model.UnknownProblem(problem_model.unknown_problem_detail(problem_id))
        return p

    async def report(self, report_id: UUID, viewer: Viewer) -> InspectionReport:
        r = await self.reports.load(report_id)
        if not r.exists or not viewer.sees(r.jurisdiction, r.round_id, r.unit_ids):
            raise report_model.UnknownReport(report_model.unknown_report_detail(report_id))
        return r

    async def consultation(self, consultation_id: UUID, viewer: Viewer) -> Consultation:
        c = await self.consultations.load(consultation_id)
        if not c.exists or not viewer.sees_jurisdiction(c.jurisdiction):
            raise consultation_model.UnknownConsultation(
                consultation_model.unknown_consultation_detail(consultation_id)
            )
        return c

    async def _require_clues(self, clue_ids: tuple[UUID, ...], viewer: Viewer) -> None:
        """Every clue exists and the caller sees it (registered in or escalated to its area;
        a group-bound member: its group's, or its round's about its units, as its clue list)."""
        found = await self.lookups.clues(list(dict.fromkeys(clue_ids)))
        for clue_id in clue_ids:
            ref = found.get(clue_id)
            if ref is None or not (
                viewer.sees_jurisdiction(ref.jurisdiction) or viewer.sees_jurisdiction(ref.owner)
            ):
                raise UnknownClue(unknown_clue_detail(clue_id))
            if not viewer.sees_clue(ref.group_id, ref.round_id, ref.unit_id):
                raise UnknownClue(unknown_clue_detail(clue_id))

    async def _require_round_unit(self, cmd: problem_model.RecordProblem, viewer: Viewer) -> None:
        """Once clues knows the round's groups (intake's ``GroupFormed``), the problem's area
        is the round's and its unit is one its groups inspect (422); a round of an area the
        caller does not see is as unknown as its unit (404). A round clues has no group of yet
        (its groups not formed, or not arrived) is taken as given."""
        groups = await self.lookups.round_groups(cmd.round_id)
        if not groups:
            return
        if not any(viewer.sees_jurisdiction(g.jurisdiction) for g in groups):
            raise UnknownUnit(unknown_unit_detail(cmd.unit_id))
        problem_model.require_in_round(
            cmd,
            frozenset(g.jurisdiction for g in groups),
            frozenset(u for g in groups for u in g.unit_ids),
        )

    # --- commands -----------------------------------------------------------------------------

    async def record_problem(
        self, cmd: problem_model.RecordProblem, viewer: Viewer, meta: Meta
    ) -> Problem:
        if not viewer.sees_jurisdiction(cmd.jurisdiction) or not viewer.sees_unit(
            cmd.round_id, cmd.unit_id
        ):
            raise UnknownUnit(unknown_unit_detail(cmd.unit_id))
        await self._require_round_unit(cmd, viewer)
        await self._require_clues(cmd.clue_ids, viewer)
        if viewer.group_bound:
            cmd = replace(cmd, group_id=viewer.group_id)
        return await self.problems.execute(
            cmd.problem_id, lambda s: problem_model.decide_record(s, cmd), meta
        )

    async def draft_report(
        self,
        *,
        round_id: UUID,
        jurisdiction: str,
        kind: InspectionReportKind,
        unit_id: UUID | None,
        problem_ids: list[UUID],
        unit_ids: list[UUID],
        viewer: Viewer,
        meta: Meta,
    ) -> InspectionReport:
        refs = []
        for problem_id in dict.fromkeys(problem_ids):
            p = await self.problem(problem_id, viewer)
            assert p.round_id is not None
            assert p.unit_id is not None
            refs.append(report_model.ProblemRef(problem_id, p.round_id, p.jurisdiction, p.unit_id))
        named = [u for u in [unit_id, *unit_ids] if u is not None]
        if not viewer.sees_jurisdiction(jurisdiction):
            raise UnknownUnit(unknown_unit_detail(named[0] if named else round_id))
        for u in named:
            if not viewer.sees_unit(round_id, u):
                raise UnknownUnit(unknown_unit_detail(u))
        report_id = report_model.report_id_for(kind, round_id, unit_id) or uuid.uuid4()
        cmd = report_model.DraftReport(
            report_id=report_id,
            round_id=round_id,
            jurisdiction=jurisdiction,
            kind=kind,
            unit_id=unit_id,
            problems=tuple(refs),
            unit_ids=tuple(unit_ids),
        )
        return await self.reports.execute(
            report_id, lambda s: report_model.decide_draft(s, cmd), meta
        )

    async def hear_report(
        self, report_id: UUID, cmd: report_model.HearReport, viewer: Viewer, meta: Meta
    ) -> InspectionReport:
        await self.report(report_id, viewer)
        today = self.today()
        return await self.reports.execute(
            report_id, lambda s: report_model.decide_hear(s, cmd, today), meta
        )

    async def hold_consultation(
        self, cmd: consultation_model.HoldConsultation, viewer: Viewer, meta: Meta
    ) -> Consultation:
        await self._require_clues(cmd.clue_ids, viewer)
        today = self.today()
        return await self.consultations.execute(
            cmd.consultation_id, lambda s: consultation_model.decide_hold(s, cmd, today), meta
        )


# --- event handlers (consumers) ---------------------------------------------------------------


def keep_group_units(lookups: SqlLookups) -> EventHandler:
    """``intake.GroupFormed`` → ``group_unit_view`` (the group's round, county and units), in the
    consumer's transaction with its inbox row."""

    async def handle(conn: Any, envelope: EventEnvelope, payload: EventPayload) -> None:
        if not isinstance(payload, GroupFormed):
            return
        await lookups.record_group(
            conn,
            payload.group_id,
            payload.round_id,
            payload.jurisdiction,
            list(payload.unit_ids),
            payload.starts_on,
        )

    return handle
