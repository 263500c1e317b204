"""``xuncha audit export`` and its offline verification (``xuncha audit verify --export DIR``).

An export directory holds:

- ``<service>.jsonl``: one event per line, rows exactly as stored (every column, ``tx_id`` and
  ``global_position`` included), canonical JSON (keys sorted, no whitespace, UTF-8, timestamps
  ``YYYY-MM-DDTHH:MM:SS.ffffffZ``), in the commit-safe order ``(tx_id, global_position)``;
- ``manifest.json``: counts per service, the last version and hash of every stream, the streams
  a filter cut (first included version), the checkpoints, and the SHA-256 of each ``.jsonl``.

A jurisdiction filter includes whole streams (every event of each stream that has an event in
the jurisdiction); a time filter (on ``recorded_at``) cuts streams, which are then verified from
their first included event's ``prev_hash``. Checkpoint digests cover a service's whole history,
so they are checked only for an unfiltered (``complete``) export; their signatures always.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import asyncpg

from xuncha_shared.audit.chain import json_row_hash
from xuncha_shared.audit.checkpoints import (
    Checkpoint,
    CheckpointFormatError,
    DigestCursor,
    TrustedKey,
    load_table_checkpoints,
    merge_sources,
    read_kafka_checkpoints,
    signature_problem,
)
from xuncha_shared.audit.verify import AuditReport, CheckpointCheck, Problem, ServiceAudit
from xuncha_shared.db import connect
from xuncha_shared.domain.jurisdictions import is_city
from xuncha_shared.envelope import GENESIS_HASH, canonical_json, format_ts, now_utc
from xuncha_shared.eventstore.base import Position
from xuncha_shared.eventstore.postgres import COLUMNS, SNAPSHOT_XMIN
from xuncha_shared.settings import Settings

EXPORT_FORMAT = "xuncha-export/1"
MANIFEST = "manifest.json"

try:
    from zoneinfo import ZoneInfo

    SHANGHAI: Any = ZoneInfo("Asia/Shanghai")
except Exception:  # pragma: no cover - no tz database: China has had no DST since 1991
    SHANGHAI = timezone(timedelta(hours=8), "CST")


def parse_time(value: str) -> datetime:
    """An ISO 8601 time; without an offset it is Beijing time (Asia/Shanghai)."""
    parsed = datetime.fromisoformat(value.strip())
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)


def export_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """A stored row as the export writes it."""
    actor = record["actor"]
    payload = record["payload"]
    return {
        "global_position": record["global_position"],
        "tx_id": record["tx_id"],
        "event_id": str(record["event_id"]),
        "event_type": record["event_type"],
        "schema_version": record["schema_version"],
        "stream_type": record["stream_type"],
        "stream_id": record["stream_id"],
        "stream_version": record["stream_version"],
        "occurred_at": format_ts(record["occurred_at"]),
        "recorded_at": format_ts(record["recorded_at"]),
        "jurisdiction": record["jurisdiction"],
        "actor": json.loads(actor) if isinstance(actor, str) else actor,
        "correlation_id": str(record["correlation_id"]),
        "causation_id": str(record["causation_id"]) if record["causation_id"] else None,
        "traceparent": record["traceparent"],
        "payload": json.loads(payload) if isinstance(payload, str) else payload,
        "prev_hash": record["prev_hash"],
        "hash": record["hash"],
    }


def render_manifest(manifest: Mapping[str, Any]) -> bytes:
    """The exact bytes of ``manifest.json`` (verification re-renders and compares them)."""
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


@dataclass(frozen=True)
class ExportFilter:
    jurisdiction: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    @property
    def complete(self) -> bool:
        return self.jurisdiction is None and self.since is None and self.until is None

    def sql(self) -> tuple[str, list[Any]]:
        conditions: list[str] = []
        args: list[Any] = []
        if self.jurisdiction is not None:
            code = self.jurisdiction
            args.append(code[:4] + "__" if is_city(code) else code)
            conditions.append(
                f"stream_id IN (SELECT stream_id FROM events WHERE jurisdiction LIKE ${len(args)})"
            )
        if self.since is not None:
            args.append(self.since)
            conditions.append(f"recorded_at >= ${len(args)}")
        if self.until is not None:
            args.append(self.until)
            conditions.append(f"recorded_at < ${len(args)}")
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        return f"SELECT {COLUMNS} FROM events {where} ORDER BY tx_id, global_position", args

    def document(self, services: Sequence[str]) -> dict[str, Any]:
        return {
            "services": list(services),
            "jurisdiction": self.jurisdiction,
            "since": format_ts(self.since) if self.since else None,
            "until": format_ts(self.until) if self.until else None,
        }


async def export_service(
    conn: asyncpg.Connection,
    service: str,
    out_dir: Path,
    flt: ExportFilter,
    extra_checkpoints: Iterable[tuple[Checkpoint, str]] = (),
) -> tuple[dict[str, Any], list[Checkpoint]]:
    """Write ``<service>.jsonl``; return its manifest entry and the checkpoints to list."""
    file_name = f"{service}.jsonl"
    sha = hashlib.sha256()
    heads: dict[str, dict[str, Any]] = {}
    first_version: dict[str, int] = {}
    events = 0
    size = 0
    query, args = flt.sql()
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        xmin = int(await conn.fetchval(f"SELECT {SNAPSHOT_XMIN}"))
        database = str(await conn.fetchval("SELECT current_database()"))
        table = await load_table_checkpoints(conn, service)
        with (out_dir / file_name).open("wb") as out:
            async for record in conn.cursor(query, *args, prefetch=5000):
                line = canonical_json(export_row(record)) + b"\n"
                out.write(line)
                sha.update(line)
                size += len(line)
                events += 1
                stream = record["stream_id"]
                first_version.setdefault(stream, record["stream_version"])
                heads[stream] = {"version": record["stream_version"], "hash": record["hash"]}
    sources = merge_sources(table, [(c, s) for c, s in extra_checkpoints if c.service == service])
    # a complete export lists the checkpoints whose whole history it holds
    checkpoints = [s.checkpoint for s in sources if s.checkpoint.head.tx_id < xmin]
    entry = {
        "database": database,
        "file": file_name,
        "sha256": sha.hexdigest(),
        "bytes": size,
        "events": events,
        "streams": len(heads),
        "heads": heads,
        "cut_streams": {s: v for s, v in first_version.items() if v > 1},
    }
    return entry, checkpoints


async def export_history(
    settings: Settings,
    out_dir: Path,
    services: Sequence[str],
    flt: ExportFilter,
    *,
    kafka: bool = True,
) -> dict[str, Any]:
    """Export ``services`` into ``out_dir`` (created; must not hold an export already)."""
    prepare_export_dir(out_dir)
    from_kafka: list[tuple[Checkpoint, str]] = []
    if kafka:
        from_kafka, _ = await read_kafka_checkpoints(
            settings.kafka_bootstrap, settings.topic_prefix
        )
    manifest: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "created_at": format_ts(now_utc()),
        "complete": flt.complete,
        "filter": flt.document(services),
        "services": {},
        "checkpoints": [],
    }
    for service in services:
        conn = await connect(settings.service_database_url(service))
        try:
            entry, checkpoints = await export_service(conn, service, out_dir, flt, from_kafka)
        finally:
            await conn.close()
        manifest["services"][service] = entry
        manifest["checkpoints"].extend(c.document() for c in checkpoints)
    _write_manifest(out_dir, manifest)
    return manifest


class ExportError(Exception):
    """The export directory cannot be used."""


def prepare_export_dir(out_dir: Path) -> None:
    """Create ``out_dir``; refuse one that already holds an export."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create {out_dir}: {exc}") from None
    if (out_dir / MANIFEST).exists():
        raise ExportError(f"{out_dir} already holds an export ({MANIFEST})")


def _write_manifest(out_dir: Path, manifest: Mapping[str, Any]) -> None:
    (out_dir / MANIFEST).write_bytes(render_manifest(manifest))


# --------------------------------------------------------------------------------------------
# Offline verification
# --------------------------------------------------------------------------------------------


def _sha256_file(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def verify_export(
    directory: Path,
    trust: Mapping[str, TrustedKey],
    extra_checkpoints: Iterable[tuple[Checkpoint, str]] = (),
    *,
    max_problems: int = 1000,
) -> AuditReport:
    """Verify an export without any database: file digests, every chain, the manifest's heads
    and counts, and the checkpoints (digests only for a complete export)."""
    report = AuditReport(source=f"export {directory}")
    path = directory / MANIFEST
    try:
        raw = path.read_bytes()
        manifest = json.loads(raw)
    except (OSError, ValueError) as exc:
        report.problems.append(Problem("export", "export", f"cannot read {path}: {exc}"))
        return report
    if not isinstance(manifest, dict) or manifest.get("format") != EXPORT_FORMAT:
        report.problems.append(Problem("export", "export", f"{path} is not a {EXPORT_FORMAT}"))
        return report
    if render_manifest(manifest) != raw:
        report.problems.append(
            Problem("export", "export", f"{MANIFEST} is not as the exporter wrote it (edited?)")
        )
    complete = bool(manifest.get("complete"))
    checkpoints: list[tuple[Checkpoint, str]] = []
    for doc in manifest.get("checkpoints", []):
        try:
            checkpoints.append((Checkpoint.from_document(doc), "manifest"))
        except CheckpointFormatError as exc:
            report.problems.append(Problem("export", "checkpoint", f"manifest: {exc}"))
    checkpoints.extend(extra_checkpoints)
    if not complete:
        report.notes.append(
            "filtered export: checkpoint digests cover whole histories and are not checked; "
            "their signatures are"
        )
    services = manifest.get("services", {})
    for service, info in sorted(services.items()):
        report.services.append(
            _verify_service_file(
                directory,
                service,
                info,
                complete,
                [(c, s) for c, s in checkpoints if c.service == service],
                trust,
                max_problems,
            )
        )
    listed = set(services)
    for cp, _ in checkpoints:
        if cp.service not in listed:
            report.notes.append(f"checkpoint for {cp.service} ignored: not in this export")
    return report


def _verify_service_file(
    directory: Path,
    service: str,
    info: Mapping[str, Any],
    complete: bool,
    checkpoints: list[tuple[Checkpoint, str]],
    trust: Mapping[str, TrustedKey],
    max_problems: int,
) -> ServiceAudit:
    audit = ServiceAudit(service, str(info.get("database", service)), max_problems=max_problems)
    file_name = str(info.get("file", ""))
    path = directory / file_name
    if not file_name or Path(file_name).name != file_name or not path.is_file():
        audit.add("export", f"file {file_name!r} missing")
        return audit
    actual = _sha256_file(path)
    if actual != info.get("sha256"):
        audit.add(
            "export",
            f"{file_name} changed: SHA-256 {actual[:16]}…, the manifest says "
            f"{str(info.get('sha256'))[:16]}…",
        )
    cut: dict[str, int] = dict(info.get("cut_streams", {}))
    sources = merge_sources(checkpoints)
    checks = [CheckpointCheck(s.checkpoint, s.sources) for s in sources]
    for check in checks:
        problem = signature_problem(check.checkpoint, trust)
        if problem:
            check.status, check.detail = "failed", problem
            audit.add("checkpoint", f"checkpoint of {check.checkpoint.created_at}: {problem}")
    cursor = DigestCursor(c.checkpoint.head for c in checks) if complete else None
    streams: dict[str, tuple[int, str, bool]] = {}  # stream -> (version, hash, broken)
    cut_used: list[str] = []
    last = Position(-1, -1)
    in_order = True
    with path.open("rb") as f:
        for line_no, line in enumerate(f, 1):
            try:
                row = json.loads(line)
                position = Position(int(row["tx_id"]), int(row["global_position"]))
                stream, version = str(row["stream_id"]), int(row["stream_version"])
                stored_hash, prev_hash = str(row["hash"]), str(row["prev_hash"])
            except (ValueError, KeyError, TypeError) as exc:
                audit.add("export", f"{file_name} line {line_no} is not an event row: {exc}")
                continue
            audit.events += 1
            if position <= last and in_order:
                in_order = False
                audit.add("export", f"{file_name} line {line_no} is out of commit order")
            last = max(last, position)
            if cursor is not None and in_order:
                cursor.add(position.tx_id, position.global_position, stored_hash)
            state = streams.get(stream)
            problem = None
            if state is None:
                if version == 1:
                    expected_prev = GENESIS_HASH
                elif cut.get(stream) == version:
                    expected_prev = prev_hash
                    cut_used.append(f"{stream} (from version {version})")
                else:
                    expected_prev = prev_hash
                    problem = f"versions 1–{version - 1} are missing from the export"
            elif state[2]:
                streams[stream] = (version, stored_hash, True)
                continue
            elif version != state[0] + 1:
                expected_prev = state[1]
                problem = f"expected version {state[0] + 1}, found {version} (missing event)"
            else:
                expected_prev = state[1]
            if problem is None and prev_hash != expected_prev:
                problem = (
                    "prev_hash does not match the previous event's hash (removed or reordered)"
                )
            if problem is None:
                computed = json_row_hash(row)
                if computed != stored_hash:
                    problem = (
                        f"content changed: stored hash {stored_hash[:16]}…, recomputed "
                        f"{computed[:16]}…"
                    )
            if problem:
                audit.add(
                    "chain",
                    problem,
                    stream_id=stream,
                    stream_version=version,
                    event_id=str(row.get("event_id")),
                )
            streams[stream] = (version, stored_hash, problem is not None)
    audit.streams = len(streams)
    audit.max_position = max(last.global_position, 0)
    if cut_used:
        shown = ", ".join(cut_used[:10]) + (" …" if len(cut_used) > 10 else "")
        audit.notes.append(
            f"{len(cut_used)} stream(s) cut by the filter, verified from their first included "
            f"event's prev_hash: {shown}"
        )
    if audit.events != info.get("events"):
        audit.add(
            "export",
            f"{audit.events} events in {file_name}, the manifest says {info.get('events')}",
        )
    heads = info.get("heads", {})
    if len(heads) != len(streams):
        audit.add(
            "export", f"{len(streams)} streams in {file_name}, the manifest lists {len(heads)}"
        )
    for stream, (version, stored_hash, _) in streams.items():
        head = heads.get(stream)
        if head != {"version": version, "hash": stored_hash}:
            audit.add(
                "export",
                f"the manifest's head {head} differs from the file's last event",
                stream_id=stream,
                stream_version=version,
            )
    if cursor is not None and in_order:
        results = cursor.finish()
        for check in checks:
            cp = check.checkpoint
            count, digest = results[cp.head]
            if check.compare_stored(count, digest, f"{count} events up to the head"):
                continue
            check.status = "failed"
            check.detail = (
                f"the exported history up to head {cp.head.tx_id}/{cp.head.global_position} "
                f"does not match: the checkpoint counted {cp.event_count} events with digest "
                f"{cp.digest[:16]}…, the export has {count} with digest {digest[:16]}…"
            )
            audit.add("checkpoint", f"checkpoint of {cp.created_at}: {check.detail}")
    else:
        for check in checks:
            if check.status == "pending":
                check.status = "skipped"
                check.detail = "signature valid; digest not checked (filtered export)"
    audit.checkpoints = checks
    return audit
