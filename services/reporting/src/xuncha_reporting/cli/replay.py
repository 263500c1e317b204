"""``xuncha audit replay``: the reporting views as they stood at a past moment.

The logic lives in ``xuncha_reporting.replay``; this module is the command line around it,
registered with the ``xuncha`` command under its ``audit`` group (entry point group
``xuncha.cli``, name ``audit.replay``).
"""

from __future__ import annotations

import json
from typing import Any

import typer
from xuncha_shared.cli.common import (
    console,
    err_console,
    fail,
    history_progress,
    plain,
    run,
    settings,
)
from xuncha_shared.domain.jurisdictions import is_known

from xuncha_reporting.domain.views import LINKED_COLUMNS_ZH, named_rows, rate_text

#: Columns of the linked view as the workbench's 总览 labels them (web/src/views/OverviewPage.vue).
_LINKED_COLUMNS = LINKED_COLUMNS_ZH


def _beijing(value: Any) -> str:
    from xuncha_shared.audit.export import SHANGHAI

    return str(value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"))


def _linked_table(title: str, rows: list[tuple[str, dict[str, Any]]]) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column("市/县区")
    for _, label in _LINKED_COLUMNS:
        table.add_column(label, justify="right")
    table.add_column("整改完成率", justify="right")
    for name, row in rows:
        table.add_row(
            name, *(str(row[key]) for key, _ in _LINKED_COLUMNS), rate_text(row["completion_rate"])
        )
    return table


def _print_ledger(ledger: dict[str, Any]) -> None:
    from rich.table import Table

    plain(
        f"整改台账：{ledger['jurisdiction_name']}（{ledger['jurisdiction']}）· {ledger['unit']}"
        f"（截至 {ledger['as_of'].isoformat()}）"
    )
    plain(
        f"反馈问题 {ledger['issues_total']} 个：待报告 {ledger['awaiting_report']}，"
        f"整改中 {ledger['in_progress']}，"
        f"已完成 {ledger['completed']}，逾期 {ledger['overdue']}；"
        f"整改报告 {ledger['reports_total']} 份；"
        f"自报完成率（单位报告完成） {rate_text(ledger['completion_rate'])}"
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

    from xuncha_reporting.replay import AsOfError, parse_as_of, replay_as_of, replay_document

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
        plain(json.dumps(to_jsonable_python(doc), ensure_ascii=False, indent=2))
    else:
        when = _beijing(report.as_of)
        plain(f"replay as of {when} 北京时间 ({report.as_of.astimezone(UTC).isoformat()})")
        for svc in report.read:
            plain(
                f"  {svc:<14} as of {when}: {report.read[svc]} events of "
                f"{report.history.get(svc, 0)} in the history"
            )
        if report.skipped:
            plain(
                f"  skipped {len(report.skipped)} undecodable event(s) "
                "(the live consumer dead-letters them)"
            )
        if unit is not None and report.ledger is not None:
            _print_ledger(report.ledger)
        elif jurisdiction is not None and report.row is not None:
            title = f"{name_of(jurisdiction)}（截至 {when}）"
            row = report.row
            rows = named_rows({"city": row}) if row["level"] == "city" else [(row["name"], row)]
            console.print(_linked_table(title, rows))
        elif unit is None:
            view = report.view
            rows = named_rows(view)
            city_name = view["city"]["name"] if view.get("city") else CITY.name
            console.print(_linked_table(f"{city_name}上下联动总览（截至 {when}）", rows))
        late = [d for d in report.deadlines if d["state"] == "overdue"]
        plain(f"  deadlines then: {len(report.deadlines)}, overdue {len(late)} (逾期)")
        for d in sorted(late, key=lambda d: d["due_date"]):
            plain(
                f"    {d['kind']} {d['case']['id']} ({d['owner']}, {d['jurisdiction']}): "
                f"due {d['due_date'].isoformat()}, {d['days_late']} day(s) late"
            )
        if report.kept:
            plain(f"replay schema {report.schema} kept in reporting's database")
    if missing_unit:
        units = "、".join(report.units) or "none"
        raise fail(
            f"no issue had been fed back to {unit!r} in {name_of(str(jurisdiction))} "
            f"({jurisdiction}) as of {_beijing(report.as_of)}; units with issues then: {units}",
            1,
        )
