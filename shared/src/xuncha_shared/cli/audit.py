"""``xuncha audit``: verify the history, sign checkpoints, export, tell a case's story.

See docs/audit.md.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import typer
from aiokafka.errors import KafkaError

from xuncha_shared.audit.checkpoints import (
    Checkpoint,
    CheckpointFormatError,
    SigningKeyError,
    create_checkpoint,
    load_checkpoint_files,
    load_signer,
    load_trust,
    publish_pending,
    trust_document,
)
from xuncha_shared.audit.export import (
    ExportError,
    ExportFilter,
    export_history,
    parse_time,
    prepare_export_dir,
    verify_export,
)
from xuncha_shared.audit.history import StreamNotFoundError, build_story, story_json, story_lines
from xuncha_shared.audit.verify import AuditReport, ServiceAudit, audit_databases
from xuncha_shared.cli.common import fail, plain, run, services_option, settings
from xuncha_shared.contracts.topics import AUDIT_CHECKPOINTS
from xuncha_shared.db import connect
from xuncha_shared.domain.jurisdictions import is_known
from xuncha_shared.metrics import write_textfile

app = typer.Typer(help="Audit the event history (docs/audit.md).", no_args_is_help=True)


def _kafka_failure(exc: Exception, bootstrap: str) -> typer.Exit:
    return fail(
        f"cannot reach Kafka at {bootstrap}: {exc!r} (--no-kafka skips the Kafka checks)",
    )


# --------------------------------------------------------------------------------------------
# verify
# --------------------------------------------------------------------------------------------


def _service_lines(s: ServiceAudit, *, kafka_checked: bool, export: bool) -> list[str]:
    state = "intact" if s.intact else f"{s.problem_count} problem(s)"
    lines = [
        f"{s.service:<14} {s.database:<24} {s.streams:>7} streams {s.events:>9} events  {state}"
    ]
    chain = s.count("chain")
    lines.append(
        "  hash chains   " + ("intact" if not chain else f"{chain} broken stream(s)/version(s)")
    )
    if not export:
        unexplained = [h for h in s.holes if not h.explained]
        if not s.hole_ranges:
            holes = "no holes"
        elif not unexplained:
            holes = f"{s.hole_ranges} hole(s), all explained (aborted transactions)"
        else:
            holes = f"{s.hole_ranges} hole(s), {len(unexplained)} unexplained"
        span = f"1–{s.max_position}" if s.max_position else "no events"
        lines.append(f"  positions     {span}, {holes}")
        if s.kafka is not None:
            k = s.kafka
            lines.append(
                f"  Kafka         {k.matched} event(s) match, {k.unpublished} not yet published, "
                f"{k.duplicates} duplicate message(s), {s.count('kafka')} difference(s)"
            )
        elif not kafka_checked:
            lines.append("  Kafka         not checked (--no-kafka)")
    checks = s.checkpoints
    if checks:
        counts: dict[str, int] = {}
        for c in checks:
            counts[c.status] = counts.get(c.status, 0) + 1
        summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        latest = max(checks, key=lambda c: c.checkpoint.head).checkpoint
        lines.append(
            f"  checkpoints   {summary} (latest head {latest.head.tx_id}/"
            f"{latest.head.global_position}, {latest.event_count} events, {latest.created_at})"
        )
    else:
        lines.append("  checkpoints   none found")
    lines.extend(f"  note: {n}" for n in s.notes)
    return lines


def _print_report(report: AuditReport, *, as_json: bool) -> None:
    if as_json:
        plain(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        export = report.source.startswith("export")
        if export:
            plain(f"verifying {report.source} (offline)")
        for s in report.services:
            for line in _service_lines(s, kafka_checked=report.kafka_checked, export=export):
                plain(line)
        for note in report.notes:
            plain(f"note: {note}")
    problems = report.all_problems()
    for p in problems:
        plain(f"  BROKEN {p}", err=True)
    hidden = sum(s.problem_count - len(s.problems) for s in report.services)
    if hidden:
        plain(f"  … and {hidden} more problem(s) not listed", err=True)
    if not report.intact:
        located = next((p for p in problems if p.stream_id is not None), None)
        if located is not None:
            version = f" version {located.stream_version}" if located.stream_version else ""
            plain(
                f"first broken: stream {located.stream_id}{version} in "
                f"{located.database or located.service}",
                err=True,
            )
        total = len(report.problems) + sum(s.problem_count for s in report.services)
        plain(f"NOT INTACT: {total} problem(s)", err=True)
    elif not as_json:
        checkpoints = sum(
            1 for s in report.services for c in s.checkpoints if c.status == "verified"
        )
        parts = ["all hash chains intact"]
        if not report.source.startswith("export"):
            parts.append("position holes explained")
            if report.kafka_checked:
                parts.append("Kafka's copy matches")
        parts.append(f"{checkpoints} checkpoint(s) verified")
        plain("; ".join(parts))


@app.command()
def verify(
    service: list[str] = typer.Option(None, "--service", "-s", help="service(s); default all"),
    no_kafka: bool = typer.Option(False, "--no-kafka", help="skip the comparison with Kafka"),
    checkpoint: list[Path] = typer.Option(
        None, "--checkpoint", "-c", help="a checkpoint file to verify against (repeatable)"
    ),
    keys: Path = typer.Option(
        None, "--keys", help="trusted public keys (default <state_dir>/keys)"
    ),
    export: Path = typer.Option(
        None, "--export", help="verify an export directory offline (no database)"
    ),
    compare_export: Path = typer.Option(
        None,
        "--compare-export",
        help="also check that every event of an earlier export is still stored unchanged",
    ),
    as_json: bool = typer.Option(False, "--json", help="the report as JSON"),
    metrics_file: Path = typer.Option(
        None,
        "--metrics-file",
        help="also write the outcome as Prometheus gauges to FILE (reporting's /metrics serves "
        "<state>/metrics/*.prom; an alert fires when xuncha_audit_verify_intact is 0)",
    ),
) -> None:
    """Check the whole history: hash chains, position holes, Kafka's copy, signed checkpoints.

    Exit 0 when intact; exit 1 naming each broken stream, version and what differs.
    """
    cfg = settings()
    try:
        trust = load_trust(keys, cfg)
        extra = load_checkpoint_files(checkpoint or [])
    except (OSError, ValueError, CheckpointFormatError) as exc:
        raise fail(str(exc)) from None
    for directory in (export, compare_export):
        if directory is not None and not (directory / "manifest.json").is_file():
            raise fail(f"{directory} holds no export (manifest.json)")
    if export is not None:
        report = verify_export(export, trust, extra)
    else:
        chosen = services_option(service)
        try:
            report = run(
                audit_databases(
                    cfg,
                    chosen,
                    kafka=not no_kafka,
                    checkpoint_files=checkpoint or [],
                    trust_path=keys,
                    compare_export=compare_export,
                )
            )
        except KafkaError as exc:
            raise _kafka_failure(exc, cfg.kafka_bootstrap) from None
    _print_report(report, as_json=as_json)
    if metrics_file is not None:
        write_textfile(
            metrics_file,
            {
                "xuncha_audit_verify_intact": (
                    "1 when the last xuncha audit verify found the history intact, else 0",
                    1 if report.intact else 0,
                ),
                "xuncha_audit_verify_last_run_timestamp_seconds": (
                    "when xuncha audit verify last ran (Unix time)",
                    time.time(),
                ),
            },
        )
    if not report.intact:
        raise typer.Exit(1)


# --------------------------------------------------------------------------------------------
# checkpoints and keys
# --------------------------------------------------------------------------------------------


@app.command("checkpoint")
def checkpoint_(
    service: list[str] = typer.Option(None, "--service", "-s", help="service(s); default all"),
    out: Path = typer.Option(None, "--out", "-o", help="also write the checkpoint(s) to FILE"),
    no_kafka: bool = typer.Option(
        False, "--no-kafka", help="store only; the service's checkpointer publishes it later"
    ),
) -> None:
    """Sign a checkpoint of each service's history now, store it and publish it.

    --out writes the checkpoint JSON (an array for several services) for a witness outside the
    system; `xuncha audit verify --checkpoint FILE` checks the history against it later.
    """
    chosen = services_option(service)
    cfg = settings()

    async def main() -> list[tuple[Checkpoint, int]]:
        made = []
        for s in chosen:
            signer = load_signer(s, cfg)
            conn = await connect(cfg.service_database_url(s))
            try:
                cp = await create_checkpoint(conn, s, signer)
                published = 0
                if not no_kafka:
                    published = await publish_pending(
                        conn, cfg.kafka_bootstrap, cfg.topic_prefix, client_id="xuncha.audit"
                    )
                made.append((cp, published))
            finally:
                await conn.close()
        return made

    try:
        made = run(main())
    except KafkaError as exc:
        raise _kafka_failure(exc, cfg.kafka_bootstrap) from None
    except SigningKeyError as exc:
        raise fail(str(exc)) from None
    for cp, published in made:
        where = f"published to {cfg.topic_prefix}{AUDIT_CHECKPOINTS}" if published else "stored"
        plain(
            f"{cp.service:<14} head {cp.head.tx_id}/{cp.head.global_position}  "
            f"{cp.event_count} events  digest {cp.digest}  key {cp.key_id}  {where}"
        )
    if out is not None:
        docs: Any = [cp.document() for cp, _ in made]
        if len(docs) == 1:
            docs = docs[0]
        out.write_text(json.dumps(docs, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        plain(f"written to {out}")


@app.command()
def keys(
    service: list[str] = typer.Option(None, "--service", "-s", help="service(s); default all"),
    out: Path = typer.Option(None, "--out", "-o", help="write the trust file to FILE"),
) -> None:
    """Print the public signing keys of the services as a trust file (for `verify --keys`).

    Keys come from XUNCHA_SIGNING_KEY_<SERVICE> or the development keys in <state_dir>/keys
    (generated if missing)."""
    chosen = services_option(service)
    cfg = settings()
    try:
        doc = trust_document(load_signer(s, cfg).trusted_key() for s in chosen)
    except SigningKeyError as exc:
        raise fail(str(exc)) from None
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if out is not None:
        out.write_text(text)
        plain(f"written to {out}")
    else:
        plain(text.rstrip("\n"))


# --------------------------------------------------------------------------------------------
# export
# --------------------------------------------------------------------------------------------


@app.command("export")
def export_(
    out: Path = typer.Option(..., "--out", "-o", help="the directory to write"),
    service: list[str] = typer.Option(None, "--service", "-s", help="service(s); default all"),
    jurisdiction: str = typer.Option(
        None, "--jurisdiction", "-j", help="a county code, or a city code (city and counties)"
    ),
    since: str = typer.Option(None, "--since", help="recorded at or after (ISO 8601)"),
    until: str = typer.Option(None, "--until", help="recorded before (ISO 8601)"),
    no_kafka: bool = typer.Option(
        False, "--no-kafka", help="list only the checkpoints of the databases"
    ),
) -> None:
    """Export the history as JSON Lines plus manifest.json (verify with --export DIR).

    Times without an offset are Beijing time."""
    chosen = services_option(service)
    cfg = settings()
    if jurisdiction is not None and not is_known(jurisdiction):
        raise fail(f"unknown jurisdiction {jurisdiction!r}")
    try:
        flt = ExportFilter(
            jurisdiction=jurisdiction,
            since=parse_time(since) if since else None,
            until=parse_time(until) if until else None,
        )
    except ValueError as exc:
        raise fail(f"bad time: {exc}") from None
    try:
        prepare_export_dir(out)
        manifest = run(export_history(cfg, out, chosen, flt, kafka=not no_kafka))
    except ExportError as exc:
        raise fail(str(exc)) from None
    except KafkaError as exc:
        raise _kafka_failure(exc, cfg.kafka_bootstrap) from None
    for name, entry in manifest["services"].items():
        plain(
            f"{name:<14} {entry['events']:>9} events {entry['streams']:>7} streams  "
            f"{entry['file']}  sha256 {entry['sha256']}"
        )
    kind = "complete" if manifest["complete"] else "filtered"
    plain(
        f"{kind} export with {len(manifest['checkpoints'])} checkpoint(s) written to {out}; "
        f"verify offline with: xuncha audit verify --export {out}"
    )


# --------------------------------------------------------------------------------------------
# history
# --------------------------------------------------------------------------------------------


@app.command()
def history(
    stream_id: str = typer.Argument(..., help="the stream (case) id"),
    service: list[str] = typer.Option(
        None, "--service", "-s", help="where the stream lives; default: look everywhere"
    ),
    as_json: bool = typer.Option(False, "--json", help="the story as JSON"),
) -> None:
    """One case's whole story in order: who, when (Beijing time), what, why, and the linked
    events of every service (same correlation id or direct cause)."""
    chosen = services_option(service)
    cfg = settings()
    try:
        story = run(build_story(cfg, stream_id, services=chosen))
    except StreamNotFoundError as exc:
        raise fail(str(exc), 1) from None
    if as_json:
        plain(story_json(story))
    else:
        for line in story_lines(story):
            plain(line)
