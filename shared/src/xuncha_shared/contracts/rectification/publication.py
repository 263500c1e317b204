"""两公开 (R5): an inspection's stationing (进驻), feedback (反馈) and rectification (整改) made
known inside the party (党内通报) and to the public (向社会公开), with what was withheld and
why."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import Field

from xuncha_shared.contracts.common import JurisdictionCode, LongText, ShortText
from xuncha_shared.envelope import EventPayload


class PublicationStage(StrEnum):
    """What is made known (R5: 进驻、反馈、整改)."""

    STATIONING = "stationing"  # 巡察进驻
    FEEDBACK = "feedback"  # 巡察反馈
    RECTIFICATION = "rectification"  # 整改进展情况


class PublicationScope(StrEnum):
    """To whom (两公开, 000:L27)."""

    PARTY_INTERNAL = "party_internal"  # 党内通报: inside the inspected unit's party organisation
    PUBLIC = "public"  # 向社会公开: anyone, without signing in


class ResultsPublished(EventPayload):
    """An office made a stage of a unit's inspection in a round known to a scope (R5), once
    each (``publication_id_for``). ``exemptions`` names the grounds (ids of the deployment's
    list) on which parts were withheld; the text is what was published, nothing else."""

    event_type: ClassVar[str] = "rectification.ResultsPublished"
    schema_version: ClassVar[int] = 1

    publication_id: UUID
    jurisdiction: JurisdictionCode = Field(description="the round's, whose office published")
    round_id: UUID
    unit_id: UUID
    unit: ShortText = Field(description="the inspected unit's name")
    stage: PublicationStage
    scope: PublicationScope
    title: ShortText
    text: LongText
    published_on: date = Field(description="the day (China Standard Time) it was published")
    exemptions: list[ShortText] = Field(default=[], max_length=20)
    withheld_note: LongText | None = Field(
        default=None, description="what was withheld (不予公开的内容), in general terms"
    )


_NAMESPACE = uuid5(NAMESPACE_URL, "https://xuncha.example/rectification/publication/")


def publication_id_for(
    round_id: UUID, unit_id: UUID, stage: PublicationStage, scope: PublicationScope
) -> UUID:
    """A stage of a unit's inspection in a round is published to a scope once."""
    return uuid5(_NAMESPACE, f"{round_id}/{unit_id}/{stage.value}/{scope.value}")
