"""Service layer of rectification, the use of results: 两公开 (R5, ``PublicationHandlers``) and
the opinions on cadres the organisation department asks of the office (R4,
``CadreOpinionHandlers``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from xuncha_shared.aggregates import Aggregates
from xuncha_shared.contracts.common import Department
from xuncha_shared.contracts.rectification import (
    OpinionConclusion,
    PublicationScope,
    PublicationStage,
    publication_id_for,
)
from xuncha_shared.domain.commands import Meta
from xuncha_shared.domain.errors import NotFoundError

from xuncha_rectification.adapters.cadre_opinions import SqlCadreOpinions
from xuncha_rectification.adapters.publications import SqlPublications
from xuncha_rectification.adapters.tables import RectificationTables
from xuncha_rectification.domain import cadre_opinion as opinion_model
from xuncha_rectification.domain import publication as publication_model
from xuncha_rectification.domain.issue import local_date


@dataclass
class PublicationHandlers:
    """两公开 (R5): a stage of a unit's inspection made known, and the draft it starts from."""

    publications: Aggregates[publication_model.Publication]
    table: SqlPublications
    tables: RectificationTables
    #: the deployment's grounds for withholding (id -> 中文)
    exemptions: Mapping[str, str]
    now: Callable[[], datetime]

    async def subject(
        self, round_id: UUID, unit_id: UUID, may_see: Callable[[str], bool]
    ) -> publication_model.Subject | None:
        """The unit in the round, or None for one the caller may not see (no oracle)."""
        subject = await self.table.subject(round_id, unit_id)
        return subject if subject is not None and may_see(subject.jurisdiction) else None

    async def publish(
        self, cmd: publication_model.PublishResults, may_see: Callable[[str], bool], meta: Meta
    ) -> publication_model.Publication:
        subject = await self.subject(cmd.round_id, cmd.unit_id, may_see)
        today = local_date(self.now())
        stream = publication_id_for(cmd.round_id, cmd.unit_id, cmd.stage, cmd.scope)
        return await self.publications.execute(
            stream,
            lambda s: publication_model.decide_publish(s, cmd, subject, self.exemptions, today),
            meta,
        )

    async def draft(
        self,
        round_id: UUID,
        unit_id: UUID,
        stage: PublicationStage,
        unit: str | None,
        may_see: Callable[[str], bool],
        scope: PublicationScope = PublicationScope.PUBLIC,
    ) -> tuple[str, str]:
        subject = await self.subject(round_id, unit_id, may_see)
        name = await self.tables.round_name(round_id) or ""
        return publication_model.draft_for(subject, unit_id, stage, name, unit, scope)


@dataclass
class CadreOpinionHandlers:
    """干部任用征求巡察意见 (R4): the organisation department asks about a cadre, the office of
    the cadre's unit answers once (``domain/cadre_opinion.py``)."""

    opinions: Aggregates[opinion_model.CadreOpinion]
    table: SqlCadreOpinions
    tables: RectificationTables
    now: Callable[[], datetime]

    async def record(
        self, jurisdiction: str, unit_id: UUID | None, unit: str
    ) -> opinion_model.UnitRecord:
        """The unit's inspections, its rounds named."""
        today = local_date(self.now())
        record, round_ids = await self.table.record(jurisdiction, unit_id, unit, today)
        names = await self.tables.round_names(round_ids)
        return replace(record, rounds=tuple(sorted(names.values())))

    async def request(
        self,
        cmd: opinion_model.RequestCadreOpinion,
        may_see: Callable[[str], bool],
        meta: Meta,
    ) -> opinion_model.CadreOpinion:
        if not may_see(cmd.jurisdiction):  # as an unknown unit: nothing of another area
            raise NotFoundError("未找到该单位 / unknown unit")
        record = await self.record(cmd.jurisdiction, cmd.unit_id, cmd.unit)
        # an id is one rectification knows in that jurisdiction (a name is taken as written)
        known = cmd.unit_id is None or record.unit is not None
        unit = record if known else None
        name = record.unit if known and record.unit else cmd.unit
        pending = await self.table.pending(cmd.jurisdiction, name, cmd.cadre_name, cmd.purpose)
        today = local_date(self.now())
        return await self.opinions.execute(
            cmd.request_id,
            lambda s: opinion_model.decide_request(s, cmd, unit, today, pending),
            meta,
        )

    async def visible(
        self, request_id: UUID, may_see: Callable[[str], bool]
    ) -> opinion_model.CadreOpinion:
        """The request, or the 404 of an unknown one for a request the caller may not see."""
        state = await self.table.get(request_id)
        if state is None or not may_see(state.jurisdiction):
            raise NotFoundError("未找到该征求意见 / unknown request")
        return state

    async def give(
        self,
        cmd: opinion_model.GiveCadreOpinion,
        may_see: Callable[[str], bool],
        answering: str,
        meta: Meta,
    ) -> opinion_model.CadreOpinion:
        """The answer of the office of ``answering`` (its jurisdiction)."""
        seen = await self.visible(cmd.request_id, may_see)
        unit = await self.record(seen.jurisdiction, seen.unit_id, seen.unit)
        today = local_date(self.now())
        return await self.opinions.execute(
            cmd.request_id,
            lambda s: opinion_model.decide_give(s, cmd, unit, today, answering),
            meta,
        )

    async def withdraw(
        self,
        cmd: opinion_model.WithdrawCadreOpinion,
        may_see: Callable[[str], bool],
        department: Department,
        meta: Meta,
    ) -> opinion_model.CadreOpinion:
        await self.visible(cmd.request_id, may_see)
        today = local_date(self.now())
        return await self.opinions.execute(
            cmd.request_id,
            lambda s: opinion_model.decide_withdraw(s, cmd, department, today),
            meta,
        )

    async def draft(
        self,
        request_id: UUID,
        conclusion: OpinionConclusion | None,
        may_see: Callable[[str], bool],
    ) -> tuple[OpinionConclusion, str, opinion_model.UnitRecord]:
        """The draft of ``conclusion`` (by default the one the record suggests)."""
        state = await self.visible(request_id, may_see)
        unit = await self.record(state.jurisdiction, state.unit_id, state.unit)
        chosen = conclusion or opinion_model.suggested(unit)
        return chosen, opinion_model.draft(state, unit, chosen), unit
