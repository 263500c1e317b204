"""The 挂图作战 board lists every 督办 and 红线预警 (which unit and issues, when, the due date, the
note, in Chinese) under its unit and the issues it names, and an issue's history tells a
rejected verification from an accepted one and a progress report from the formal and final
ones."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from xuncha_reporting.domain.board import board
from xuncha_shared.contracts import rectification as r
from xuncha_shared.envelope import EventPayload

from tests.support.board_docs import LINCHUAN, T0, docs_of

UNIT = uuid.uuid4()
ISSUE, OTHER = uuid.uuid4(), uuid.uuid4()


def fed(issue: uuid.UUID, description: str) -> tuple[str, uuid.UUID, EventPayload]:
    payload = r.IssueFedBack(
        issue_id=issue, feedback_id=uuid.uuid4(), jurisdiction=LINCHUAN, unit="临川区某局",
        unit_id=UNIT, description=description, due_date="2026-12-12",
    )  # fmt: skip
    return ("issue", issue, payload)


def report(kind: r.ReportKind, done: bool, note: str) -> tuple[str, uuid.UUID, EventPayload]:
    payload = r.RectificationReported(
        issue_id=ISSUE, kind=kind, progress_percent=100 if done else 40, completed=done, note=note
    )
    return ("issue", ISSUE, payload)


def verified(outcome: r.VerificationOutcome, note: str) -> tuple[str, uuid.UUID, EventPayload]:
    return ("issue", ISSUE, r.RectificationVerified(issue_id=ISSUE, outcome=outcome, note=note))


SUPERVISION = uuid.uuid4()
WARNING = uuid.uuid4()
ORDERED = r.SupervisionOrdered(
    supervision_id=SUPERVISION, jurisdiction=LINCHUAN, unit_id=UNIT, unit="临川区某局",
    issue_ids=[ISSUE], kind=r.SupervisionKind.KEY, note="限期整改到位", due_on=date(2026, 12, 31),
)  # fmt: skip
WARNED = r.RedLineWarningIssued(
    warning_id=WARNING, jurisdiction=LINCHUAN, unit_id=UNIT, unit="临川区某局",
    issue_ids=[ISSUE, OTHER], finding=r.RedLineFinding.PERFUNCTORY, note="以文件落实整改",
)  # fmt: skip


def test_history_names_report_kinds_and_verification_outcomes() -> None:
    events = [
        fed(ISSUE, "议事规则不健全"),
        report(r.ReportKind.PROGRESS, False, "已开始整改"),
        report(r.ReportKind.FORMAL, True, "已整改到位"),
        verified(r.VerificationOutcome.REJECTED, "佐证材料不足"),
        report(r.ReportKind.FINAL, True, "补充佐证"),
        verified(r.VerificationOutcome.ACCEPTED, "整改到位"),
    ]
    [issue] = board(docs_of(events), date(2026, 11, 1), lambda _: 20)["units"][0]["issues"]
    assert [(h["zh"], h["note"]) for h in issue["history"]] == [
        ("反馈问题", "议事规则不健全"),
        ("整改进展报告", "已开始整改"),
        ("整改情况报告", "已整改到位"),
        ("核实未通过", "佐证材料不足"),
        ("整改完成报告", "补充佐证"),
        ("核实通过", "整改到位"),
    ]
    assert [h["report_kind"] for h in issue["history"][1:3]] == ["progress", "formal"]
    assert issue["status"] == "verified"


def test_supervisions_and_red_lines_are_listed_under_unit_and_issues() -> None:
    events = [
        fed(ISSUE, "议事规则不健全"),
        fed(OTHER, "账目不清"),
        ("oversight", UNIT, ORDERED),
        ("oversight", UNIT, WARNED),
    ]
    doc = board(docs_of(events), date(2026, 11, 1), lambda _: 20)
    assert (doc["supervisions"], doc["red_lines"]) == (1, 1)
    [unit] = doc["units"]
    supervision, warning = unit["oversight"]
    assert supervision["id"] == str(SUPERVISION)
    assert (supervision["kind_zh"], supervision["detail_zh"]) == ("督办", "重点督办")
    assert (supervision["due_on"], supervision["note"]) == ("2026-12-31", "限期整改到位")
    assert supervision["at"] == (T0 + timedelta(days=2)).isoformat()
    assert supervision["issues"] == ["议事规则不健全"]
    assert (warning["kind_zh"], warning["detail_zh"], warning["due_on"]) == (
        "红线预警",
        "敷衍整改",
        None,
    )
    assert warning["issues"] == ["议事规则不健全", "账目不清"]
    first, other = unit["issues"]
    assert [o["id"] for o in first["oversight"]] == [str(SUPERVISION), str(WARNING)]
    assert [o["id"] for o in other["oversight"]] == [str(WARNING)]
    assert [(h["zh"], h["note"]) for h in first["history"][1:]] == [
        ("整改督办（重点督办，督办时限 2026-12-31）", "限期整改到位"),
        ("红线预警（敷衍整改）", "以文件落实整改"),
    ]
    assert [h["zh"] for h in other["history"]] == ["反馈问题", "红线预警（敷衍整改）"]
    assert [o["id"] for o in doc["oversight"]] == [str(SUPERVISION), str(WARNING)]


def test_a_unit_without_oversight_lists_none() -> None:
    [unit] = board(docs_of([fed(ISSUE, "问题")]), date(2026, 11, 1), lambda _: 20)["units"]
    assert unit["oversight"] == [] and unit["issues"][0]["oversight"] == []
    assert (unit["supervisions"], unit["red_lines"]) == (0, 0)
