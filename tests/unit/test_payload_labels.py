"""Every code a payload carries reads in Chinese in 案件历史 and its workbook
(``audit.payload_text``): an enumeration's values by their labels, a nested part's fields by
theirs. A new contract field with English codes and no labels fails here, not in front of an
auditor."""

from __future__ import annotations

import enum
import re
import types
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from xuncha_shared.audit.payload_text import _NESTED, payload_details
from xuncha_shared.contracts import REGISTRY
from xuncha_shared.contracts.names_zh import DEADLINE_KINDS_ZH, FIELD_LABELS_ZH, VALUE_LABELS_ZH

pytestmark = pytest.mark.unit

#: nested parts whose fields are never shown: the sealed identity (redacted before it is read)
UNSHOWN = {"SealedPersonalData"}


def _types(annotation: Any) -> list[type]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _types(typing.get_args(annotation)[0])
    if origin in (list, tuple, set, frozenset, typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in _types(arg)]
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum | BaseModel):
        return [annotation]
    return []


def _shown_fields() -> list[tuple[str, str, type, bool]]:
    """(model, field, type, nested) of every enumeration or part of a payload field shown."""
    out: list[tuple[str, str, type, bool]] = []
    seen: set[type] = set()

    def walk(model: type[BaseModel], nested: bool) -> None:
        for name, info in model.model_fields.items():
            if not nested and name not in FIELD_LABELS_ZH:
                continue  # not shown at all
            for kind in _types(info.annotation):
                out.append((model.__name__, name, kind, nested))
                if issubclass(kind, BaseModel) and kind not in seen:
                    seen.add(kind)
                    if kind.__name__ not in UNSHOWN:
                        walk(kind, True)

    for model in REGISTRY.models():
        walk(model, False)
    return out


def test_every_code_shown_has_its_chinese_label() -> None:
    missing = []
    for model, name, kind, nested in _shown_fields():
        if not issubclass(kind, enum.Enum):
            continue
        values = [m.value for m in kind]
        if not all(isinstance(v, str) and v.isascii() for v in values):
            continue  # the values are the Chinese words themselves (评价等次)
        labels = VALUE_LABELS_ZH.get(_NESTED.get(name, name) if nested else name, {})
        missing += [(model, name, v) for v in values if v not in labels]
    assert missing == []


def test_every_field_of_a_nested_part_has_its_label() -> None:
    missing = sorted(
        {
            (model, name, field)
            for model, name, kind, _ in _shown_fields()
            if issubclass(kind, BaseModel) and kind.__name__ not in UNSHOWN
            for field in kind.model_fields
            if not field.endswith("_id") and _NESTED.get(field, field) not in FIELD_LABELS_ZH
        }
    )
    assert missing == []


def test_a_pool_member_reads_in_chinese() -> None:
    payload = {"name": "张三", "specialities": ["personnel", "finance_audit"]}
    told = payload_details(payload, event_type="intake.TalentPoolMemberEnrolled")
    assert told == "姓名：张三；专业特长：组织人事、财务审计"


def test_an_erasure_says_the_notices_owed_end_with_it() -> None:
    told = payload_details({"reason": "保存期限届满"}, event_type="intake.InformantIdentityErased")
    assert told.endswith("尚未完成的受理告知、办理结果告知（R8）随之终止，不再列入期限预警"), told
    assert "随之终止" not in payload_details({"reason": "x"}, event_type="intake.PetitionReceived")


def test_a_sentence_ends_where_the_next_field_begins() -> None:
    told = payload_details({"summary": "反映违规发放津补贴。", "description": "未经集体研究"})
    assert "违规发放津补贴；" in told and "。；" not in told, told


def test_the_deadline_kinds_read_as_the_workbench_names_them() -> None:
    """期限预警 and 时间回溯 (web/src/labels.ts ``DEADLINE_KINDS``) and the replay's workbook
    (``DEADLINE_KINDS_ZH``) name each kind of deadline in the same words."""
    source = (Path(__file__).parents[2] / "web" / "src" / "labels.ts").read_text("utf-8")
    block = re.search(r"export const DEADLINE_KINDS[^{]*\{(.*?)\n\};", source, re.S)
    assert block is not None
    web = dict(re.findall(r'"([a-z_.]+)": "([^"]+)"', block.group(1)))
    assert web == DEADLINE_KINDS_ZH
