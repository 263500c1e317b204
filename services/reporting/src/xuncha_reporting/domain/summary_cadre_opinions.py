"""干部任用征求巡察意见 (R4) in the office summary (pure): the opinions on cadres the organisation
department asked of the office in the year (``rectification.CadreOpinionRequested``, the year of
``requested_on``; not those it withdrew, ``rectification.CadreOpinionWithdrawn``) and those the
office gave (``rectification.CadreOpinionGiven``, the year of ``given_on``), by conclusion.
Nothing of the cadres themselves: counts only.

``opinion_docs`` turns the events into the summary's documents, ``opinion_section`` counts them
and ``opinion_sentences`` says them as an office writes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from xuncha_shared.contracts.rectification import (
    CadreOpinionGiven,
    CadreOpinionRequested,
    CadreOpinionWithdrawn,
    OpinionConclusion,
)
from xuncha_shared.envelope import EventPayload

from xuncha_reporting.domain.model import Doc, MakeDoc

#: the events ``opinion_docs`` projects, and the document kinds
OPINION_EVENT_TYPES: frozenset[str] = frozenset(
    {
        CadreOpinionRequested.event_type,
        CadreOpinionGiven.event_type,
        CadreOpinionWithdrawn.event_type,
    }
)
ASKED = "os_opinion_asked"
GIVEN = "os_opinion_given"
WITHDRAWN = "os_opinion_withdrawn"
OPINION_KINDS: tuple[str, ...] = (ASKED, GIVEN, WITHDRAWN)
CONCLUSIONS: tuple[str, ...] = tuple(c.value for c in OpinionConclusion)


def opinion_docs(payload: EventPayload, doc: MakeDoc) -> list[Doc]:
    """The summary's document of a request or of its answer."""
    if isinstance(payload, CadreOpinionRequested):
        body = {"on": payload.requested_on.isoformat(), "purpose": payload.purpose.value}
        body["unit"] = payload.unit  # what its deadline concerns (``DeadlinePages.subjects``)
        return [doc(ASKED, payload.request_id, body)]
    if isinstance(payload, CadreOpinionGiven):
        body = {"on": payload.given_on.isoformat(), "conclusion": payload.conclusion.value}
        return [doc(GIVEN, payload.request_id, body)]
    if isinstance(payload, CadreOpinionWithdrawn):
        return [doc(WITHDRAWN, payload.request_id, {"on": payload.withdrawn_on.isoformat()})]
    return []


def opinion_section(
    asked: Mapping[str, dict[str, Any]],
    given: Mapping[str, dict[str, Any]],
    withdrawn: Mapping[str, dict[str, Any]],
) -> dict[str, Any]:
    """The requests of the year not withdrawn and the answers of the year (of the office), by
    conclusion."""
    by = Counter(g["conclusion"] for g in given.values())
    return {
        "asked": len(asked.keys() - withdrawn.keys()),
        "given": len(given),
        "by_conclusion": {c: by.get(c, 0) for c in CONCLUSIONS},
    }


def opinion_sentences(section: dict[str, Any]) -> list[str]:
    """The section as the summary says it (nothing when no opinion was given)."""
    if not section["given"]:
        return []
    adverse = section["by_conclusion"]["adverse"]
    found = f"，其中发现问题{adverse}人次" if adverse else ""
    return [f"回复组织部门干部任用征求巡察意见{section['given']}人次{found}"]
