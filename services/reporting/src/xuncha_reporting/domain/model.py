"""What a projected event changes: facts (counted once each), feed items and acknowledgements.

Every change is keyed so that applying it twice, or applying the changes of several events in
any order, gives the same rows:

* a ``Fact`` is one countable thing (a petition, a registered clue, a fed-back issue...) keyed
  by ``(metric, key)``; a counter goes up only when the fact is new;
* a ``FeedItem`` is keyed by ``item_id`` (``<source event id>:<department>``);
* an ``Ack`` is keyed by ``item_id`` and kept apart from the item, so an acknowledgement that
  happens to be applied before its item (a rebuild merges histories of several databases) still
  ends in the same state;
* the rectification ledger (整改台账) keeps a ``LedgerIssue`` per issue (keyed by ``issue_id``)
  and a ``LedgerReport`` per report event (keyed by its event id), apart from each other for the
  same reason; a unit's ledger is joined from both when it is read (``domain.ledger``).

No change carries informant data: the types below have no field that could hold it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from xuncha_shared.contracts.common import Department


class Metric(StrEnum):
    """Counters of the city/county linked view (one per jurisdiction and metric)."""

    PETITIONS_RECEIVED = "petitions_received"  # 信访举报受理
    CLUES_REGISTERED = "clues_registered"  # 线索登记
    CLUES_TRANSFERRED = "clues_transferred"  # 线索移交
    CLUES_ESCALATED = "clues_escalated"  # 线索上报市委巡察办
    ISSUES_FED_BACK = "issues_fed_back"  # 反馈问题
    RECTIFICATION_REPORTS = "rectification_reports"  # 整改报告
    CLUES_VERIFIED = "clues_verified"  # 线索核查
    CLUES_ACKNOWLEDGED = "clues_acknowledged"  # 部门签收
    CLUE_RESULTS = "clue_results"  # 反馈办理结果
    CLUES_DISPOSED = "clues_disposed"  # 线索办结
    CLUES_OVERDUE = "clues_overdue"  # 办理结果逾期 (R3)
    ISSUES_COMPLETED = "issues_completed"  # 自报整改完成的问题 (self-declared)
    ISSUES_CLOSED_OUT = "issues_closed_out"  # 核实销号的问题 (verified and closed out)
    #: close-outs a revisit (回头看) took back: not a column, subtracted from issues_closed_out
    ISSUES_REOPENED = "issues_reopened"
    #: completions a rejected verification or a revisit's reopening withdrew: not a column,
    #: subtracted from issues_completed
    COMPLETIONS_WITHDRAWN = "completions_withdrawn"


METRICS: tuple[Metric, ...] = tuple(Metric)


class FeedKind(StrEnum):
    CLUE_TRANSFER = "clue_transfer"  # 移交线索
    CLUE_URGE = "clue_urge"  # 催办 (R27): the office chases a transferred clue's result
    ISSUE_FED_BACK = "issue_fed_back"  # 反馈问题
    PROBLEM = "problem"  # 发现问题 (组织部: 民主集中制, 选人用人)
    INSPECTOR_GRADE = "inspector_grade"  # 巡察干部评价 (组织部)
    NEGATIVE_RECORD = "negative_record"  # 负面信息档案 (R20 red-line warning)
    RESERVE_CADRE = "reserve_cadre"  # 纳入后备干部库 (组织部, 004:L8)
    RESERVE_CADRE_REMOVED = "reserve_cadre_removed"  # 移出后备干部库 (组织部)


@dataclass(frozen=True)
class Fact:
    """One countable thing: counted once for ``jurisdiction`` however often it is seen."""

    metric: Metric
    key: str
    jurisdiction: str


@dataclass(frozen=True)
class FeedItem:
    """An item shared with one receiving department (the matter, never the source)."""

    item_id: str
    department: Department
    kind: FeedKind
    source_event_id: UUID
    source_event_type: str
    ref_id: str  # the clue id (a transfer's, an urge's) or the issue id
    jurisdiction: str
    unit: str
    summary: str
    reason: str | None
    rect_type: str | None
    due_date: str | None
    occurred_at: datetime
    #: a transfer made on paper: the day of its 移交函 (``ClueTransferred`` v2, R26)
    letter_on: date | None = None


@dataclass(frozen=True)
class Ack:
    """签收: the department acknowledged the item (reporting.ShareItemAcknowledged)."""

    item_id: str
    department: Department
    ack_event_id: UUID
    acknowledged_at: datetime
    acknowledged_by: str
    note: str | None


@dataclass(frozen=True)
class LedgerIssue:
    """整改台账: one problem fed back to an inspected unit (rectification.IssueFedBack)."""

    issue_id: UUID
    feedback_id: UUID
    jurisdiction: str
    unit: str
    description: str
    rect_type: str  # RectType value: immediate | time_bound | long_term
    due_date: str | None  # ISO date of the formal (2-month) report, R1, as the event says
    fed_back_at: datetime  # the event's occurred_at
    source_event_id: UUID


@dataclass(frozen=True)
class LedgerReport:
    """整改报告: one report on an issue (rectification.RectificationReported), keyed by the
    event id (an issue has many)."""

    event_id: UUID
    issue_id: UUID
    jurisdiction: str
    kind: str  # ReportKind value: progress | formal | final
    progress_percent: int
    completed: bool
    note: str
    reported_at: datetime  # the event's occurred_at


@dataclass(frozen=True)
class DeadlineStart:
    """A deadline started by its starting event (期限起算): the owning service's rule in force
    on the start day gives version and due date (computed where the change is applied, with the
    same rules and calendar as the service; ``due_date`` when the event carries its own)."""

    kind: str  # the owning service's DeadlineKind name, e.g. rectification.formal_report
    key: str  # the aggregate id
    rule_id: str
    case_type: str  # issue | clue | petition
    jurisdiction: str
    owner: str  # the unit, department or office that must act
    waits_for: str
    started_at: datetime
    due_date: str | None = None


@dataclass(frozen=True)
class DeadlineFired:
    """A warning (yellow, red) or the overdue firing of a deadline: the firing event carries
    the deadline's rule version and due date, which win over the computed ones."""

    kind: str
    key: str
    stage: str  # yellow | red | overdue
    event_id: UUID
    rule_id: str
    rule_version: int
    due_date: str
    case_type: str
    jurisdiction: str
    owner: str
    waits_for: str
    at: datetime


@dataclass(frozen=True)
class Doc:
    """One entity of the inspection lifecycle (a unit, term plan, round, group, stationing,
    intake record, a clue's round or class ...) as the views need it, keyed by ``(kind, key)``.
    A later version (``at``) replaces an earlier one, so the order of arrival does not matter."""

    kind: str
    key: str
    jurisdiction: str
    doc: dict[str, Any]
    at: datetime


#: makes one ``Doc`` of the event being projected: (kind, key, body)
MakeDoc = Callable[[str, object, dict[str, Any]], Doc]


@dataclass(frozen=True)
class DeadlineEnded:
    """The awaited event happened (met / met_late, decided against the due date when read)."""

    kind: str
    key: str
    event_id: UUID
    at: datetime


@dataclass(frozen=True)
class DeadlineRescheduled:
    """A provisional due date replaced by the final one (``DeadlineRecomputed``)."""

    kind: str
    key: str
    due_date: str


@dataclass(frozen=True)
class CaseMark:
    """A case's turn (``rectification_clocks``): an issue reported done or closed out
    (``done``), or back in progress (a rejected verification, a reopening). The deadlines that
    wait for the issue to be done are ended by these marks when the view is read."""

    case_id: str
    event_id: UUID
    at: datetime
    done: bool


@dataclass(frozen=True)
class DemoMark:
    """The event was written with a demo principal's token (shows the 演示数据 badge)."""


Change = (
    Fact
    | FeedItem
    | Ack
    | DemoMark
    | LedgerIssue
    | LedgerReport
    | DeadlineStart
    | DeadlineFired
    | DeadlineEnded
    | DeadlineRescheduled
    | CaseMark
    | Doc
)
