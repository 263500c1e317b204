"""The clue funnel (问题线索办理漏斗): from registration to the department's result, per county.

Pure. ``funnel_changes`` gives what one clue event adds to the projection: a linked-view
counter (``Fact``) and a lifecycle document keyed by the clue; ``clue_funnel`` computes the view
``GET /api/v1/views/clues`` from those documents when it is read. A clue counts in the county
where it was registered (the ``clue`` document's jurisdiction); an escalated clue's later
documents carry the city's jurisdiction, so a county office sees its clues up to the escalation
only (不扩大知情范围), the city sees them all.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from xuncha_shared.contracts import clues
from xuncha_shared.contracts.common import DEPARTMENT_LABELS_ZH
from xuncha_shared.domain import jurisdictions
from xuncha_shared.envelope import EventPayload

from xuncha_reporting.domain.lifecycle import CATEGORIES_ZH, LEVELS_ZH
from xuncha_reporting.domain.model import Change, Doc, Fact, Metric
from xuncha_reporting.domain.projected import ProjectedEnvelope

#: the events ``funnel_changes`` projects (``projection.STEPS`` calls it for these only)
FUNNEL_EVENT_TYPES: frozenset[str] = frozenset(
    {
        clues.ClueRegistered.event_type,
        clues.ClueEscalated.event_type,
        clues.TransferResultOverdue.event_type,
        clues.ClueVerified.event_type,
        clues.ClueAcknowledged.event_type,
        clues.TransferResultReported.event_type,
        clues.TransferResultUrged.event_type,
        clues.ClueDisposed.event_type,
        clues.ClueArchived.event_type,
    }
)

#: the document kinds the view reads (``clue_class`` and ``clue_transfer`` are the round
#: statistics' own, reused)
FUNNEL_KINDS = (
    "clue",
    "clue_class",
    "clue_verify",
    "clue_escalate",
    "clue_transfer",
    "clue_ack",
    "clue_result",
    "clue_disposed",
    "clue_archived",
    "clue_overdue",
    "clue_urge",
)

DISPOSITIONS_ZH = {
    "talk_or_letter": "谈话函询",
    "preliminary_check": "初步核实",
    "shelved": "暂存待查",
    "closed": "予以了结",
    "case_opened": "立案审查调查",
    "organisational_handling": "组织处理",
}

STAGES_ZH = {
    "registered": "已登记",
    "classified": "已分类",
    "verifying": "核查中",
    "escalated": "已报市委巡察办",
    "transferred": "已移交",
    "acknowledged": "已签收",
    "result_reported": "已反馈结果",
    "disposed": "已办结",
    "kept": "参考类留存",
    "archived": "已存档",
}


def funnel_changes(envelope: ProjectedEnvelope, payload: EventPayload) -> list[Change]:
    """What a clue event adds for the funnel (counters and documents)."""

    def doc(kind: str, body: dict[str, object]) -> Doc:
        key = str(payload.clue_id)  # type: ignore[attr-defined]
        return Doc(kind, key, envelope.jurisdiction, body, envelope.occurred_at)

    def fact(metric: Metric) -> Fact:
        return Fact(metric, str(payload.clue_id), envelope.jurisdiction)  # type: ignore[attr-defined]

    match payload:
        case clues.ClueRegistered():
            # the unit names the clue's rows of the deadlines list (R3, R12)
            return [doc("clue", {"source_channel": payload.source_channel, "unit": payload.unit})]
        case clues.ClueEscalated():
            return [doc("clue_escalate", {"to": payload.to_jurisdiction})]
        case clues.ClueVerified():
            return [
                fact(Metric.CLUES_VERIFIED),
                doc("clue_verify", {"method": payload.method.value}),
            ]
        case clues.ClueAcknowledged():
            body: dict[str, object] = {
                "via": payload.via.value,
                "department": payload.department.value,
            }
            return [fact(Metric.CLUES_ACKNOWLEDGED), doc("clue_ack", body)]
        case clues.TransferResultReported():
            body = {
                "disposition": payload.disposition.value,
                "department": payload.department.value,
                "concluded_on": payload.concluded_on.isoformat(),
            }
            return [fact(Metric.CLUE_RESULTS), doc("clue_result", body)]
        case clues.TransferResultUrged():  # 催办 (R27): the latest urge of the clue
            body = {
                "urge_no": payload.urge_no,
                "urged_on": payload.urged_on.isoformat(),
                "department": payload.department.value,
                "overdue": payload.overdue,
            }
            return [doc("clue_urge", body)]
        case clues.ClueDisposed():
            body = {"disposed_on": payload.disposed_on.isoformat()}
            return [fact(Metric.CLUES_DISPOSED), doc("clue_disposed", body)]
        case clues.ClueArchived():
            return [doc("clue_archived", {"archived": True})]
        case clues.TransferResultOverdue():
            body = {
                "department": payload.department.value,
                "due_date": payload.due_date.isoformat(),
            }
            return [fact(Metric.CLUES_OVERDUE), doc("clue_overdue", body)]
    return []


def stage_of(clue_id: str, docs: dict[str, dict[str, dict[str, Any]]]) -> str:
    """The furthest stage the documents show for a clue."""

    def has(kind: str) -> bool:
        return clue_id in docs.get(kind, {})

    if has("clue_archived"):
        return "archived"
    if has("clue_disposed"):
        return "disposed"
    if has("clue_result"):
        return "result_reported"
    if has("clue_ack"):
        return "acknowledged"
    if has("clue_transfer"):
        return "transferred"
    if has("clue_escalate"):
        return "escalated"
    if has("clue_verify"):
        return "verifying"
    cls = docs.get("clue_class", {}).get(clue_id)
    if cls is not None:
        return "kept" if cls.get("category") == "reference" else "classified"
    return "registered"


def _row(clue_ids: list[str], docs: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    def of(kind: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in docs.get(kind, {}).items() if k in ids}

    ids = set(clue_ids)
    classes = of("clue_class")
    transfers = of("clue_transfer")
    results = of("clue_result")
    overdue = {k: v for k, v in of("clue_overdue").items() if k not in results}
    by_category = Counter(str(c.get("category")) for c in classes.values())
    by_level = Counter(str(c.get("cadre_level")) for c in classes.values() if c.get("cadre_level"))
    by_department = Counter(str(t["department"]) for t in transfers.values())
    by_disposition = Counter(str(r["disposition"]) for r in results.values())
    return {
        "registered": len(ids),
        "classified": len(classes),
        "by_category": [
            {"category": k, "label": CATEGORIES_ZH.get(k, k), "count": by_category[k]}
            for k in CATEGORIES_ZH
            if by_category[k]
        ],
        "by_cadre_level": [
            {"cadre_level": k, "label": LEVELS_ZH.get(k, k), "count": by_level[k]}
            for k in LEVELS_ZH
            if by_level[k]
        ],
        "verified": len(of("clue_verify")),
        "escalated": len(of("clue_escalate")),
        "transferred": len(transfers),
        "transferred_by_department": [
            {"department": d, "label": DEPARTMENT_LABELS_ZH.get(d, d), "count": n}  # type: ignore[call-overload]
            for d, n in by_department.most_common()
        ],
        "acknowledged": len(of("clue_ack")),
        "results": len(results),
        "results_by_disposition": [
            {"disposition": k, "label": DISPOSITIONS_ZH[k], "count": by_disposition[k]}
            for k in DISPOSITIONS_ZH
            if by_disposition[k]
        ],
        "disposed": len(of("clue_disposed")),
        "archived": len(of("clue_archived")),
        "overdue": len(overdue),
        "urged": len(of("clue_urge")),
    }


def clue_funnel(
    docs: dict[str, dict[str, dict[str, Any]]], city: str, only: str | None = None
) -> dict[str, Any]:
    """The funnel per county (and the city's total), with each clue's stage for drilling down
    to its history (``GET /api/v1/clues/{id}/history`` on the clues service)."""
    by_place: dict[str, list[str]] = {}
    for clue_id, clue in docs.get("clue", {}).items():
        place = str(clue["jurisdiction"])
        if only is not None and place != only:
            continue
        by_place.setdefault(place, []).append(clue_id)
    results = docs.get("clue_result", {})
    registered = docs.get("clue", {})
    rows = []
    for place in sorted(by_place):
        ids = by_place[place]
        row = _row(ids, docs)
        row |= {
            "jurisdiction": place,
            "name": jurisdictions.name_of(place),
            "level": "city" if jurisdictions.is_city(place) else "county",
            "clues": [
                {
                    "clue_id": cid,
                    # the unit it is about, as registered: the reader's own area's clue, named
                    # also where its later handling is another office's (escalated)
                    "unit": registered[cid].get("unit"),
                    "stage": (stage := stage_of(cid, docs)),
                    "stage_zh": STAGES_ZH[stage],
                    "department": docs.get("clue_transfer", {}).get(cid, {}).get("department"),
                    "disposition": results.get(cid, {}).get("disposition"),
                    "overdue": cid in docs.get("clue_overdue", {}) and cid not in results,
                    "urges": int(docs.get("clue_urge", {}).get(cid, {}).get("urge_no", 0)),
                    "history": f"/api/v1/clues/{cid}/history",
                }
                for cid in sorted(ids)
            ],
        }
        rows.append(row)
    all_ids = [cid for ids in by_place.values() for cid in ids]
    total = _row(all_ids, docs) | {"jurisdiction": city, "name": jurisdictions.name_of(city)}
    return {"total": total, "jurisdictions": rows}


#: the document kinds a department's feed reads for the state of what it received
FEED_STATE_KINDS = (
    "clue_ack",
    "clue_result",
    "clue_disposed",
    "clue_overdue",
    "clue_urge",
    "clue_escalate",
)


def feed_state(clue_id: str, docs: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """What a department's feed shows of a clue it received: how far it got (transferred,
    acknowledged, result_reported, disposed), the disposition, whether R3 fired with no
    result reported, how often the office urged the result (催办, R27), and the county that
    reported it up (R12) when the city office transferred it."""
    result = docs.get("clue_result", {}).get(clue_id)
    urge = docs.get("clue_urge", {}).get(clue_id)
    escalated = docs.get("clue_escalate", {}).get(clue_id)  # its document is the county's
    if clue_id in docs.get("clue_disposed", {}):
        state = "disposed"
    elif result is not None:
        state = "result_reported"
    elif clue_id in docs.get("clue_ack", {}):
        state = "acknowledged"
    else:
        state = "transferred"
    disposition = result.get("disposition") if result else None
    return {
        "result_state": state,
        "result_state_zh": STAGES_ZH[state],
        "disposition": disposition,
        "disposition_zh": DISPOSITIONS_ZH.get(disposition) if disposition else None,
        "overdue": clue_id in docs.get("clue_overdue", {}) and result is None,
        "urges": int((urge or {}).get("urge_no", 0)),
        "last_urged_on": (urge or {}).get("urged_on"),
        "escalated_from": escalated.get("jurisdiction") if escalated else None,
    }
