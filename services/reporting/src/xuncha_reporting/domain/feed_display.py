"""What a sharing feed's item shows (pure): its kind in Chinese, and the names an item projected
from a single event cannot carry, taken from the lifecycle documents when the feed is read.

A feed item is written by the projection from one event (``projection.own_changes``,
``organisation_feed``, ``rectification_docs``), which names only what that event
names. Two kinds of the 组织部 feed need more:

* a problem (``clues.ProblemRecorded``) names its unit by id (clues follows no units of intake):
  the feed shows the name intake registered (``intake.UnitRegistered``, the ``unit`` document);
* an inspector grade (``intake.InspectorEvaluated``) and a reserve cadre admitted
  (``intake.ReserveCadreAdmitted``) name a group and a pool member by id: the feed shows the
  member's name and home unit (``intake.TalentPoolMemberEnrolled``, the ``pool_member``
  document) and the round and group (``GroupFormed``, ``RoundPlanned``).

``projection_tables.FEED_NAMES`` reads those documents beside the item (one index probe each);
``displayed`` turns such a row into what the feed and the department's share topic show.
"""

from __future__ import annotations

from typing import Any

from xuncha_shared.contracts.rectification import RedLineFinding
from xuncha_shared.domain import jurisdictions

from xuncha_reporting.domain.model import FeedKind

FEED_KIND_ZH: dict[str, str] = {
    FeedKind.CLUE_TRANSFER.value: "移交线索",
    FeedKind.CLUE_URGE.value: "催办",
    FeedKind.ISSUE_FED_BACK.value: "反馈问题",
    FeedKind.PROBLEM.value: "发现问题",
    FeedKind.INSPECTOR_GRADE.value: "巡察干部评价",
    FeedKind.NEGATIVE_RECORD.value: "负面信息档案",
    FeedKind.RESERVE_CADRE.value: "纳入后备干部库",
    FeedKind.RESERVE_CADRE_REMOVED.value: "移出后备干部库",
}
#: an inspector grade's stored summary: this prefix and the grade (``organisation_feed``)
GRADE_SUMMARY_PREFIX = "巡察干部评价："
#: a reserve cadre's stored summary: this prefix and the day (``organisation_feed``)
RESERVE_SUMMARY_PREFIX = "纳入后备干部库："
#: a reserve cadre's removal's stored summary: this prefix and the day
REMOVAL_SUMMARY_PREFIX = "移出后备干部库："
#: the red-line findings (``rectification.RedLineFinding``) a negative record's ``reason`` holds
FINDING_ZH: dict[str, str] = {
    RedLineFinding.PERFUNCTORY.value: "敷衍整改",
    RedLineFinding.FALSE.value: "虚假整改",
    RedLineFinding.REPEATED.value: "整改不力、屡改屡犯",
}
#: the columns ``projection_tables.FEED_NAMES`` adds to an item's row
NAME_COLUMNS: tuple[str, ...] = (
    "member_name",
    "group_no",
    "round_jurisdiction",
    "term_no",
    "round_no",
)


def group_title(row: dict[str, Any]) -> str:
    """``抚州市第5届第2轮第1巡察组`` (what is known of it)."""
    title = ""
    if row.get("round_no") is not None:
        where = str(row.get("round_jurisdiction") or "").strip()
        title = jurisdictions.name_of(where) if where else ""
        title += f"第{row['term_no']}届第{row['round_no']}轮"
    if row.get("group_no") is not None:
        title += f"第{row['group_no']}巡察组"
    return title


def grade_summary(row: dict[str, Any]) -> str:
    """An inspector grade: who was graded, in which round and group, and the grade."""
    grade = str(row["summary"]).removeprefix(GRADE_SUMMARY_PREFIX)
    who = row.get("member_name") or "未登记入库的巡察干部"
    where = group_title(row)
    return f"{who}（{where}）评价等次：{grade}" if where else f"{who}，评价等次：{grade}"


def reserve_summary(row: dict[str, Any]) -> str:
    """A reserve cadre admitted: who, after which round and group's evaluation, and when."""
    day = str(row["summary"]).removeprefix(RESERVE_SUMMARY_PREFIX)
    who = row.get("member_name") or "未登记入库的巡察干部"
    where = group_title(row)
    after = f"（{where}评价优秀）" if where else "（评价优秀）"
    return f"{who}{after}于{day}纳入后备干部库"


def removal_summary(row: dict[str, Any]) -> str:
    """A reserve cadre taken out: who and when (the reason is the item's ``reason``)."""
    day = str(row["summary"]).removeprefix(REMOVAL_SUMMARY_PREFIX)
    who = row.get("member_name") or "未登记入库的巡察干部"
    return f"{who}于{day}移出后备干部库"


def displayed(row: dict[str, Any]) -> dict[str, Any]:
    """The item of a feed row read with ``FEED_NAMES`` (its ``unit`` resolved there already):
    ``kind_zh``, an inspector grade's summary naming the inspector, a negative record's finding
    in Chinese; the name columns dropped."""
    out = {k: v for k, v in row.items() if k not in NAME_COLUMNS}
    kind = str(row["kind"])
    out["kind_zh"] = FEED_KIND_ZH.get(kind, kind)
    if kind == FeedKind.INSPECTOR_GRADE.value:
        out["summary"] = grade_summary(row)
    elif kind == FeedKind.RESERVE_CADRE.value:
        out["summary"] = reserve_summary(row)
    elif kind == FeedKind.RESERVE_CADRE_REMOVED.value:
        out["summary"] = removal_summary(row)
    elif kind == FeedKind.NEGATIVE_RECORD.value and row.get("reason"):
        out["reason"] = FINDING_ZH.get(str(row["reason"]), row["reason"])
    return out
