"""The documents' JSON text (``projection_writes.doc_text``, orjson) is the same JSON value as
the json module's, for every document a generated term gives and for the odd values."""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from typing import Any

import pytest
from xuncha_reporting.adapters.projection_writes import doc_text
from xuncha_reporting.domain import project
from xuncha_reporting.domain.model import Doc
from xuncha_shared.contracts import REGISTRY
from xuncha_shared.envelope import EventEnvelope

from bench.common import INSERT_COLUMNS
from bench.term_data import generate, shape_for, tasks_of


def _term_docs() -> list[Doc]:
    docs: list[Doc] = []
    for task in tasks_of(shape_for(1500))[:4]:
        rows, _ = generate(task)
        for service_rows in rows.values():
            for row in service_rows:
                values = dict(zip(INSERT_COLUMNS, row, strict=True))
                values["actor"] = json.loads(values["actor"])
                values["payload"] = json.loads(values["payload"])
                envelope = EventEnvelope.model_validate(values)
                changes = project(envelope, REGISTRY.decode(envelope))
                docs += [c for c in changes if isinstance(c, Doc)]
    return docs


def test_every_document_of_a_term_is_the_same_json_value() -> None:
    docs = _term_docs()
    assert len({d.kind for d in docs}) > 20 and len(docs) > 500
    for d in docs:
        assert json.loads(doc_text(d.doc)) == json.loads(json.dumps(d.doc, ensure_ascii=False))


class Colour(StrEnum):
    RED = "red"


@pytest.mark.parametrize(
    "doc",
    [
        {"名": "值", "n": 1, "f": 0.1, "none": None, "yes": True, "list": [1, "二", [3]]},
        {"colour": Colour.RED},
        {"big": 2**70},  # beyond orjson: the json module writes it
        {1: "an integer key"},  # likewise
    ],
)
def test_odd_values_give_the_json_modules_value(doc: dict[Any, Any]) -> None:
    assert json.loads(doc_text(doc)) == json.loads(json.dumps(doc, ensure_ascii=False))


def test_a_date_is_refused_as_the_json_module_refuses_it() -> None:
    with pytest.raises(TypeError):
        doc_text({"on": date(2026, 5, 6)})
