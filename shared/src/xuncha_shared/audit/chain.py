"""The per-stream hash chains of one service database.

``verify_database`` walks every stream of one service database in version order, recomputes
each event's hash from its stored columns and checks that

- versions run 1, 2, 3, ... without a hole,
- ``prev_hash`` is the previous event's ``hash`` (the genesis value for version 1),
- ``hash`` equals SHA-256 over the canonical document (see envelope.py).

Crypto-shredding does not disturb it: hashes cover ciphertext, never plaintext.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import asyncpg
import orjson

from xuncha_shared.envelope import (
    GENESIS_HASH,
    HASHED_FIELDS,
    JsonDict,
    chain_hash,
    hashed_document,
)

_SCAN_SQL = """
SELECT event_id, event_type, schema_version, stream_type, stream_id, stream_version,
       occurred_at, recorded_at, jurisdiction, actor, correlation_id, causation_id, payload,
       prev_hash, hash
FROM events ORDER BY stream_id, stream_version
"""
#: the streams with an event of the jurisdictions matching ``$1`` (a county-bound auditor's)
_SCOPED_SCAN_SQL = _SCAN_SQL.replace(
    "FROM events ORDER BY",
    "FROM events WHERE stream_id IN "
    "(SELECT stream_id FROM events WHERE jurisdiction LIKE $1) ORDER BY",
)


@dataclass(frozen=True)
class Break:
    database: str
    stream_id: str
    stream_version: int
    problem: str

    def __str__(self) -> str:
        return (
            f"{self.database}: stream {self.stream_id} version {self.stream_version}: "
            f"{self.problem}"
        )


@dataclass
class VerifyReport:
    database: str
    streams: int = 0
    events: int = 0
    breaks: list[Break] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.breaks


def _loads(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        # the same values as json.loads for what the contracts can hold (no integer field is
        # unbounded: orjson would read an integer beyond 64 bits as a float), only faster
        return orjson.loads(value)
    except orjson.JSONDecodeError:  # not JSON for orjson: let the json module decide
        return json.loads(value)


def json_row_hash(row: JsonDict) -> str:
    """The hash of an event given as JSON (an export row, a Kafka copy) whose timestamps are
    already canonical (``YYYY-MM-DDTHH:MM:SS.ffffffZ``): SHA-256 over the canonical JSON of the
    hashed fields (docs/event-model.md)."""
    return chain_hash({name: row.get(name) for name in HASHED_FIELDS})


async def verify_database(
    conn: asyncpg.Connection,
    database: str,
    *,
    max_breaks: int = 100,
    jurisdiction_like: str | None = None,
) -> VerifyReport:
    """The hash chain of every stream; with ``jurisdiction_like`` (a SQL ``LIKE`` pattern of
    jurisdiction codes) only of the streams having an event of those jurisdictions (whole
    streams, so a break is found wherever in the stream it is)."""
    report = VerifyReport(database)
    scan = (
        (_SCAN_SQL, ()) if jurisdiction_like is None else (_SCOPED_SCAN_SQL, (jurisdiction_like,))
    )
    stream: str | None = None
    expected_version = 0
    prev = GENESIS_HASH
    skip_stream = False
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        async for row in conn.cursor(scan[0], *scan[1], prefetch=2000):
            report.events += 1
            if row["stream_id"] != stream:
                stream = row["stream_id"]
                report.streams += 1
                expected_version, prev, skip_stream = 0, GENESIS_HASH, False
            if skip_stream:
                continue
            expected_version += 1
            version = row["stream_version"]
            problem = None
            if version != expected_version:
                problem = f"expected version {expected_version}, found {version} (missing event)"
            elif row["prev_hash"] != prev:
                problem = (
                    "prev_hash does not match the previous event's hash (removed or reordered)"
                )
            else:
                doc = hashed_document(
                    event_id=row["event_id"],
                    event_type=row["event_type"],
                    schema_version=row["schema_version"],
                    stream_type=row["stream_type"],
                    stream_id=row["stream_id"],
                    stream_version=version,
                    occurred_at=row["occurred_at"],
                    recorded_at=row["recorded_at"],
                    jurisdiction=row["jurisdiction"],
                    actor=_loads(row["actor"]),  # type: ignore[arg-type]
                    correlation_id=row["correlation_id"],
                    causation_id=row["causation_id"],
                    payload=_loads(row["payload"]),  # type: ignore[arg-type]
                    prev_hash=row["prev_hash"],
                )
                actual = chain_hash(doc)
                if actual != row["hash"]:
                    problem = (
                        f"content changed: stored hash {row['hash'][:16]}…, "
                        f"recomputed {actual[:16]}…"
                    )
            if problem:
                report.breaks.append(Break(database, row["stream_id"], version, problem))
                skip_stream = True  # the rest of this stream follows from the first break
                if len(report.breaks) >= max_breaks:
                    break
            prev = row["hash"]
    return report
