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
    assert not stale, f"regenerate with `make contracts`: {stale}"


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
