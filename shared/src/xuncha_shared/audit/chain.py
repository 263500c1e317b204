"""The per-stream hash chains of one service database.

Every event's hash is recomputed from its stored columns, and each stream is checked to be a
chain: versions run 1, 2, 3, ... without a hole, ``prev_hash`` is the previous event's ``hash``
(the genesis value for version 1) and ``hash`` equals SHA-256 over the canonical document (see
envelope.py).

How (one pass, then an exact second look where needed):

1. ``ChainScan`` reads every event once in commit order ``(tx_id, global_position)`` — the
   order the other audit checks read in, so ``audit_service`` does all of them in the same
   pass — keeping the head (version, hash) of each stream. The store appends a stream's events
   in version order within and across transactions (a stream's head never has a larger
   ``tx_id`` than an event after it, see ``PostgresEventStore``), so an intact stream shows up
   here as exactly 1, 2, 3, ... with each ``prev_hash`` linking to the previous hash. Its hash
   is recomputed on the fast path (``fast_hash``: the columns in text form, orjson with sorted
   keys), which produces byte for byte the reference canonical JSON (``json.dumps``) for
   every document it accepts; a document it cannot vouch for (a fractional number, a year
   outside 1000–9999, JSON orjson refuses) is not judged here.
2. A stream that shows anything else here — out of sequence, a broken link, a hash that
   differs, a document the fast path does not judge — becomes *suspect* and is checked again
   by ``check_in_version_order``: the reference check, in ``(stream_id, stream_version)``
   order with ``hashed_document`` + ``chain_hash``, which names the break exactly as a scan of
   the whole table in version order would (and stops after ``max_breaks`` the same way).

A stream that passes step 1 passes the reference check too (same events in the same order,
same bytes hashed), so the breaks reported are exactly the reference check's.

Crypto-shredding does not disturb it: hashes cover ciphertext, never plaintext.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import orjson

from xuncha_shared.envelope import (
    GENESIS_HASH,
    HASHED_FIELDS,
    JsonDict,
    chain_hash,
    hashed_document,
)
from xuncha_shared.eventstore.base import START

_SCAN_SQL = """
SELECT event_id, event_type, schema_version, stream_type, stream_id, stream_version,
       occurred_at, recorded_at, jurisdiction, actor, correlation_id, causation_id, payload,
       prev_hash, hash
FROM events {where} ORDER BY stream_id, stream_version
"""
#: the streams with an event of the jurisdictions matching the pattern (a county-bound
#: auditor's)
_SCOPE = "stream_id IN (SELECT stream_id FROM events WHERE jurisdiction LIKE ${n})"
#: the suspect streams, whole, in version order (the reference check)
_SUSPECT_SQL = _SCAN_SQL.format(where="WHERE stream_id = ANY($1::text[])")
#: how many events and streams sort before a stream (the counts of a scan stopped there)
_BEFORE_SQL = "SELECT count(*), count(DISTINCT stream_id) FROM events WHERE stream_id < $1"

_TS = "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
#: a page of the events in commit order, the hashed columns in the text forms of the canonical
#: document: timestamps as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, UUIDs as text, actor and payload
#: as jsonb text. Keyset pages ($1, $2: after this position; $3: limit) walk the commit-order
#: index as read-all does (one query over the whole table would be sorted, on disk).
_COMMIT_SELECT = f"""
SELECT tx_id, global_position, event_id::text, event_type, schema_version, stream_type,
       stream_id, stream_version, {_TS.format("occurred_at")}, {_TS.format("recorded_at")},
       jurisdiction, actor::text, correlation_id::text, causation_id::text, payload::text,
       prev_hash, hash
FROM events"""
_COMMIT_PAGE_SQL = (
    _COMMIT_SELECT + " WHERE (tx_id, global_position) > ($1::bigint, $2::bigint)"
    " ORDER BY tx_id, global_position LIMIT $3"
)
#: the events of the streams in scope (a county's), sorted by PostgreSQL, read by a cursor
#: (keyset pages would run the scope's subquery again for every page)
_SCOPED_COMMIT_SQL = (
    _COMMIT_SELECT + " WHERE " + _SCOPE.format(n=1) + " ORDER BY tx_id, global_position"
)
#: indexes into a row of a commit-order page
TX_ID, POSITION, EVENT_ID, STREAM_ID, STREAM_VERSION, HASH = 0, 1, 2, 6, 7, 16
#: rows per page of the scans
PAGE = 5000

_SORT_KEYS = orjson.OPT_SORT_KEYS


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


# ---- the fast path ----------------------------------------------------------------------------


def holds_float(value: object) -> bool:
    """Whether a decoded JSON value holds a float anywhere."""
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(holds_float(v) for v in value.values())
    if isinstance(value, list):
        return any(holds_float(v) for v in value)
    return False


def _decoded(text: str) -> Any:
    """``text`` (jsonb text) decoded, or ``None`` where orjson's canonical form might not be
    the reference's: where it does not read the text, or where the value holds a fractional
    number (jsonb prints numbers without an exponent, so only a text with a ``.`` can)."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if "." in text and holds_float(value):
        return None
    return value


def _canonical_ts(text: str | None) -> bool:
    # PostgreSQL's to_char and format_ts agree for the years 1000-9999 (27 characters)
    return text is not None and len(text) == 27 and text[0] != "0"


def fast_hash(row: Sequence[Any], actors: dict[str, Any] | None = None) -> str | None:
    """The hash of a commit-order page row, or ``None`` when the fast path does not judge it.

    orjson with sorted keys writes, for every value without a float, exactly the bytes of the
    reference ``canonical_json`` (``json.dumps(sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)``): the same escapes for every code point, keys in code-point order,
    integers in decimal (orjson reads integers beyond 64 bits as floats; their text is the same
    as ``json.dumps``' too); ``tests/unit/test_audit_fast_hash.py`` checks it."""
    occurred, recorded, actor_text, payload_text = row[8], row[9], row[11], row[14]
    if not (_canonical_ts(occurred) and _canonical_ts(recorded)):
        return None
    if actors is None:
        actor = _decoded(actor_text)
    else:
        actor = actors.get(actor_text)
        if actor is None:
            actor = _decoded(actor_text)
            if len(actors) >= 10_000:
                actors.clear()
            actors[actor_text] = actor
    if type(actor) is not dict:  # the reference takes dict(actor)
        return None
    payload = _decoded(payload_text)
    if payload is None and payload_text != "null":
        return None
    try:
        canonical = orjson.dumps(
            {
                "actor": actor,
                "causation_id": row[13],
                "correlation_id": row[12],
                "event_id": row[2],
                "event_type": row[3],
                "jurisdiction": row[10],
                "occurred_at": occurred,
                "payload": payload,
                "prev_hash": row[15],
                "recorded_at": recorded,
                "schema_version": row[4],
                "stream_id": row[6],
                "stream_type": row[5],
                "stream_version": row[7],
            },
            option=_SORT_KEYS,
        )
    except orjson.JSONEncodeError:
        return None
    return hashlib.sha256(canonical).hexdigest()


class ChainScan:
    """Step 1 (module docstring): feed every page of commit-order page to ``add``, then
    ``await finish(conn)`` in the same transaction."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.events = 0
        #: stream id -> (version, hash) of the last event seen
        self.heads: dict[str, tuple[int, str]] = {}
        self.suspect: set[str] = set()
        self._actors: dict[str, Any] = {}

    def add(self, rows: Sequence[Any]) -> None:
        heads, suspect, actors = self.heads, self.suspect, self._actors
        self.events += len(rows)
        for row in rows:
            stream_id, version, event_hash = row[6], row[7], row[16]
            head = heads.get(stream_id)
            heads[stream_id] = (version, event_hash)
            if stream_id in suspect:
                continue
            if head is None:
                expected, prev = 1, GENESIS_HASH
            else:
                expected, prev = head[0] + 1, head[1]
            if version != expected or row[15] != prev or fast_hash(row, actors) != event_hash:
                suspect.add(stream_id)

    async def finish(
        self,
        conn: asyncpg.Connection,
        *,
        max_breaks: int = 100,
        jurisdiction_like: str | None = None,
    ) -> VerifyReport:
        """Step 2: the suspect streams checked again the reference way; the report."""
        report = VerifyReport(self.database, streams=len(self.heads), events=self.events)
        self.heads = {}
        if not self.suspect:
            return report
        checked = VerifyReport(self.database)
        cursor = await conn.cursor(_SUSPECT_SQL, sorted(self.suspect))
        stopped_at = await check_in_version_order(cursor, checked, max_breaks)
        report.breaks = checked.breaks
        if stopped_at is not None:
            # the reference scan of the whole table stops at the max_breaks-th break: report
            # what it had counted by then
            stream_id, seen = stopped_at
            sql, args = _BEFORE_SQL, [stream_id]
            if jurisdiction_like is not None:
                sql += " AND " + _SCOPE.format(n=2)
                args.append(jurisdiction_like)
            row = await conn.fetchrow(sql, *args)
            report.events = int(row[0]) + seen
            report.streams = int(row[1]) + 1
        return report


async def check_in_version_order(
    cursor: Any, report: VerifyReport, max_breaks: int
) -> tuple[str, int] | None:
    """The reference check over rows of ``_SCAN_SQL`` (whole streams, in ``(stream_id,
    stream_version)`` order) fetched from an asyncpg cursor: counts and breaks into ``report``;
    when it stops at ``max_breaks``, returns (that stream, how many of its events it saw)."""
    stream: str | None = None
    expected_version = 0
    prev = GENESIS_HASH
    skip_stream = False
    seen = 0
    while rows := await cursor.fetch(PAGE):
        for row in rows:
            report.events += 1
            if row["stream_id"] != stream:
                stream = row["stream_id"]
                report.streams += 1
                expected_version, prev, skip_stream, seen = 0, GENESIS_HASH, False, 0
            seen += 1
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
                report.breaks.append(Break(report.database, row["stream_id"], version, problem))
                skip_stream = True  # the rest of this stream follows from the first break
                if len(report.breaks) >= max_breaks:
                    return row["stream_id"], seen
            prev = row["hash"]
    return None


async def scan_commit_order(
    conn: asyncpg.Connection,
    on_page: Callable[[Sequence[asyncpg.Record]], None],
    *,
    jurisdiction_like: str | None = None,
) -> None:
    """Every event (of the streams in scope) in commit order, page by page to ``on_page``, in
    the caller's transaction. The next page is asked for before ``on_page`` works on the
    current one, so PostgreSQL reads it meanwhile."""
    if jurisdiction_like is not None:
        cursor = await conn.cursor(_SCOPED_COMMIT_SQL, jurisdiction_like)
        while rows := await cursor.fetch(PAGE):
            on_page(rows)
        return
    sql = _COMMIT_PAGE_SQL
    page = await conn.fetch(sql, START.tx_id, START.global_position, PAGE)
    while page:
        ahead = None
        if len(page) == PAGE:
            last = page[-1]
            ahead = asyncio.ensure_future(conn.fetch(sql, last[0], last[1], PAGE))
            await asyncio.sleep(0)  # the request goes out
        try:
            on_page(page)
        finally:
            page = await ahead if ahead is not None else []  # the connection is free again


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
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        scan = ChainScan(database)
        await scan_commit_order(conn, scan.add, jurisdiction_like=jurisdiction_like)
        return await scan.finish(conn, max_breaks=max_breaks, jurisdiction_like=jurisdiction_like)
