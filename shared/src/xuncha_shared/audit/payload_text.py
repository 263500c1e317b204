"""A payload's fields as a person reads them (案件历史 and its workbook): 标签：值 in the labels'
order, values in Chinese (a code by its label, an area by its name, a deadline's rule by its
title, an id with its name beside it when known, a nested part field by field), and why it
happened (its reason and note fields)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from xuncha_shared.clocks.rules import RULES
from xuncha_shared.contracts.names_zh import (
    EVENT_EFFECTS_ZH,
    EVENT_FIELD_LABELS_ZH,
    FIELD_LABELS_ZH,
    REASON_FIELDS,
    VALUE_LABELS_ZH,
)
from xuncha_shared.domain.jurisdictions import name_of

_NESTED: dict[str, str] = {"type": "rect_type"}  # a plan's task's type is its rectification type


def _show_value(name: str, value: Any, names: dict[str, str] | None = None) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_show_value(name, v, names) for v in value) or "无"
    if isinstance(value, dict):  # a nested part (the persons a clue concerns, a plan's tasks):
        # its fields so, its own ids left out (the record line keeps the event's); a task's
        # ``type`` is its rectification type
        fields = [(_NESTED.get(str(k), str(k)), part) for k, part in value.items()]
        shown = "，".join(
            f"{FIELD_LABELS_ZH.get(field, field)}：{_show_value(field, part)}"
            for field, part in fields
            if part not in (None, "", []) and not field.endswith("_id")
        )
        return f"（{shown}）" if shown else "无"
    text = str(value)
    if names and text in names:
        return f"{names[text]}（{text}）"
    labels = VALUE_LABELS_ZH.get(name)
    if labels and text in labels:
        return labels[text]
    if name.endswith("jurisdiction") or name == "counties":
        return f"{name_of(text)}({text})"
    return text


def payload_details(
    payload: dict[str, Any], names: dict[str, str] | None = None, event_type: str = ""
) -> str:
    """A (redacted) payload's fields as a person reads them: 标签：值, in the labels' order (a
    field's label as ``event_type`` names it, ``EVENT_FIELD_LABELS_ZH``); an id with its name
    beside it when ``names`` has it; then what the event brings about (``EVENT_EFFECTS_ZH``)."""
    own = EVENT_FIELD_LABELS_ZH.get(event_type, {})
    # a value's closing 。 dropped: the fields are joined by ；
    parts = [
        f"{own.get(name, label)}：{_field_text(name, payload, names).rstrip('。')}"
        for name, label in FIELD_LABELS_ZH.items()
        if payload.get(name) not in (None, "", [])
    ]
    if effect := EVENT_EFFECTS_ZH.get(event_type):
        parts.append(effect)
    return "；".join(parts)


def _field_text(name: str, payload: dict[str, Any], names: dict[str, str] | None) -> str:
    if name == "rule_id":  # a deadline's rule by its title (of its version), its id beside it
        rule_id = str(payload[name])
        version = payload.get("rule_version")
        title = RULES.title_zh(rule_id, int(version) if isinstance(version, int) else None)
        return f"{title}（{rule_id}）" if title else rule_id
    return _show_value(name, payload[name], names)


def payload_reasons(payload: dict[str, Any]) -> str:
    """Why it happened, as the payload says (its reason and note fields)."""
    return "；".join(str(payload[name]) for name in REASON_FIELDS if payload.get(name))


def task_names(payloads: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """``{task_id: measure}`` of the tasks the payloads' plans list (整改方案's 任务清单, the
    issue's ``IssuePlanned``): a task's later events name it by its measure, the latest plan's
    wording winning."""
    out: dict[str, str] = {}
    for payload in payloads:
        for task in payload.get("tasks") or []:
            if isinstance(task, Mapping) and task.get("task_id") and task.get("measure"):
                out[str(task["task_id"])] = str(task["measure"])
    return out
