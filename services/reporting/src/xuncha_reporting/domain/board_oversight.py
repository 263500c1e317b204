"""督办 (supervision orders) and 红线预警 (red-line warnings) on the 挂图作战 board (pure): each
``rect_oversight`` document (``domain.rectification_docs``) as the board lists it under its unit
and under every issue it names, in Chinese: what (督办 / 红线预警), its kind or finding (跟踪督办,
敷衍整改, ...), when it was issued, the supervision's due date, the office's note and the issues
it names. An issue's history shows it too, beside the issue's own events.
"""

from __future__ import annotations

from typing import Any

from xuncha_shared.contracts.names_zh import EVENT_NAMES_ZH, VALUE_LABELS_ZH

#: 督办方式 (``SupervisionOrdered.kind``), as the office's form names them
SUPERVISION_KIND_ZH: dict[str, str] = VALUE_LABELS_ZH["supervision_kind"]
#: 红线情形 (``RedLineWarningIssued.finding``)
FINDING_ZH: dict[str, str] = VALUE_LABELS_ZH["finding"]
KIND_ZH: dict[str, str] = VALUE_LABELS_ZH["oversight"]
EVENT_TYPE = {
    "supervision": "rectification.SupervisionOrdered",
    "red_line": "rectification.RedLineWarningIssued",
}


def oversight_item(key: str, doc: dict[str, Any], descriptions: dict[str, Any]) -> dict[str, Any]:
    """One supervision or warning, labelled; ``descriptions`` names the unit's issues by id."""
    kind = str(doc.get("kind"))
    detail = doc.get("detail")
    labels = SUPERVISION_KIND_ZH if kind == "supervision" else FINDING_ZH
    issue_ids = [str(i) for i in doc.get("issue_ids", [])]
    return {
        **doc,
        "id": key,
        "kind": kind,
        "kind_zh": KIND_ZH.get(kind, kind),
        "detail": detail,
        "detail_zh": labels.get(str(detail), detail),
        "at": doc.get("at"),
        "due_on": doc.get("due_on"),
        "note": doc.get("note"),
        "issue_ids": issue_ids,
        "issues": [descriptions[i] for i in issue_ids if descriptions.get(i)],
    }


def history_entry(item: dict[str, Any]) -> dict[str, Any]:
    """The item as a line of an issue's history: 督办（重点督办，督办时限 2026-12-31）: note."""
    due = f"，督办时限 {item['due_on']}" if item.get("due_on") else ""
    event_type = EVENT_TYPE.get(item["kind"], item["kind"])
    name = EVENT_NAMES_ZH.get(event_type, item["kind_zh"])
    return {
        "at": item.get("at"),
        "type": event_type,
        "zh": f"{name}（{item['detail_zh']}{due}）",
        "note": item.get("note"),
        "outcome": None,
        "progress_percent": None,
        "evidence": [],
    }


def attach(
    units: dict[str, dict[str, Any]], docs: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Lists each unit's supervisions and warnings (``oversight``, by time) and counts them,
    puts each under the issues it names (``oversight`` and the history); answers all of them,
    by time. Documents of a unit not on the board are left out."""
    listed: list[dict[str, Any]] = []
    for unit in units.values():
        unit.setdefault("oversight", [])
        for issue in unit["issues"]:
            issue.setdefault("oversight", [])
    for key, doc in docs.items():
        owner = units.get(str(doc.get("unit_id")))
        if owner is None:
            continue
        issues = {i["issue_id"]: i for i in owner["issues"]}
        item = oversight_item(key, doc, {k: i["description"] for k, i in issues.items()})
        owner["supervisions" if item["kind"] == "supervision" else "red_lines"] += 1
        owner["oversight"].append(item)
        listed.append(item)
        for issue_id in item["issue_ids"]:
            named = issues.get(issue_id)
            if named is not None:
                named["oversight"].append(item)
                named["history"].append(history_entry(item))
    for unit in units.values():
        unit["oversight"].sort(key=_by_time)
        for issue in unit["issues"]:
            issue["oversight"].sort(key=_by_time)
            issue["history"].sort(key=_by_time)  # stable: the issue's own order kept
    return sorted(listed, key=_by_time)


def _by_time(entry: dict[str, Any]) -> str:
    return str(entry.get("at") or "")
