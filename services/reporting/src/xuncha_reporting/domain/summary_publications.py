"""两公开 (R5) in the office summary (pure): the units whose stationing (进驻), feedback (反馈) and
rectification (整改) the office made known to the public (向社会公开) and inside the party
(党内通报) in the year (``rectification.ResultsPublished``, the year of ``published_on``).

``publication_docs`` turns the event into the summary's document, ``publication_section`` counts
them and ``publication_sentences`` says them as an office writes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xuncha_shared.contracts.names_zh import VALUE_LABELS_ZH
from xuncha_shared.contracts.rectification import (
    PublicationScope,
    PublicationStage,
    ResultsPublished,
)
from xuncha_shared.envelope import EventPayload

from xuncha_reporting.domain.model import Doc, MakeDoc

#: the events ``publication_docs`` projects, and the document kind
PUBLICATION_EVENT_TYPES: frozenset[str] = frozenset({ResultsPublished.event_type})
PUBLICATION = "os_publication"
STAGES: tuple[str, ...] = tuple(s.value for s in PublicationStage)
SCOPES: tuple[str, ...] = tuple(s.value for s in PublicationScope)
STAGE_SENTENCE_ZH = VALUE_LABELS_ZH["stage"]


def publication_docs(payload: EventPayload, doc: MakeDoc) -> list[Doc]:
    """The summary's document of a publication."""
    if not isinstance(payload, ResultsPublished):
        return []
    body = {
        "unit_id": str(payload.unit_id),
        "stage": payload.stage.value,
        "scope": payload.scope.value,
        "on": payload.published_on.isoformat(),
    }
    return [doc(PUBLICATION, payload.publication_id, body)]


def publication_section(publications: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    """Per scope and stage, the units made known in the year (``publications`` of the office
    and the year)."""
    units: dict[str, dict[str, set[str]]] = {
        scope: {stage: set() for stage in STAGES} for scope in SCOPES
    }
    for p in publications.values():
        units[p["scope"]][p["stage"]].add(p["unit_id"])
    return {
        "published": len(publications),
        "units": {scope: {s: len(u) for s, u in by.items()} for scope, by in units.items()},
    }


def publication_sentences(section: dict[str, Any]) -> list[str]:
    """The section as the summary says it (nothing when nothing went to the public)."""
    public = section["units"]["public"]
    parts = [f"{n}个单位的{STAGE_SENTENCE_ZH[s]}情况" for s, n in public.items() if n]
    return [f"向社会公开{'、'.join(parts)}"] if parts else []
