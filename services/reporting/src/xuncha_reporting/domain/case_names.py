"""The names an auditor reads beside the ids a case's events carry (pure):
a round (``临川区第4届第1轮巡察``), a group (``临川区第4届第1轮巡察第2巡察组``) and a unit
(``临川区民政局``), from intake's lifecycle documents (``round``, ``group``, ``unit``). The events
keep ids; the story shows each id with its name beside it (``xuncha_shared.audit.history``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from xuncha_shared.domain.round_names import round_name

Docs = Mapping[str, Mapping[str, Mapping[str, Any]]]

#: the document kinds the names come from
NAME_KINDS: tuple[str, ...] = ("round", "group", "unit")
#: the payload fields that name a round, a group or a unit by id
ID_FIELDS: tuple[str, ...] = (
    "round_id",
    "in_round_id",
    "group_id",
    "unit_id",
    "unit_ids",
    "home_unit_id",
    "counterpart_unit_id",
)


def ids_named(payloads: Iterable[Mapping[str, Any]]) -> set[str]:
    """The ids the payloads' ``ID_FIELDS`` hold."""
    out: set[str] = set()
    for payload in payloads:
        for name in ID_FIELDS:
            value = payload.get(name)
            values = value if isinstance(value, list) else [value]
            out.update(str(v) for v in values if v)
    return out


#: an id field and the field of the same payload that names it (a round or a unit intake
#: does not know — a provincial review's feedback to an office — is named only by its events)
NAMED_BESIDE: tuple[tuple[str, str], ...] = (("round_id", "round_name"), ("unit_id", "unit"))


def names_beside(payloads: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """``{id: name}`` as the payloads name their ids themselves (``NAMED_BESIDE``)."""
    out: dict[str, str] = {}
    for payload in payloads:
        for id_field, name_field in NAMED_BESIDE:
            key, name = payload.get(id_field), payload.get(name_field)
            if key and isinstance(name, str) and name.strip():
                out[str(key)] = name.strip()
    return out


def round_doc_name(docs: Docs, round_id: str | None) -> str | None:
    """The name of the round ``round_id`` as its ``round`` document has it; None when unknown."""
    rnd = docs.get("round", {}).get(round_id or "")
    if rnd is None:
        return None
    return round_name(rnd["jurisdiction"], rnd["term_no"], rnd["round_no"], rnd["kind"])


def case_names(docs: Docs, ids: Iterable[str]) -> dict[str, str]:
    """``{id: name}`` for those of ``ids`` that name a known round, group or unit."""
    out: dict[str, str] = {}
    for key in ids:
        if (name := round_doc_name(docs, key)) is not None:
            out[key] = name
        elif (group := docs.get("group", {}).get(key)) is not None:
            out[key] = f"{round_doc_name(docs, group['round_id']) or ''}第{group['group_no']}巡察组"
        elif (unit := docs.get("unit", {}).get(key)) is not None:
            out[key] = str(unit["name"])
    return out
