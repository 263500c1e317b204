"""``xuncha audit``: verify the history, sign checkpoints, export, tell a case's story.

See docs/audit.md.
"""

from __future__ import annotations

import json
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
from xuncha_shared.cli.common import (
    console,
    err_console,
    fail,
    history_progress,
    run,
    services_option,
    settings,
)
from xuncha_shared.contracts.topics import AUDIT_CHECKPOINTS
from xuncha_shared.db import connect
from xuncha_shared.domain.jurisdictions import is_known

app = typer.Typer(help="Audit the event history (docs/audit.md).", no_args_is_help=True)


def _plain(text: str, *, err: bool = False) -> None:
    (err_console if err else console).print(text, markup=False, highlight=False, soft_wrap=True)


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
        _plain(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        export = report.source.startswith("export")
        if export:
            _plain(f"verifying {report.source} (offline)")
        for s in report.services:
            for line in _service_lines(s, kafka_checked=report.kafka_checked, export=export):
                _plain(line)
        for note in report.notes:
            _plain(f"note: {note}")
    problems = report.all_problems()
    for p in problems:
        _plain(f"  BROKEN {p}", err=True)
    hidden = sum(s.problem_count - len(s.problems) for s in report.services)
    if hidden:
        _plain(f"  … and {hidden} more problem(s) not listed", err=True)
    if not report.intact:
        located = next((p for p in problems if p.stream_id is not None), None)
        if located is not None:
            version = f" version {located.stream_version}" if located.stream_version else ""
            _plain(
                f"first broken: stream {located.stream_id}{version} in "
                f"{located.database or located.service}",
                err=True,
            )
        total = len(report.problems) + sum(s.problem_count for s in report.services)
        _plain(f"NOT INTACT: {total} problem(s)", err=True)
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
        _plain("; ".join(parts))


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
        _plain(
            f"{cp.service:<14} head {cp.head.tx_id}/{cp.head.global_position}  "
            f"{cp.event_count} events  digest {cp.digest}  key {cp.key_id}  {where}"
        )
    if out is not None:
        docs: Any = [cp.document() for cp, _ in made]
        if len(docs) == 1:
            docs = docs[0]
        out.write_text(json.dumps(docs, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        _plain(f"written to {out}")


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
        _plain(f"written to {out}")
    else:
        _plain(text.rstrip("\n"))


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
        _plain(
            f"{name:<14} {entry['events']:>9} events {entry['streams']:>7} streams  "
            f"{entry['file']}  sha256 {entry['sha256']}"
        )
    kind = "complete" if manifest["complete"] else "filtered"
    _plain(
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
        _plain(story_json(story))
    else:
        for line in story_lines(story):
            _plain(line)


# --------------------------------------------------------------------------------------------
# replay
# --------------------------------------------------------------------------------------------

#: Columns of the linked view as the dashboard labels them (entrypoints/static of reporting).
_LINKED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("petitions_received", "信访举报受理"),
    ("clues_registered", "线索登记"),
    ("clues_transferred", "线索移交"),
    ("clues_escalated", "线索上报市委巡察办"),
    ("issues_fed_back", "反馈问题"),
    ("rectification_reports", "整改报告"),
    ("issues_completed", "已完成整改"),
)


def _beijing(value: Any) -> str:
    from xuncha_shared.audit.export import SHANGHAI

    return str(value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"))


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _linked_table(title: str, rows: list[tuple[str, dict[str, Any]]]) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column("市/县区")
    for _, label in _LINKED_COLUMNS:
        table.add_column(label, justify="right")
    table.add_column("整改完成率", justify="right")
    for name, row in rows:
        table.add_row(
            name, *(str(row[key]) for key, _ in _LINKED_COLUMNS), _rate(row["completion_rate"])
        )
    return table


def _city_rows(city: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    rows = [(f"{city['name']}（合计）", city)]
    if city.get("own"):
        rows.append(("市本级", city["own"]))
    return rows


def _print_ledger(ledger: dict[str, Any]) -> None:
    from rich.table import Table

    _plain(
        f"整改台账：{ledger['jurisdiction_name']}（{ledger['jurisdiction']}）· {ledger['unit']}"
        f"（截至 {ledger['as_of'].isoformat()}）"
    )
    _plain(
        f"反馈问题 {ledger['issues_total']} 个：整改中 {ledger['in_progress']}，"
        f"已完成 {ledger['completed']}，逾期 {ledger['overdue']}；"
        f"整改报告 {ledger['reports_total']} 份；整改完成率 {_rate(ledger['completion_rate'])}"
    )
    issues = Table(title="问题清单", title_justify="left")
    for label in ("序号", "问题", "整改类型", "反馈时间", "报告期限", "进度", "状态", "报告"):
        issues.add_column(label, justify="right" if label in ("序号", "进度", "报告") else "left")
    reports = Table(title="整改报告", title_justify="left")
    for label in ("问题序号", "报告时间", "类型", "进度", "完成", "说明"):
        reports.add_column(label, justify="right" if label in ("问题序号", "进度") else "left")
    for number, issue in enumerate(ledger["issues"], start=1):
        due = issue["due_date"].isoformat() if issue["due_date"] else "—"
        if issue["days_left"] is not None:
            due += f"（剩 {issue['days_left']} 天）" if issue["days_left"] >= 0 else "（已超期）"
        issues.add_row(
            str(number),
            issue["description"],
            issue["rect_type_zh"],
            _beijing(issue["fed_back_at"]),
            due,
            f"{issue['progress_percent']}%",
            issue["status_zh"],
            str(len(issue["reports"])),
        )
        for report in issue["reports"]:
            reports.add_row(
                str(number),
                _beijing(report["reported_at"]),
                report["kind_zh"],
                f"{report['progress_percent']}%",
                "是" if report["completed"] else "否",
                report["note"],
            )
    console.print(issues)
    if ledger["reports_total"]:
        console.print(reports)


@app.command()
def replay(
    as_of: str = typer.Option(
        ...,
        "--as-of",
        help="the moment: ISO 8601 with a timezone offset, e.g. 2026-05-01T00:00:00+08:00",
    ),
    jurisdiction: str = typer.Option(
        None, "--jurisdiction", "-j", help="show only this county's row (a city code: the city)"
    ),
    unit: str = typer.Option(
        None, "--unit", "-u", help="with --jurisdiction: show this inspected unit's 整改台账"
    ),
    keep: bool = typer.Option(
        False, "--keep", help="keep the replay schema (asof_…) in reporting's database"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the replayed views as JSON"),
) -> None:
    """Rebuild the reporting views from the history as it stood at a past moment (events
    recorded at or before it) into a fresh schema, and show them: the linked view, one county's
    row or one unit's rectification ledger. The live system is not touched: nothing is
    published, no live table or inbox is written."""
    from datetime import UTC, datetime

    import asyncpg
    from pydantic_core import to_jsonable_python

    from xuncha_shared.domain.jurisdictions import CITY, name_of

    try:
        from xuncha_reporting.replay import (
            AsOfError,
            parse_as_of,
            replay_as_of,
            replay_document,
        )
    except ImportError:  # pragma: no cover - a shared-only installation
        raise fail("the reporting service package (xuncha_reporting) is not installed") from None

    try:
        moment = parse_as_of(as_of, datetime.now(UTC))
    except AsOfError as exc:
        raise fail(f"--as-of: {exc}") from None
    if unit is not None and jurisdiction is None:
        raise fail("--unit requires --jurisdiction (the unit's county or city code)")
    if jurisdiction is not None and not is_known(jurisdiction):
        raise fail(f"unknown jurisdiction {jurisdiction!r}")
    if unit is not None:
        unit = unit.strip()
        if not unit:
            raise fail("--unit must not be blank")
    cfg = settings()
    with history_progress(
        "replaying", console_=err_console, disable=as_json, transient=True
    ) as hook:
        try:
            report = run(
                replay_as_of(
                    cfg, moment, keep=keep, jurisdiction=jurisdiction, unit=unit, progress=hook
                )
            )
        except asyncpg.PostgresError as exc:
            raise fail(f"the replay failed in the database: {exc}") from None
        except KeyboardInterrupt:
            left = "a partial asof_… schema is left" if keep else "the replay schema was dropped"
            raise fail(f"interrupted: {left}", 130) from None

    missing_unit = unit is not None and report.ledger is None
    if as_json:
        doc = replay_document(report, jurisdiction, unit)
        _plain(json.dumps(to_jsonable_python(doc), ensure_ascii=False, indent=2))
    else:
        when = _beijing(report.as_of)
        _plain(f"replay as of {when} 北京时间 ({report.as_of.astimezone(UTC).isoformat()})")
        for svc in report.read:
            _plain(
                f"  {svc:<14} as of {when}: {report.read[svc]} events of "
                f"{report.history.get(svc, 0)} in the history"
            )
        if report.skipped:
            _plain(
                f"  skipped {len(report.skipped)} undecodable event(s) "
                "(the live consumer dead-letters them)"
            )
        if unit is not None and report.ledger is not None:
            _print_ledger(report.ledger)
        elif jurisdiction is not None and report.row is not None:
            title = f"{name_of(jurisdiction)}（截至 {when}）"
            row = report.row
            rows = _city_rows(row) if row["level"] == "city" else [(row["name"], row)]
            console.print(_linked_table(title, rows))
        elif unit is None:
            view = report.view
            rows = _city_rows(view["city"]) + [(c["name"], c) for c in view["counties"]]
            city_name = view["city"]["name"] if view.get("city") else CITY.name
            console.print(_linked_table(f"{city_name}上下联动总览（截至 {when}）", rows))
        if report.kept:
            _plain(f"replay schema {report.schema} kept in reporting's database")
    if missing_unit:
        units = "、".join(report.units) or "none"
        raise fail(
            f"no issue had been fed back to {unit!r} in {name_of(str(jurisdiction))} "
            f"({jurisdiction}) as of {_beijing(report.as_of)}; units with issues then: {units}",
            1,
        )
