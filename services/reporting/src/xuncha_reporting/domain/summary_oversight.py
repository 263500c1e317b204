"""The city's oversight of its counties' inspection work (R29) in the office summary (pure):
its checks (督导检查) with the problems found by aspect, the counties put under 重点督办 and
those whose supervision was lifted (解除), and its pilot points (联系点: counties, townships and
villages in a leading group member's charge), each counted in the year of its own day.

``oversight_docs`` turns intake's events into the summary's documents, ``oversight_section``
counts them and ``oversight_sentences`` says them as an office writes (000:L39).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from xuncha_shared.contracts.intake import (
    CountyKeySupervisionLifted,
    CountyKeySupervisionOrdered,
    CountyWorkChecked,
    PilotPointDesignated,
)
from xuncha_shared.envelope import EventPayload

from xuncha_reporting.domain.model import Doc, MakeDoc

#: the events ``oversight_docs`` projects
OVERSIGHT_EVENT_TYPES: frozenset[str] = frozenset(
    {
        CountyWorkChecked.event_type,
        CountyKeySupervisionOrdered.event_type,
        CountyKeySupervisionLifted.event_type,
        PilotPointDesignated.event_type,
    }
)
#: the document kinds: a check, a key supervision, its lifting (keyed by the supervision), a
#: pilot point
CHECK, KEY, LIFT, POINT = "os_county_check", "os_county_key", "os_county_lift", "os_county_point"
OVERSIGHT_KINDS: tuple[str, ...] = (CHECK, KEY, LIFT, POINT)

#: one kind's documents of the office and the year: key -> body
Bodies = Mapping[str, dict[str, Any]]


def oversight_docs(payload: EventPayload, doc: MakeDoc) -> list[Doc]:
    """The summary's documents of one of intake's oversight events (``doc`` makes one of the
    event's jurisdiction, the city office's)."""
    match payload:
        case CountyWorkChecked():
            aspects = [f.aspect for f in payload.findings]
            body = {"county": payload.county, "on": payload.checked_on.isoformat()}
            return [doc(CHECK, payload.check_id, body | {"aspects": aspects})]
        case CountyKeySupervisionOrdered():
            body = {"county": payload.county, "on": payload.ordered_on.isoformat()}
            return [doc(KEY, payload.supervision_id, body)]
        case CountyKeySupervisionLifted():
            body = {"county": payload.county, "on": payload.lifted_on.isoformat()}
            return [doc(LIFT, payload.supervision_id, body)]
        case PilotPointDesignated():
            level = payload.level.value if payload.level else None
            point = {"county": payload.county, "kind": payload.kind.value, "level": level}
            return [doc(POINT, payload.point_id, point | {"on": payload.designated_on.isoformat()})]
    return []


def oversight_section(
    checks: Bodies, keys: Bodies, lifts: Bodies, points: Bodies
) -> dict[str, Any]:
    """The section of the year: ``checks``, ``keys`` and ``points`` of the office and the year,
    ``lifts`` of any year (a supervision of the year counts as lifted once it is)."""
    supervised = {k["county"] for k in keys.values()}
    still = {k["county"] for key, k in keys.items() if key not in lifts}
    levels = Counter(p["level"] or p["kind"] for p in points.values())
    return {
        "checks": len(checks),
        "counties_checked": len({c["county"] for c in checks.values()}),
        "findings": sum(len(c["aspects"]) for c in checks.values()),
        "by_aspect": dict(Counter(a for c in checks.values() for a in c["aspects"]).most_common()),
        "key_supervision": sorted(supervised),
        "key_supervision_lifted": sorted(supervised - still),
        "pilot_points": {
            "counties": levels["normalisation"],
            "townships": levels["township"],
            "villages": levels["village_or_community"],
        },
    }


def oversight_sentences(section: dict[str, Any]) -> list[str]:
    """The section as the summary says it (nothing for what did not happen)."""
    parts: list[str] = []
    if section["checks"]:
        parts.append(
            f"督导检查{section['counties_checked']}个县区巡察工作{section['checks']}次，"
            f"梳理问题{section['findings']}项"
        )
    if section["key_supervision"]:
        sentence = f"对{len(section['key_supervision'])}个县区巡察工作进行了重点督办"
        if lifted := len(section["key_supervision_lifted"]):
            sentence += f"，已解除{lifted}个"
        parts.append(sentence)
    points = section["pilot_points"]
    chosen = []
    if points["counties"]:
        chosen.append(f"{points['counties']}个县区为县级巡察规范化推进联系点")
    places = "、".join(
        f"{n}个{what}"
        for n, what in ((points["townships"], "乡镇"), (points["villages"], "村（社区）"))
        if n
    )
    if places:
        chosen.append(f"{places}为巡察整改联系点")
    if chosen:
        parts.append("选取" + "，".join(chosen))
    return parts
