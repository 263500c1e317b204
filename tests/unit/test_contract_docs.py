"""The committed contract documents (docs/asyncapi.json, docs/contracts/) are current."""

from __future__ import annotations

import json
from pathlib import Path

from xuncha_shared.contracts.docs import render

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_committed_contract_documents_match_the_code():
    stale = [
        str(path.relative_to(DOCS))
        for path, text in render(DOCS).items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    assert not stale, (
        f"regenerate with `.venv/bin/python -m xuncha_shared.contracts.docs docs`: {stale}"
    )


def test_asyncapi_lists_every_topic():
    doc = json.loads((DOCS / "asyncapi.json").read_text(encoding="utf-8"))
    addresses = {c["address"] for c in doc["channels"].values()}
    assert {
        "intake.petition.v1",
        "clues.clue.v1",
        "rectification.issue.v1",
        "reporting.share.v1",
        "clues.clue.v1.dlq",
        "audit.checkpoints",
    } <= addresses


def _integer_schemas(node: object, path: str = "") -> list[tuple[str, dict[str, object]]]:
    found: list[tuple[str, dict[str, object]]] = []
    if isinstance(node, dict):
        if node.get("type") == "integer":
            found.append((path, node))
        for key, value in node.items():
            found.extend(_integer_schemas(value, f"{path}/{key}"))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found.extend(_integer_schemas(value, f"{path}/{i}"))
    return found


def test_no_contract_integer_is_unbounded():
    """The event readers decode stored JSON with orjson, which reads an integer beyond 64 bits
    as a float (db.py, audit/chain.py): every integer a contract can carry must be bounded."""
    from xuncha_shared.contracts import REGISTRY

    limit = 2**63 - 1
    unbounded = []
    integers = [
        (model, path, schema)
        for model in REGISTRY.models()
        for path, schema in _integer_schemas(model.model_json_schema())
    ]
    assert integers  # e.g. RectificationReported.progress_percent
    for model, path, schema in integers:
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        bounded = isinstance(high, int) and isinstance(low, int) and -limit - 1 <= low
        if not (bounded and isinstance(high, int) and high <= limit):
            unbounded.append(f"{model.__name__}{path}")
    assert not unbounded, f"integer fields need ge/le bounds within 64 bits: {unbounded}"
