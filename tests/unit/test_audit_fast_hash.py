"""The chain check's fast path (``xuncha_shared.audit.chain.fast_hash``) hashes exactly the bytes
of the reference canonical JSON (``envelope.canonical_json``) for every document it accepts, and
declines the ones it cannot vouch for (which the reference check then judges)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from xuncha_shared.audit.chain import fast_hash, holds_float
from xuncha_shared.envelope import GENESIS_HASH, chain_hash, format_ts, hashed_document

ACTOR = {"principal_id": "wang.wu", "role": "county_admin"}


def _row(payload: Any, *, actor: Any = ACTOR, occurred: datetime | None = None) -> tuple:
    """A row as ``COMMIT_SCAN_SQL`` returns it (jsonb text with PostgreSQL's spacing, the
    timestamps as to_char formats them) and the reference hash of the same event."""
    event_id, correlation_id = uuid.uuid4(), uuid.uuid4()
    occurred = occurred or datetime(2026, 11, 30, 8, 1, 2, 30405, tzinfo=UTC)
    recorded = datetime(2026, 11, 30, 8, 1, 3, tzinfo=UTC)
    doc = hashed_document(
        event_id=event_id,
        event_type="intake.PetitionReceived",
        schema_version=3,
        stream_type="petition",
        stream_id='petition-甲\n"1"',
        stream_version=7,
        occurred_at=occurred,
        recorded_at=recorded,
        jurisdiction="330102",
        actor=actor,
        correlation_id=correlation_id,
        causation_id=None,
        payload=payload,
        prev_hash=GENESIS_HASH,
    )
    to_char = occurred.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ").rjust(27, "0")
    row = (
        41, 9, str(event_id), "intake.PetitionReceived", 3, "petition", "petition-甲\n\"1\"", 7,
        to_char, format_ts(recorded), "330102", json.dumps(actor, ensure_ascii=False),
        str(correlation_id), None, json.dumps(payload, ensure_ascii=False), GENESIS_HASH,
        chain_hash(doc),
    )  # fmt: skip
    return row


def _every_code_point() -> list[str]:
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    return ["".join(chars[i : i + 4096]) for i in range(0, len(chars), 4096)]


def test_the_same_bytes_as_the_reference_for_every_code_point_and_shape() -> None:
    texts = _every_code_point()
    payload = {
        "texts": texts,
        "keys": {t[:3]: i for i, t in enumerate(texts)},  # keys across the whole range
        "ints": [0, -1, 2**63 - 1, -(2**63), 2**64 - 1],
        "nested": [{"b": None, "a": [True, False, []], "": {}}],
        "summary": "群众来信反映：某街道办事处…\t\u2028\x7f😀",
    }
    row = _row(payload)
    assert fast_hash(row) == row[16]


def test_a_change_is_never_accepted() -> None:
    row = _row({"unit": "上城区某街道办事处", "n": 1})
    changed = (*row[:14], row[14].replace("上城区", "下城区"), *row[15:])
    assert fast_hash(row) == row[16]
    assert fast_hash(changed) not in (None, row[16])
    moved = (*row[:7], 8, *row[8:])
    assert fast_hash(moved) not in (None, row[16])


@pytest.mark.parametrize(
    ("payload", "actor", "year"),
    [
        # fractional numbers (jsonb prints them plain, always with a "."): json and orjson may
        # write a float differently
        ({"score": 0.5}, ACTOR, 2026),
        ({"n": [1, {"score": 100.0}]}, ACTOR, 2026),
        ({"n": 1}, {"principal_id": "x", "role": 1.5}, 2026),
        ({"n": 1}, [["principal_id", "x"], ["role", "y"]], 2026),  # the reference takes dict()
        ({"n": 1}, ACTOR, 999),  # to_char pads the year, format_ts does not
    ],
)
def test_what_the_fast_path_declines(payload: Any, actor: Any, year: int) -> None:
    occurred = datetime(year, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert fast_hash(_row(payload, actor=actor, occurred=occurred)) is None


def test_a_dot_in_a_string_is_no_float() -> None:
    row = _row({"file": "报告.pdf", "url": "https://example.org/a.b"})
    assert not holds_float(json.loads(row[14]))
    assert fast_hash(row) == row[16]
