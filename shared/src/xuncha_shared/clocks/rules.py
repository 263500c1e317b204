"""Deadline rules (期限规则): versioned, each with an effective date.

A rule is identified by ``id`` and ``version``; ``RuleBook.applicable(id, on)`` is the highest
version whose ``effective_from`` is on or before ``on`` (the day a deadline starts). A deadline
records the id and version it was computed with and keeps them: a new version applies only to
deadlines started on or after its effective date.

R-ids are those of the domain reference (§4). R10 (warning colours) is a rule too: its version
holds the default thresholds; ``WarningPolicy`` lets a jurisdiction override them.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from xuncha_shared.clocks.calendar import WorkingCalendar, add_calendar_months


class RuleKind(StrEnum):
    WORKING_DAYS = "working_days"  # N working days after the start (工作日)
    CALENDAR_MONTHS = "calendar_months"  # N calendar months, clamped to the month's end
    SAME_DAY = "same_day"  # by the end of the start day (当日)
    CADENCE = "cadence"  # every N calendar days (周期)
    THRESHOLDS = "thresholds"  # warning colours (R10), not a deadline of its own


@dataclass(frozen=True)
class Due:
    """A computed due date: ``provisional`` when it was counted through a year whose official
    holiday schedule is not known yet (weekends only)."""

    due_date: date
    provisional: bool
    calendar_version: str


@dataclass(frozen=True)
class DeadlineRule:
    id: str
    version: int
    effective_from: date
    kind: RuleKind
    amount: int
    r_ids: tuple[str, ...]
    title_zh: str
    source: str
    #: R10 thresholds (calendar days before the due date) for kind THRESHOLDS
    yellow_days: int | None = None
    red_days: int | None = None

    def due(self, calendar: WorkingCalendar, start: date) -> Due:
        """The due date of a deadline started on ``start`` (a date in China Standard Time)."""
        if self.kind is RuleKind.WORKING_DAYS:
            due = calendar.add_working_days(start, self.amount)
            provisional = bool(calendar.missing_years(start, due))
        elif self.kind is RuleKind.CALENDAR_MONTHS:
            due, provisional = add_calendar_months(start, self.amount), False
        elif self.kind is RuleKind.SAME_DAY:
            due, provisional = start, False
        elif self.kind is RuleKind.CADENCE:
            due, provisional = start + timedelta(days=self.amount), False
        else:
            raise ValueError(f"rule {self.id} v{self.version} ({self.kind}) sets no due date")
        return Due(due, provisional, calendar.version)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "version": self.version,
            "effective_from": self.effective_from.isoformat(),
            "kind": self.kind.value,
            "amount": self.amount,
            "r_ids": list(self.r_ids),
            "title_zh": self.title_zh,
            "source": self.source,
        }
        if self.kind is RuleKind.THRESHOLDS:
            out["yellow_days"] = self.yellow_days
            out["red_days"] = self.red_days
        return out


class UnknownRuleError(LookupError):
    pass


class RuleBook:
    """All versions of all rules."""

    def __init__(self, rules: Iterable[DeadlineRule]) -> None:
        self._by_id: dict[str, list[DeadlineRule]] = {}
        for rule in rules:
            versions = self._by_id.setdefault(rule.id, [])
            if any(r.version == rule.version for r in versions):
                raise ValueError(f"rule {rule.id} version {rule.version} defined twice")
            versions.append(rule)
        for versions in self._by_id.values():
            versions.sort(key=lambda r: r.version)
            for older, newer in itertools.pairwise(versions):
                if newer.effective_from <= older.effective_from:
                    raise ValueError(f"rule {newer.id} v{newer.version} takes effect too early")

    def ids(self) -> list[str]:
        return sorted(self._by_id)

    def versions(self, rule_id: str) -> list[DeadlineRule]:
        try:
            return list(self._by_id[rule_id])
        except KeyError:
            raise UnknownRuleError(f"unknown rule {rule_id!r}") from None

    def get(self, rule_id: str, version: int) -> DeadlineRule:
        for rule in self.versions(rule_id):
            if rule.version == version:
                return rule
        raise UnknownRuleError(f"unknown rule {rule_id!r} version {version}")

    def title_zh(self, rule_id: str, version: int | None = None) -> str | None:
        """The rule's Chinese title as ``version`` has it (the latest when none or unknown);
        None for a rule the book does not know."""
        versions = self._by_id.get(rule_id)
        if not versions:
            return None
        chosen = [r for r in versions if r.version == version] or versions[-1:]
        return chosen[0].title_zh

    def applicable(self, rule_id: str, on: date) -> DeadlineRule:
        """The version in force on ``on``: the latest whose effective date is not after it."""
        chosen = [r for r in self.versions(rule_id) if r.effective_from <= on]
        if not chosen:
            raise UnknownRuleError(f"rule {rule_id!r} is not in force on {on}")
        return chosen[-1]

    def with_rules(self, extra: Iterable[DeadlineRule]) -> RuleBook:
        return RuleBook([r for vs in self._by_id.values() for r in vs] + list(extra))


# ---- the rules --------------------------------------------------------------------------------

R1_RECTIFICATION_REPORT = "xunshi_2015_art27"
R3_TRANSFER_RESULT = "xunshi_2015_art29"
R7_FORWARD = "jianju_2020_forward"
R8_ACCEPTANCE_NOTICE = "jianju_2020_acceptance"
R8_RESULT_NOTICE = "jianju_2020_result"
R10_WARNINGS = "warning_colours"
R13_WALK_IN = "walk_in_same_day"
R14_STATIONING = "stationing"
R15_DISPATCH = "weekly_dispatch"
R15_REPORT = "biweekly_report"
#: a rectification task's due date, set by the approved plan per task type (R1)
R1_TASK_DUE = "rectification_task_due"
#: a supervision order's (督办) due date, set by the office when it supervises (R4)
R4_SUPERVISION_DUE = "supervision_due"
#: the day the organisation department asks an opinion on a cadre by (干部任用征求巡察意见, R4)
R4_CADRE_OPINION_REPLY = "cadre_opinion_reply"
#: a real-name reporter's identity erased a retention period after the case's disposal (R23);
#: the period is the deployment's (intake: ``XUNCHA_INFORMANT_RETENTION_MONTHS``), ``amount``
#: its default
R23_INFORMANT_RETENTION = "informant_retention"

_XUNSHI = "《中国共产党巡视工作条例》(2015)"
_JIANJU = "参照《纪检监察机关处理检举控告工作规则》(2020)"
#: shown as each rule's 依据 (in Chinese, to its users); the practice is docs/domain.md section 4
_SEEDS = "各地巡察工作实践"
_PIPL = "《中华人民共和国个人信息保护法》第十九条、第四十七条"

RULES = RuleBook(
    [
        DeadlineRule(
            R1_RECTIFICATION_REPORT, 1, date(2015, 8, 3), RuleKind.CALENDAR_MONTHS, 2, ("R1",),
            "反馈后2个月内报送整改情况报告", f"{_XUNSHI} 第二十七条",
        ),
        DeadlineRule(
            R3_TRANSFER_RESULT, 1, date(2015, 8, 3), RuleKind.CALENDAR_MONTHS, 3, ("R3",),
            "移交问题线索3个月内反馈办理情况", f"{_XUNSHI} 第二十九条",
        ),
        DeadlineRule(
            R7_FORWARD, 1, date(2020, 1, 21), RuleKind.WORKING_DAYS, 5, ("R7",),
            "属上级管辖的检举控告5个工作日内转送", _JIANJU,
        ),
        DeadlineRule(
            R8_ACCEPTANCE_NOTICE, 1, date(2020, 1, 21), RuleKind.WORKING_DAYS, 15, ("R8",),
            "实名举报15个工作日内告知受理情况", _JIANJU,
        ),
        DeadlineRule(
            R8_RESULT_NOTICE, 1, date(2020, 1, 21), RuleKind.WORKING_DAYS, 15, ("R8",),
            "线索办结后15个工作日内告知实名举报人办理结果", _JIANJU,
        ),
        DeadlineRule(
            R10_WARNINGS, 1, date(2015, 8, 3), RuleKind.THRESHOLDS, 0, ("R10",),
            "临期黄色预警(到期前约20日)、到期日红色预警、逾期", f"{_SEEDS}；部分地方做法",
            yellow_days=20, red_days=0,
        ),
        DeadlineRule(
            R13_WALK_IN, 1, date(2015, 8, 3), RuleKind.SAME_DAY, 0, ("R13",),
            "来访当日由领导接待处理", _SEEDS,
        ),
        DeadlineRule(
            R14_STATIONING, 1, date(2015, 8, 3), RuleKind.WORKING_DAYS, 15, ("R14",),
            "进驻约15个工作日", _SEEDS,
        ),
        DeadlineRule(
            R15_DISPATCH, 1, date(2015, 8, 3), RuleKind.CADENCE, 7, ("R15",),
            "每周调度、每周小结", _SEEDS,
        ),
        DeadlineRule(
            R15_REPORT, 1, date(2015, 8, 3), RuleKind.CADENCE, 14, ("R15",),
            "每两周向县委巡察办和巡察组报告", _SEEDS,
        ),
        DeadlineRule(
            R1_TASK_DUE, 1, date(2015, 8, 3), RuleKind.SAME_DAY, 0, ("R1",),
            "整改任务按审定方案的完成时限完成（立行立改须在整改报告前完成）", _SEEDS,
        ),
        DeadlineRule(
            R4_SUPERVISION_DUE, 1, date(2015, 8, 3), RuleKind.SAME_DAY, 0, ("R4",),
            "督办事项在督办时限内整改到位（单位报告整改完成）", f"{_XUNSHI} 第三十一条；{_SEEDS}",
        ),
        DeadlineRule(
            R4_CADRE_OPINION_REPLY, 1, date(2015, 8, 3), RuleKind.SAME_DAY, 0, ("R4",),
            "在组织部门要求的日期前回复干部任用征求巡察意见", f"{_XUNSHI} 第三十条；{_SEEDS}",
        ),
        DeadlineRule(
            R23_INFORMANT_RETENTION, 1, date(2021, 11, 1), RuleKind.CALENDAR_MONTHS, 24, ("R23",),
            "线索办结后保存期限届满，销毁实名举报人身份（期限由部署配置，默认24个月）",
            f"{_PIPL}（2021年11月1日施行）；保存期限由各地规定",
        ),
    ]
)  # fmt: skip


# ---- R10 thresholds per jurisdiction ----------------------------------------------------------

#: ``{"default": {"yellow_days": 20, "red_days": 0}, "330102": {"yellow_days": 10}}``
WARNINGS_ENV = "XUNCHA_DEADLINE_WARNINGS"


@dataclass(frozen=True)
class Thresholds:
    """Calendar days before the due date at which the yellow and the red warning fire."""

    yellow_days: int
    red_days: int

    def __post_init__(self) -> None:
        if not 0 <= self.red_days <= self.yellow_days <= 366:
            raise ValueError("thresholds need 0 <= red_days <= yellow_days <= 366")


@dataclass(frozen=True)
class WarningPolicy:
    """R10: the rule's default thresholds, overridden per jurisdiction (six-digit code)."""

    default: Thresholds
    per_jurisdiction: Mapping[str, Thresholds] = field(default_factory=dict)
    rule_id: str = R10_WARNINGS
    rule_version: int = 1

    def for_jurisdiction(self, jurisdiction: str) -> Thresholds:
        return self.per_jurisdiction.get(jurisdiction, self.default)

    @classmethod
    def from_rules(
        cls,
        rules: RuleBook = RULES,
        on: date | None = None,
        overrides: Mapping[str, Mapping[str, int]] | None = None,
    ) -> WarningPolicy:
        rule = rules.applicable(R10_WARNINGS, on or date.today())
        default = Thresholds(int(rule.yellow_days or 0), int(rule.red_days or 0))
        overrides = dict(overrides or {})
        if "default" in overrides:
            default = _thresholds(overrides.pop("default"), default)
        per = {code: _thresholds(v, default) for code, v in overrides.items()}
        return cls(default, per, rule.id, rule.version)

    @classmethod
    def from_env(cls, rules: RuleBook = RULES) -> WarningPolicy:
        raw = os.environ.get(WARNINGS_ENV, "").strip()
        return cls.from_rules(rules, overrides=json.loads(raw) if raw else None)


def _thresholds(value: Mapping[str, int], base: Thresholds) -> Thresholds:
    unknown = set(value) - {"yellow_days", "red_days"}
    if unknown:
        raise ValueError(f"unknown threshold field(s) {sorted(unknown)}")
    return Thresholds(
        int(value.get("yellow_days", base.yellow_days)), int(value.get("red_days", base.red_days))
    )


def describe(rules: RuleBook, rule_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Every version of the given rules, as ``GET /api/v1/rules`` lists them."""
    return [r.to_json() for rule_id in rule_ids for r in rules.versions(rule_id)]
