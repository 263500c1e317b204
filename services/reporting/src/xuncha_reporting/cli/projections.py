"""``xuncha projections``: rebuild the reporting projections from the event history.

``rebuild`` reads every service's events table (nothing is published, nothing of the live
system is written), applies them with the live consumer's own code into EMPTY tables of a fresh
schema ``rebuild_<ts>`` in reporting's database, compares the result with the live tables and,
with ``--swap``, swaps the rebuilt tables in atomically. The logic lives in
``xuncha_reporting.rebuild``; this module is the command line around it, registered with the
``xuncha`` command as the ``projections`` group (entry point group ``xuncha.cli``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table
from xuncha_shared.cli.common import (
    console,
    fail,
    history_progress,
    run,
    services_option,
    settings,
)

if TYPE_CHECKING:
    from xuncha_reporting.rebuild import RebuildReport

app = typer.Typer(help="Reporting projections (linked view, sharing feeds).", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Reporting projections (linked view, sharing feeds)."""


def _print_report(report: RebuildReport) -> None:
    read = ", ".join(f"{svc} {n}" for svc, n in report.read.items())
    console.print(f"[bold]events read[/bold]: {sum(report.read.values())} ({read})")
    console.print(
        f"[bold]applied[/bold]: {report.applied} events, {report.changed} changed the projection"
        + (f", {report.caught_up} caught up at the swap" if report.caught_up else "")
    )
    if report.skipped:
        console.print(
            f"[yellow]skipped[/yellow] {len(report.skipped)} undecodable events "
            "(the live consumer dead-letters them):"
        )
        for event_id, reason in report.skipped[:10]:
            console.print(f"  {event_id}: {reason}", markup=False)
    table = Table(title="rebuilt vs live", show_lines=False)
    table.add_column("table")
    table.add_column("only in live", justify="right")
    table.add_column("only in rebuild", justify="right")
    table.add_column("result")
    for diff in report.diffs:
        table.add_row(
            diff.table,
            str(diff.only_live),
            str(diff.only_rebuilt),
            "[green]identical[/green]" if diff.equal else "[red]differs[/red]",
        )
    console.print(table)
    for diff in report.diffs:
        for sample in diff.samples_live:
            console.print(f"  {diff.table} only in live:    {sample}", markup=False)
        for sample in diff.samples_rebuilt:
            console.print(f"  {diff.table} only in rebuild: {sample}", markup=False)
    console.print(
        f"version: live {report.meta_live.get('version', 0)}, "
        f"rebuilt {report.meta_rebuilt.get('version', 0)}; "
        f"demo data: live {bool(report.meta_live.get('demo'))}, "
        f"rebuilt {bool(report.meta_rebuilt.get('demo'))}"
    )
    if report.identical:
        console.print("[green]the rebuilt projection is identical to the live one[/green]")
    else:
        console.print(
            "[yellow]the rebuilt projection differs from the live one[/yellow] "
            "(a live consumer that lags behind, or a projection bug: see the rows above)"
        )
    if report.swapped:
        kept = (
            f"; the old tables are kept in schema {report.replaced_schema}"
            if report.replaced_schema and report.kept
            else ""
        )
        console.print(f"[green]swapped in[/green]: schema {report.schema} is now live{kept}")
    elif report.kept:
        console.print(f"rebuilt tables kept in schema [bold]{report.schema}[/bold]")
    else:
        console.print(f"rebuilt schema {report.schema} dropped (use --swap or --keep)")


@app.command()
def rebuild(
    swap: bool = typer.Option(
        False, "--swap", help="atomically make the rebuilt tables the live ones"
    ),
    keep: bool = typer.Option(
        False, "--keep", help="without --swap: keep the rebuilt schema for inspection"
    ),
    keep_old: bool = typer.Option(
        False, "--keep-old", help="with --swap: keep the replaced tables in a schema"
    ),
    service: list[str] = typer.Option(
        None, "--service", "-s", help="read only these services' events (default: all)"
    ),
    as_json: bool = typer.Option(False, "--json", help="print the summary as JSON"),
    strict: bool = typer.Option(
        False, "--strict", help="exit with status 1 when the rebuild differs from the live tables"
    ),
) -> None:
    """Rebuild the reporting projections from every service's events into a fresh schema,
    compare them with the live tables and (with --swap) swap them in."""
    from xuncha_reporting.rebuild import rebuild_projections, summary_rows

    chosen = services_option(service)
    cfg = settings()
    with history_progress("projecting", console_=console, disable=as_json, transient=False) as hook:
        try:
            report = run(
                rebuild_projections(
                    cfg, swap=swap, keep=keep, keep_old=keep_old, services=chosen, progress=hook
                )
            )
        except KeyboardInterrupt:
            raise fail("interrupted: the rebuilt schema was dropped", 130) from None
    if keep_old and report.swapped:
        report.kept = True
    if as_json:
        doc: dict[str, Any] = {
            "schema": report.schema,
            "read": report.read,
            "applied": report.applied,
            "changed": report.changed,
            "caught_up": report.caught_up,
            "skipped": [{"event_id": e, "reason": r} for e, r in report.skipped],
            "tables": summary_rows(report),
            "meta_live": report.meta_live,
            "meta_rebuilt": report.meta_rebuilt,
            "identical": report.identical,
            "swapped": report.swapped,
            "replaced_schema": report.replaced_schema if keep_old else None,
        }
        console.print_json(json.dumps(doc, ensure_ascii=False))
    else:
        _print_report(report)
    if strict and not report.identical:
        raise typer.Exit(1)
