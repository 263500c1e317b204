"""The commands of the issue aggregate (``model.decide_*`` takes them). Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from xuncha_shared.contracts.common import Department
from xuncha_shared.contracts.rectification import (
    EvidenceRef,
    RectType,
    ReportKind,
    VerificationOutcome,
)


@dataclass(frozen=True)
class IssueSpec:
    issue_id: UUID
    description: str
    rect_type: RectType = RectType.TIME_BOUND
    clue_ids: tuple[UUID, ...] = ()
    concerns: tuple[Department, ...] = ()
    topics: tuple[str, ...] = ()
    problem_id: UUID | None = None  # the problem recorded in 问题与报告 it feeds back


@dataclass(frozen=True)
class FeedBack:
    feedback_id: UUID
    jurisdiction: str
    unit: str
    issues: tuple[IssueSpec, ...]
    fed_back_at: datetime
    round_id: UUID | None = None
    unit_id: UUID | None = None
    during_stationing: bool = False
    #: the round's name, for a round intake does not plan (a provincial review's)
    round_name: str | None = None


@dataclass(frozen=True)
class ReportRectification:
    kind: ReportKind
    progress_percent: int
    completed: bool
    note: str
    evidence: tuple[EvidenceRef, ...] = ()
    leader_report: str | None = None


@dataclass(frozen=True)
class VerifyRectification:
    outcome: VerificationOutcome
    note: str
    evidence: tuple[EvidenceRef, ...] = ()


@dataclass(frozen=True)
class CloseOut:
    note: str
    mechanism: str | None = None
