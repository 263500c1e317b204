"""Revisits (回头看, R18), recurrences (改了再犯 and 屡查屡犯, R19) and common-problem lists
(未巡先改) with each unit's self-check progress: what they write into the projection
(``revisit_docs``, pure) and the views read from those documents.

Documents (``lifecycle_docs``): ``rect_topic`` (an issue's topics, unit and round),
``revisit`` and ``revisit_findings`` (per revisit), ``recurrence`` (per ``RecurrenceDetected``),
``common_list`` (per list) and ``self_check`` (per list and unit: the latest counts). The common
pattern (共性问题) is the same topic fed back to two or more units of a jurisdiction in rounds of
one term (the term from the ``round`` documents of intake's rounds).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from xuncha_shared.contracts import rectification as r
from xuncha_shared.envelope import EventPayload

from xuncha_reporting.domain.case_names import round_doc_name
from xuncha_reporting.domain.model import Change, Doc
from xuncha_reporting.domain.projected import ProjectedEnvelope
from xuncha_reporting.domain.rectification_docs import ISSUE_DOC

TOPIC_DOC, REVISIT_DOC, FINDINGS_DOC, RECURRENCE_DOC, LIST_DOC, SELF_CHECK_DOC = (
    "rect_topic",
    "revisit",
    "revisit_findings",
    "recurrence",
    "common_list",
    "self_check",
)
#: 催报 of a list's self-checks: one document per urge (the event's id), counted when read
URGE_DOC = "self_check_urge"
#: what the views read (``round`` and ``unit`` come from intake's documents)
VIEW_KINDS: tuple[str, ...] = (
    TOPIC_DOC,
    REVISIT_DOC,
    FINDINGS_DOC,
    RECURRENCE_DOC,
    LIST_DOC,
    SELF_CHECK_DOC,
    URGE_DOC,
    ISSUE_DOC,  # the issues' descriptions, to name what came back
    "round",
    "round_unit",
    "unit",
)
Docs = dict[str, dict[str, dict[str, Any]]]

#: the events ``revisit_docs`` projects (``projection.STEPS`` calls it for these only)
EVENT_TYPES: frozenset[str] = frozenset(
    {
        r.IssueFedBack.event_type,
        r.RevisitScheduled.event_type,
        r.RevisitFindingsRecorded.event_type,
        r.RecurrenceDetected.event_type,
        r.CommonProblemListIssued.event_type,
        r.CommonProblemSelfChecked.event_type,
        r.CommonProblemSelfCheckUrged.event_type,
    }
)


def revisit_docs(envelope: ProjectedEnvelope, payload: EventPayload) -> list[Change]:
    if not isinstance(payload, r.MODELS):  # every case below is a rectification event
        return []

    def doc(kind: str, key: object, body: dict[str, Any]) -> Doc:
        return Doc(kind, str(key), envelope.jurisdiction, body, envelope.occurred_at)

    at = envelope.occurred_at.isoformat()
    match payload:
        case r.IssueFedBack() if payload.topics:
            body = payload.model_dump(
                mode="json", include={"issue_id", "unit", "unit_id", "round_id", "topics"}
            )
            return [doc(TOPIC_DOC, payload.issue_id, {**body, "fed_back_at": at})]
        case r.RevisitScheduled():
            body = payload.model_dump(mode="json", exclude={"jurisdiction"})
            return [doc(REVISIT_DOC, payload.revisit_id, {**body, "at": at})]
        case r.RevisitFindingsRecorded():
            body = payload.model_dump(mode="json", exclude={"jurisdiction"})
            return [doc(FINDINGS_DOC, payload.revisit_id, {**body, "at": at})]
        case r.RecurrenceDetected():
            body = payload.model_dump(mode="json", exclude={"jurisdiction"})
            return [doc(RECURRENCE_DOC, envelope.event_id, {**body, "at": at})]
        case r.CommonProblemListIssued():
            body = payload.model_dump(mode="json", exclude={"jurisdiction"})
            return [doc(LIST_DOC, payload.list_id, {**body, "at": at})]
        case r.CommonProblemSelfChecked():
            body = payload.model_dump(mode="json", exclude={"jurisdiction"})
            key = f"{payload.list_id}:{payload.unit_id}"
            return [doc(SELF_CHECK_DOC, key, {**body, "at": at})]
        case r.CommonProblemSelfCheckUrged():
            body = payload.model_dump(mode="json", exclude={"jurisdiction"})
            return [doc(URGE_DOC, envelope.event_id, {**body, "at": at})]
        case _:
            return []


def _unit_name(docs: Docs, unit_id: str | None, fallback: str | None = None) -> str | None:
    unit = docs.get("unit", {}).get(unit_id or "")
    return str(unit["name"]) if unit else fallback


def revisits(docs: Docs) -> dict[str, Any]:
    """回头看: each revisit with its findings (or none yet), the round whose feedback it goes
    back to and the round holding it (``in_round_id``: 巡察“回头看”; none for the office's own);
    and ``round_revisits``: each unit a round assigned in mode ``revisit``, with the revisit
    recorded as held by that round (none yet: the round's 回头看 has no findings on record)."""
    findings = docs.get(FINDINGS_DOC, {})
    items = []
    held: dict[tuple[str, str], str] = {}
    for key, rv in sorted(docs.get(REVISIT_DOC, {}).items(), key=lambda kv: kv[1]["scheduled_on"]):
        found = findings.get(key)
        in_round = rv.get("in_round_id")  # documents of RevisitScheduled v1 have none
        if in_round is not None:
            held.setdefault((in_round, rv["unit_id"]), key)
        items.append(
            {
                "revisit_id": key,
                "jurisdiction": rv["jurisdiction"],
                "unit_id": rv["unit_id"],
                "unit": rv["unit"],
                "round_id": rv["round_id"],
                "round_name": round_doc_name(docs, rv["round_id"]),
                "in_round_id": in_round,
                "in_round_name": round_doc_name(docs, in_round),
                "scheduled_on": rv["scheduled_on"],
                "findings_recorded": found is not None,
                "checked": len(found["checked_issue_ids"]) if found else 0,
                "reopened_issue_ids": found["reopened_issue_ids"] if found else [],
                "new_problems": found["new_problems"] if found else [],
            }
        )
    by_id = {i["revisit_id"]: i for i in items}
    rounds = docs.get("round", {})
    planned = []
    for ru in docs.get("round_unit", {}).values():
        rnd = rounds.get(ru["round_id"])
        if ru["mode"] != "revisit" or rnd is None:
            continue
        revisit = by_id.get(held.get((ru["round_id"], ru["unit_id"]), ""))
        planned.append(
            {
                "round_id": ru["round_id"],
                "round_name": round_doc_name(docs, ru["round_id"]),
                "jurisdiction": rnd["jurisdiction"],
                "starts_on": rnd["starts_on"],
                "ends_on": rnd["ends_on"],
                "unit_id": ru["unit_id"],
                "unit": _unit_name(docs, ru["unit_id"]),
                "revisit_id": revisit["revisit_id"] if revisit else None,
                "findings_recorded": bool(revisit and revisit["findings_recorded"]),
            }
        )
    planned.sort(key=lambda p: (p["starts_on"], p["round_name"] or "", p["unit"] or ""))
    return {
        "items": items,
        "total": len(items),
        "with_findings": sum(1 for i in items if i["findings_recorded"]),
        "reopened": sum(len(i["reopened_issue_ids"]) for i in items),
        "round_revisits": planned,
        "round_revisits_recorded": sum(1 for p in planned if p["revisit_id"]),
    }


def common_patterns(docs: Docs) -> list[dict[str, Any]]:
    """共性问题: a topic fed back to two or more units of a jurisdiction in one term."""
    rounds = docs.get("round", {})
    units: dict[tuple[str, int, str], dict[str, str]] = defaultdict(dict)
    for t in docs.get(TOPIC_DOC, {}).values():
        rnd = rounds.get(t.get("round_id") or "")
        if rnd is None:
            continue
        for topic in t["topics"]:
            key = (t["jurisdiction"], int(rnd["term_no"]), topic)
            units[key][t.get("unit_id") or t["unit"]] = t["unit"]
    return [
        {
            "jurisdiction": j,
            "term_no": term,
            "topic": topic,
            "units": sorted(names.values()),
            "unit_count": len(names),
        }
        for (j, term, topic), names in sorted(units.items())
        if len(names) >= 2
    ]


def recurrences(docs: Docs) -> dict[str, Any]:
    """改了再犯 and 屡查屡犯 (each ``RecurrenceDetected``) and 共性问题 (common patterns)."""
    items = sorted(docs.get(RECURRENCE_DOC, {}).values(), key=lambda d: d["at"])
    patterns = common_patterns(docs)
    issues = docs.get(ISSUE_DOC, {})

    def described(issue_id: str | None) -> str | None:
        return issues.get(str(issue_id), {}).get("description") if issue_id else None

    return {
        "recurrences": [
            {
                "issue_id": d["issue_id"],
                "description": described(d["issue_id"]),
                "earlier_issue_id": d["earlier_issue_id"],
                "earlier_description": described(d["earlier_issue_id"]),
                "jurisdiction": d["jurisdiction"],
                "unit_id": d.get("unit_id"),
                "unit": d["unit"],
                "topics": d["topics"],
                "cause": d["cause"],
                "cause_zh": "回头看发现反弹" if d["cause"] == "reopened" else "销号后同类问题再犯",
                "revisit_id": d.get("revisit_id"),
                "at": d["at"],
            }
            for d in items
        ],
        "common_patterns": patterns,
        "total": len(items),
    }


def _urges(docs: Docs) -> dict[str, dict[str, Any]]:
    """Each (list, unit) chased: how often, and the latest urge's day, reply day and words."""
    out: dict[str, dict[str, Any]] = {}
    for urge in sorted(docs.get(URGE_DOC, {}).values(), key=lambda u: u["at"]):
        for uid in urge["unit_ids"]:
            seen = out.get(f"{urge['list_id']}:{uid}", {"urged": 0})
            out[f"{urge['list_id']}:{uid}"] = {
                "urged": seen["urged"] + 1,
                "last_urged_on": urge["urged_on"],
                "reply_by": urge["reply_by"],
                "urge_note": urge["note"],
            }
    return out


NOT_URGED: dict[str, Any] = {"urged": 0, "last_urged_on": None, "reply_by": None, "urge_note": None}


def common_lists(docs: Docs) -> dict[str, Any]:
    """共性问题清单 with each unit's self-check progress and the office's 催报 of it."""
    checks = docs.get(SELF_CHECK_DOC, {})
    urges = _urges(docs)
    items = []
    for key, lst in sorted(docs.get(LIST_DOC, {}).items(), key=lambda kv: kv[1]["at"]):
        units = []
        for uid in lst["unit_ids"]:
            check = checks.get(f"{key}:{uid}")
            units.append(
                {
                    "unit_id": uid,
                    "unit": _unit_name(docs, uid),
                    "self_checked": check is not None,
                    "findings": check["findings"] if check else None,
                    "measures": check["measures"] if check else None,
                    "at": check["at"] if check else None,
                    **urges.get(f"{key}:{uid}", NOT_URGED),
                }
            )
        done = sum(1 for u in units if u["self_checked"])
        items.append(
            {
                "list_id": key,
                "jurisdiction": lst["jurisdiction"],
                "term_no": lst["term_no"],
                "items": lst["items"],
                "units": units,
                "self_checked": done,
                "unit_count": len(units),
                "progress_percent": round(100 * done / len(units)) if units else 0,
            }
        )
    return {"items": items, "total": len(items)}
