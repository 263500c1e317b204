"""The deadlines view (期限): what each service's clocks wait for, rebuilt from their events.

Reporting cannot read the services' ``deadlines`` tables; it follows the events instead: the
starting event (``IssueFedBack`` for R1, ``ClueTransferred`` for R3, a real-name
``PetitionReceived`` for R8), the firing events (warnings, overdue), ``DeadlineRecomputed`` and
the satisfying event (a formal or final ``RectificationReported`` for R1, ``ClueEscalated`` for
R7). A rectification task's and a supervision's deadlines end by the issue's marks
(``rectification_clocks``). R7's clock is started inside the clues service from the clue's state
(registration time, R12 classification); reporting learns of an R7 deadline from its
``EscalationOverdue`` only.

The state is decided when the view is read, from what the rows hold, so the order in which the
events were applied does not matter (a rebuild merges several histories)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from typing import Any

CST = timezone(timedelta(hours=8), "CST")


class Kind(StrEnum):
    """The deadline kinds of the services (their ``DeadlineKind.name``)."""

    FORMAL_REPORT = "rectification.formal_report"  # R1
    TASK_DUE = "rectification.task_due"  # R1, each task of an approved plan
    SUPERVISION = "rectification.supervision_due"  # R4
    CADRE_OPINION = "rectification.cadre_opinion_reply"  # R4, the 组织部's reply_by
    TRANSFER_RESULT = "clues.transfer_result"  # R3
    ESCALATION = "clues.escalation"  # R7
    ACCEPTANCE_NOTICE = "intake.acceptance_notice"  # R8
    RESULT_NOTICE = "intake.result_notice"  # R8, the result
    WALK_IN = "intake.walk_in"  # R13
    STATIONING = "intake.stationing"  # R14
    DISPATCH = "intake.dispatch"  # R15 weekly
    PROGRESS_REPORT = "intake.progress_report"  # R15 every two weeks


@dataclass(frozen=True)
class KindInfo:
    rule_id: str
    case_type: str
    waits_for: str
    waits_for_zh: str


KINDS: dict[str, KindInfo] = {
    Kind.FORMAL_REPORT: KindInfo(
        "xunshi_2015_art27",
        "issue",
        "rectification.RectificationReported(kind=formal)",
        "被巡察单位报送整改情况报告",
    ),
    Kind.TASK_DUE: KindInfo(
        "rectification_task_due",
        "issue",
        "rectification.RectificationTaskCompleted or RectificationReported(completed=true)",
        "按审定方案（或退回时确定的时限）完成整改任务",
    ),
    Kind.SUPERVISION: KindInfo(
        "supervision_due",
        "issue",
        "rectification.RectificationReported(completed=true)",
        "督办事项整改到位",
    ),
    Kind.CADRE_OPINION: KindInfo(
        "cadre_opinion_reply",
        "cadre_opinion",
        "rectification.CadreOpinionGiven",
        "回复组织部门干部任用征求意见",
    ),
    Kind.TRANSFER_RESULT: KindInfo(
        "xunshi_2015_art29", "clue", "clues.TransferResultReported", "职能部门反馈线索办理情况"
    ),
    Kind.ESCALATION: KindInfo(
        "jianju_2020_forward", "clue", "clues.ClueEscalated", "报送市委巡察办"
    ),
    Kind.ACCEPTANCE_NOTICE: KindInfo(
        "jianju_2020_acceptance",
        "petition",
        "intake.InformantNotified(notice=acceptance)",
        "告知实名举报人受理情况",
    ),
    Kind.RESULT_NOTICE: KindInfo(
        "jianju_2020_result",
        "petition",
        "intake.InformantNotified(notice=result)",
        "告知实名举报人办理结果",
    ),
    Kind.WALK_IN: KindInfo(
        "walk_in_same_day", "petition", "intake.WalkInHandled", "来访当日由领导接待处理"
    ),
    Kind.STATIONING: KindInfo("stationing", "group", "intake.StationingEnded", "结束进驻"),
    Kind.DISPATCH: KindInfo(
        "weekly_dispatch", "group", "intake.DispatchHeld", "巡察办开展本周调度"
    ),
    Kind.PROGRESS_REPORT: KindInfo(
        "biweekly_report", "group", "intake.ProgressReported", "巡察组向巡察办报告进展"
    ),
}

#: what reporting's ``GET /api/v1/rules`` lists: the rules of the kinds it projects (it
#: computes their due dates from the starting events) and R10, whose colours it counts
VIEW_RULE_IDS: tuple[str, ...] = (
    *dict.fromkeys(info.rule_id for info in KINDS.values()),
    "warning_colours",
)

#: the case each kind waits on, as a path of the owning service's API
#: the case mark of a case whose deadlines no longer apply, before the case's id (the key of its
#: rows): a withdrawn request for an opinion on a cadre (R4), a petition whose reporter's
#: identity was erased (R23: nobody can be told, R8). Its rows of ``WITHDRAWABLE_KINDS`` not
#: ended are left out of the view (``deadline_pages.not_withdrawn``)
WITHDRAWN_PREFIX = "withdrawn:"


WITHDRAWABLE_KINDS: tuple[Kind, ...] = (
    Kind.CADRE_OPINION,
    Kind.ACCEPTANCE_NOTICE,
    Kind.RESULT_NOTICE,
)


def withdrawn_case(case_id: object) -> str:
    return f"{WITHDRAWN_PREFIX}{case_id}"


CASE_LINKS: dict[str, str] = {
    "issue": "/api/v1/rectifications/{id}",
    "clue": "/api/v1/clues/{id}",
    "petition": "/api/v1/petitions/{id}",
    "group": "/api/v1/groups/{id}",
    "cadre_opinion": "/api/v1/cadre-opinions/{id}",
}


class State(StrEnum):
    RUNNING = "running"
    WARNING_YELLOW = "warning_yellow"
    WARNING_RED = "warning_red"
    OVERDUE = "overdue"
    MET = "met"
    MET_LATE = "met_late"


STATES: tuple[str, ...] = tuple(State)
#: the workbench's colours: green while running, yellow after the yellow warning, red after the
#: red warning or once overdue
COLOUR_OF: dict[State, str] = {
    State.RUNNING: "green",
    State.WARNING_YELLOW: "yellow",
    State.WARNING_RED: "red",
    State.OVERDUE: "red",
}


def start_of_day(day: date) -> datetime:
    """00:00 Beijing time of ``day``: the moment an event that names only its day happened (a
    notice sent, a task done, an answer given)."""
    return datetime.combine(day, time(0), CST)


def overdue_from(due: date) -> datetime:
    """The moment a deadline with last day ``due`` is late: 00:00 Beijing time the day after."""
    return datetime.combine(due + timedelta(days=1), time(0), CST)


#: the kinds whose service fires no yellow warning but whose clock runs long enough for R10's
#: yellow to mean "near" (weeks or months): a task's due day, a supervision's, an answer's to
#: 组织部. The short clocks (a week's 调度, 15 working days of R8 or R14, a walk-in's day) stay
#: green until their last day rather than being yellow from their start.
YELLOW_BY_DATE: frozenset[str] = frozenset(
    {Kind.TASK_DUE.value, Kind.SUPERVISION.value, Kind.CADRE_OPINION.value}
)


def yellow_by_date(row: dict[str, Any], today: date, days: int) -> bool:
    """R10 for a deadline of ``YELLOW_BY_DATE``: yellow within ``days`` of its due date, as the
    挂图作战 board's 临期 is."""
    due: date = row["due_date"]
    return row["kind"] in YELLOW_BY_DATE and 0 <= (due - today).days <= days


#: R10's yellow threshold of a jurisdiction, in days before a due date (the deployment's
#: ``WarningPolicy``, as the board reads it)
YellowDays = Callable[[str], int]


def state_of(
    row: dict[str, Any], today: date | None = None, yellow: YellowDays | None = None
) -> State:
    """A deadline row's state (see the module docstring). With ``today`` (Beijing date), R10
    makes an open deadline red on its due date even when no red warning fires for its kind (a
    walk-in to be received the same day, or a yellow one whose red warning is not in yet): red
    on its last day, overdue from the next, when its overdue event arrives; and, with
    ``yellow``, yellow within the threshold of its due date even when no yellow warning fires
    for its kind (``yellow_by_date``)."""
    due: date = row["due_date"]
    if row["ended_at"] is not None:
        return State.MET if row["ended_at"] < overdue_from(due) else State.MET_LATE
    if row["overdue_event_id"] is not None:
        return State.OVERDUE
    if row["red_event_id"] is not None:
        return State.WARNING_RED
    if due == today:
        return State.WARNING_RED
    if row["yellow_event_id"] is not None:
        return State.WARNING_YELLOW
    if (
        today is not None
        and yellow is not None
        and yellow_by_date(row, today, yellow(row["jurisdiction"]))
    ):
        return State.WARNING_YELLOW
    return State.RUNNING


def days_late(row: dict[str, Any], today: date) -> int:
    """Calendar days an overdue deadline is past its due date (at least 1: it is overdue from
    the day after)."""
    late: int = (today - row["due_date"]).days
    return max(1, late)


def deadline_item(
    row: dict[str, Any], today: date, yellow: YellowDays | None = None
) -> dict[str, Any]:
    """The view's item of a deadline row."""
    info = KINDS.get(row["kind"])
    state = state_of(row, today, yellow)
    case_type = row["case_type"]
    case_id = row["key"].split("/")[0]  # a key is the case's id, or ``<case>/<more>``
    return {
        "kind": row["kind"],
        "case": {
            "type": case_type,
            "id": case_id,
            "link": CASE_LINKS.get(case_type, "").format(id=case_id),
        },
        "rule_id": row["rule_id"],
        "rule_version": row["rule_version"],
        "due_date": row["due_date"],
        "jurisdiction": row["jurisdiction"],
        "owner": row["owner"],
        "waits_for": row["waits_for"],
        "waits_for_zh": info.waits_for_zh if info else row["waits_for"],
        "state": state.value,
        "started_at": row["started_at"],
        "ended_at": row["ended_at"],
        "days_late": days_late(row, today) if state is State.OVERDUE else 0,
    }


def summary(
    rows: list[dict[str, Any]], today: date | None = None, yellow: YellowDays | None = None
) -> dict[str, dict[str, int]]:
    """Per jurisdiction: open deadlines by colour (green, yellow, red) and how many of the red
    are overdue, by ``state_of`` on ``today``: the list's states, counted."""
    out: dict[str, dict[str, int]] = {}
    for row in rows:
        state = state_of(row, today, yellow)
        colour = COLOUR_OF.get(state)
        if colour is None:
            continue
        counts = out.setdefault(
            row["jurisdiction"], {"green": 0, "yellow": 0, "red": 0, "overdue": 0}
        )
        counts[colour] += 1
        if state is State.OVERDUE:
            counts["overdue"] += 1
    return out
