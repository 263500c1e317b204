"""The reporting projection as a pure function: events in, changes out; the views over them."""

from __future__ import annotations

import base64
import hashlib
import random
import uuid
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from xuncha_reporting.domain import (
    Ack,
    DemoMark,
    Fact,
    FeedItem,
    FeedKind,
    LedgerIssue,
    LedgerReport,
    Metric,
    feed_item_id,
    project,
)
from xuncha_reporting.domain.access import (
    ensure_feed_acker,
    ensure_feed_reader,
    linked_view_scope,
)
from xuncha_reporting.domain.model import DeadlineEnded, DeadlineStart, Doc
from xuncha_reporting.domain.views import completion_rate, linked_view, single_row
from xuncha_shared.contracts import REGISTRY
from xuncha_shared.contracts.clues import (
    ClueEscalated,
    ClueRegistered,
    ClueTransferred,
    TransferResultUrged,
)
from xuncha_shared.contracts.common import Department, SealedPersonalData
from xuncha_shared.contracts.intake import PetitionReceived
from xuncha_shared.contracts.rectification import IssueFedBack, RectificationReported, ReportKind
from xuncha_shared.contracts.reporting import ShareItemAcknowledged
from xuncha_shared.domain.errors import DomainError
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.envelope import Actor, EventEnvelope, EventPayload
from xuncha_shared.eventstore.base import NewEvent, seal_events

CITY = "361000"
LINCHUAN = "361002"
NANCHENG = "361021"
ACTOR = Actor(principal_id="office-1", role="city_admin")
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def envelope(
    payload: EventPayload,
    jurisdiction: str,
    *,
    stream_type: str = "petition",
    stream_id: str | None = None,
    actor: Actor = ACTOR,
    at: datetime = T0,
) -> EventEnvelope:
    [sealed] = seal_events(
        stream_type,
        stream_id or str(uuid.uuid4()),
        1,
        "0" * 64,
        [NewEvent(payload, jurisdiction, actor, occurred_at=at)],
        at,
    )
    return sealed


def petition(jurisdiction: str = LINCHUAN, with_informant: bool = True) -> PetitionReceived:
    pid = uuid.uuid4()
    informant = (
        SealedPersonalData(
            person_id=uuid.uuid4(),
            nonce=base64.b64encode(b"n" * 12).decode(),
            ciphertext=base64.b64encode(b"CIPHERTEXT-OF-INFORMANT").decode(),
        )
        if with_informant
        else None
    )
    return PetitionReceived(
        petition_id=pid,
        jurisdiction=jurisdiction,
        unit="临川区农业农村局",
        channel="letter",
        summary="反映该局违规发放惠民资金问题",
        informant=informant,
        receipt_code_hash=hashlib.sha256(pid.bytes).hexdigest(),
    )


def test_petition_counts_once_for_its_jurisdiction_and_never_carries_the_informant():
    payload = petition()
    changes = project(envelope(payload, LINCHUAN), payload)
    assert changes[0] == Fact(Metric.PETITIONS_RECEIVED, str(payload.petition_id), LINCHUAN)
    # a real-name petition starts R8's acceptance-notice clock, with nothing of the informant
    [start] = changes[1:]
    assert isinstance(start, DeadlineStart)
    assert (start.kind, start.key, start.owner) == (
        "intake.acceptance_notice",
        str(payload.petition_id),
        LINCHUAN,
    )
    text = repr(changes)
    assert "CIPHERTEXT" not in text
    assert "informant" not in text


def test_feed_types_have_no_informant_fields():
    names = {f.name for f in fields(FeedItem)} | {f.name for f in fields(Ack)}
    assert not any("informant" in n or "person" in n or "receipt" in n for n in names)


def test_clue_lifecycle_counts():
    clue_id = uuid.uuid4()
    reg = ClueRegistered(clue_id=clue_id, jurisdiction=NANCHENG, unit="南城县某乡", summary="x")
    esc = ClueEscalated(
        clue_id=clue_id, from_jurisdiction=NANCHENG, to_jurisdiction=CITY, reason="涉及市管干部"
    )
    env = envelope(reg, NANCHENG, stream_type="clue")
    assert project(env, reg) == [
        Fact(Metric.CLUES_REGISTERED, str(clue_id), NANCHENG),
        # the clue funnel's document of the clue, in the county that registered it
        Doc(
            "clue",
            str(clue_id),
            NANCHENG,
            {"source_channel": None, "unit": "南城县某乡"},
            env.occurred_at,
        ),
    ]
    # an escalation counts for the county it came from (线索上报市委巡察办), and ends R7
    env = envelope(esc, CITY, stream_type="clue")
    assert project(env, esc) == [
        Fact(Metric.CLUES_ESCALATED, str(clue_id), NANCHENG),
        Doc("clue_escalate", str(clue_id), CITY, {"to": CITY}, env.occurred_at),
        DeadlineEnded("clues.escalation", str(clue_id), env.event_id, env.occurred_at),
    ]


def test_transfer_makes_a_feed_item_for_that_department():
    clue_id = uuid.uuid4()
    payload = ClueTransferred(
        clue_id=clue_id,
        department=Department.DISCIPLINE,
        reason="涉嫌违反廉洁纪律",
        jurisdiction=LINCHUAN,
        unit="临川区住建局",
        summary="工程项目招投标中存在围标串标问题",
    )
    env = envelope(payload, LINCHUAN, stream_type="clue")
    changes = project(env, payload)
    assert changes[0] == Fact(Metric.CLUES_TRANSFERRED, str(clue_id), LINCHUAN)
    item = changes[1]
    assert isinstance(item, FeedItem)
    assert (
        item.item_id
        == f"{env.event_id}:discipline_commission"
        == feed_item_id(env.event_id, "discipline_commission")
    )
    assert item.kind is FeedKind.CLUE_TRANSFER
    assert item.department is Department.DISCIPLINE
    assert (item.unit, item.summary, item.reason) == (
        "临川区住建局",
        "工程项目招投标中存在围标串标问题",
        "涉嫌违反廉洁纪律",
    )
    # deterministic: the same event gives the same item (redelivery, rebuild)
    assert project(env, payload) == changes
    # a sealed number's mark reaches the department as left out, not as a number given
    marked = payload.model_copy(update={"summary": "实名来信反映，电话［已密封的电话号码1］"})
    [item] = [c for c in project(envelope(marked, LINCHUAN, stream_type="clue"), marked)
              if isinstance(c, FeedItem)]  # fmt: skip
    assert item.summary == "实名来信反映，电话［已隐去］"


def test_an_urge_makes_a_feed_item_for_the_clues_department():
    """催办 (R27): the department's feed shares the office's urge, with its note and R3's last
    day; the clue's funnel document keeps the latest urge."""
    clue_id = uuid.uuid4()
    payload = TransferResultUrged(
        clue_id=clue_id,
        department=Department.ORGANISATION,
        jurisdiction=LINCHUAN,
        unit="临川区住建局",
        summary="违规选人用人",
        note="已超过办理期限，请尽快反馈",
        urged_on=date(2024, 6, 3),
        urge_no=2,
        due_date=date(2024, 6, 1),
        overdue=True,
    )
    env = envelope(payload, LINCHUAN, stream_type="clue")
    changes = project(env, payload)
    [item] = [c for c in changes if isinstance(c, FeedItem)]
    assert item.item_id == feed_item_id(env.event_id, "organisation")
    assert (item.kind, item.department, item.ref_id) == (
        FeedKind.CLUE_URGE,
        Department.ORGANISATION,
        str(clue_id),
    )
    assert (item.unit, item.summary, item.reason, item.due_date) == (
        "临川区住建局",
        "违规选人用人",
        "已超过办理期限，请尽快反馈",
        "2024-06-01",
    )
    [doc] = [c for c in changes if isinstance(c, Doc)]
    assert (doc.kind, doc.key, doc.doc["urge_no"], doc.doc["overdue"]) == (
        "clue_urge",
        str(clue_id),
        2,
        True,
    )
    assert project(env, payload) == changes  # deterministic


def test_r3_counts_from_the_transfer_letter_of_a_transfer_made_on_paper():
    """补录 (R26): the deadlines view starts R3 at 00:00 (China time) of the letter's day, as the
    clues service does; without the day, at the event's time."""
    letter = date(2023, 11, 20)
    body = {
        "clue_id": uuid.uuid4(),
        "department": Department.DISCIPLINE,
        "reason": "移交",
        "jurisdiction": CITY,
        "unit": "市某局",
        "summary": "反映问题",
    }
    for transferred_on, started_at in (
        (letter, datetime(2023, 11, 20, tzinfo=timezone(timedelta(hours=8)))),
        (None, T0),
    ):
        payload = ClueTransferred(**body, transferred_on=transferred_on)
        [start] = [
            c for c in project(envelope(payload, CITY), payload) if isinstance(c, DeadlineStart)
        ]
        assert (start.kind, start.started_at) == ("clues.transfer_result", started_at)
        # and the department's feed item carries the letter's day beside the entry time
        [item] = [c for c in project(envelope(payload, CITY), payload) if isinstance(c, FeedItem)]
        assert (item.letter_on, item.occurred_at) == (transferred_on, T0)


def test_issue_fed_back_goes_to_every_concerned_department_once():
    issue_id = uuid.uuid4()
    payload = IssueFedBack(
        issue_id=issue_id,
        feedback_id=uuid.uuid4(),
        jurisdiction=CITY,
        unit="市财政局",
        description="“三重一大”决策制度执行不严格",
        concerns=[Department.ORGANISATION, Department.FINANCE, Department.ORGANISATION],
        due_date="2024-05-01",
    )
    env = envelope(payload, CITY, stream_type="issue")
    changes = project(env, payload)
    assert changes[0] == Fact(Metric.ISSUES_FED_BACK, str(issue_id), CITY)
    items = [c for c in changes if isinstance(c, FeedItem)]
    assert [i.department for i in items] == [Department.ORGANISATION, Department.FINANCE]
    assert {i.item_id for i in items} == {
        f"{env.event_id}:organisation",
        f"{env.event_id}:finance",
    }
    assert all(i.kind is FeedKind.ISSUE_FED_BACK and i.due_date == "2024-05-01" for i in items)


def test_issue_without_concerns_shares_nothing():
    payload = IssueFedBack(
        issue_id=uuid.uuid4(),
        feedback_id=uuid.uuid4(),
        jurisdiction=CITY,
        unit="市交通运输局",
        description="党建工作责任制落实不到位",
    )
    changes = project(envelope(payload, CITY, stream_type="issue"), payload)
    # counted, in the ledger, R1's clock, the office summary's feedback per unit and the board's
    # document only
    assert [type(c) for c in changes] == [Fact, LedgerIssue, DeadlineStart, Doc, Doc]
    assert changes[3].kind == "os_issue"


def test_issue_and_reports_enter_the_unit_ledger():
    issue_id, feedback_id = uuid.uuid4(), uuid.uuid4()
    fed = IssueFedBack(
        issue_id=issue_id,
        feedback_id=feedback_id,
        jurisdiction=LINCHUAN,
        unit="临川区农业农村局",
        description="惠民资金监管制度执行不到位",
        concerns=[Department.AUDIT],
        due_date="2024-05-01",
    )
    env = envelope(fed, LINCHUAN, stream_type="issue", at=T0)
    [entry] = [c for c in project(env, fed) if isinstance(c, LedgerIssue)]
    assert entry == LedgerIssue(
        issue_id=issue_id,
        feedback_id=feedback_id,
        jurisdiction=LINCHUAN,
        unit="临川区农业农村局",
        description="惠民资金监管制度执行不到位",
        rect_type="time_bound",
        due_date="2024-05-01",
        fed_back_at=T0,
        source_event_id=env.event_id,
    )
    report = RectificationReported(
        issue_id=issue_id, kind=ReportKind.FORMAL, progress_percent=100, completed=True, note="完成"
    )
    later = T0 + timedelta(days=30)
    renv = envelope(report, LINCHUAN, stream_type="issue", at=later)
    [line] = [c for c in project(renv, report) if isinstance(c, LedgerReport)]
    assert line == LedgerReport(
        event_id=renv.event_id,
        issue_id=issue_id,
        jurisdiction=LINCHUAN,
        kind="formal",
        progress_percent=100,
        completed=True,
        note="完成",
        reported_at=later,
    )


def test_reports_count_each_and_completion_counts_the_issue_once():
    issue_id = uuid.uuid4()
    progress = RectificationReported(
        issue_id=issue_id, kind=ReportKind.PROGRESS, progress_percent=50, completed=False, note="a"
    )
    formal = RectificationReported(
        issue_id=issue_id, kind=ReportKind.FORMAL, progress_percent=100, completed=True, note="b"
    )
    final = RectificationReported(
        issue_id=issue_id, kind=ReportKind.FINAL, progress_percent=100, completed=True, note="c"
    )
    envs = [envelope(p, LINCHUAN, stream_type="issue") for p in (progress, formal, final)]
    facts = [
        c for env, p in zip(envs, (progress, formal, final), strict=True) for c in project(env, p)
    ]
    keys = [(f.metric, f.key) for f in facts if isinstance(f, Fact)]
    reports = {k for m, k in keys if m is Metric.RECTIFICATION_REPORTS}
    completed = {k for m, k in keys if m is Metric.ISSUES_COMPLETED}
    assert len(reports) == 3
    assert completed == {str(issue_id)}


def test_ack_and_demo_mark():
    payload = ShareItemAcknowledged(
        item_id="abc:audit", department=Department.AUDIT, source_event_id=uuid.uuid4(), note="已收"
    )
    demo_actor = Actor(principal_id="demo-discipline-commission", role="department")
    env = envelope(payload, LINCHUAN, stream_type="share", actor=demo_actor)
    changes = project(env, payload)
    assert changes[0] == DemoMark()
    ack = changes[1]
    assert isinstance(ack, Ack)
    assert (ack.item_id, ack.department, ack.note, ack.acknowledged_by) == (
        "abc:audit",
        Department.AUDIT,
        "已收",
        "demo-discipline-commission",
    )


def test_legacy_petition_v1_is_projected_after_upcasting():
    pid = uuid.uuid4()
    raw = {
        "petition_id": str(pid),
        "jurisdiction": LINCHUAN,
        "unit": "临川区某镇",
        "channel": "visit",
        "content": "反映村干部优亲厚友问题",
        "informant": None,
        "receipt_code_hash": "0" * 64,
    }
    env = envelope(petition(), LINCHUAN).model_copy(update={"schema_version": 1, "payload": raw})
    upcast = REGISTRY.upcast(env)
    changes = project(upcast, REGISTRY.decode(upcast))
    assert changes[0] == Fact(Metric.PETITIONS_RECEIVED, str(pid), LINCHUAN)
    # a walk-in (来访) also starts R13's same-day deadline in the deadlines view
    assert [(c.kind, c.key) for c in changes[1:] if isinstance(c, DeadlineStart)] == [
        ("intake.walk_in", str(pid))
    ]
    assert len(changes) == 2


# ---- views ---------------------------------------------------------------------------------


def _counters(changes: list[object]) -> dict[tuple[str, str], int]:
    """What the SQL adapter does: count each (metric, key) fact once."""
    seen: dict[tuple[str, str], str] = {}
    for c in changes:
        if isinstance(c, Fact):
            seen.setdefault((c.metric.value, c.key), c.jurisdiction)
    counters: dict[tuple[str, str], int] = {}
    for (metric, _), jurisdiction in seen.items():
        counters[(jurisdiction, metric)] = counters.get((jurisdiction, metric), 0) + 1
    return counters


def test_projection_is_order_insensitive_and_idempotent():
    rng = random.Random(7)
    events: list[tuple[EventEnvelope, EventPayload]] = []
    for i in range(40):
        j = [CITY, LINCHUAN, NANCHENG][i % 3]
        p = petition(j)
        events.append((envelope(p, j, at=T0 + timedelta(minutes=i)), p))
        issue = uuid.uuid4()
        fb = IssueFedBack(
            issue_id=issue,
            feedback_id=uuid.uuid4(),
            jurisdiction=j,
            unit="u",
            description="d",
            concerns=[Department.AUDIT],
        )
        events.append((envelope(fb, j, stream_type="issue"), fb))
        if i % 2:
            rep = RectificationReported(
                issue_id=issue,
                kind=ReportKind.FORMAL,
                progress_percent=100,
                completed=True,
                note="n",
            )
            events.append((envelope(rep, j, stream_type="issue"), rep))
    forward = [c for env, p in events for c in project(env, p)]
    shuffled_events = events * 2  # every event delivered twice
    rng.shuffle(shuffled_events)
    shuffled = [c for env, p in shuffled_events for c in project(env, p)]
    assert _counters(forward) == _counters(shuffled)
    for kind in (FeedItem, LedgerIssue, LedgerReport):  # keyed rows: the same set either way
        assert {c for c in forward if isinstance(c, kind)} == {
            c for c in shuffled if isinstance(c, kind)
        }


def test_linked_view_city_row_sums_its_counties_and_own_work():
    counters = {
        (CITY, "petitions_received"): 5,
        (LINCHUAN, "petitions_received"): 10,
        (NANCHENG, "petitions_received"): 3,
        (LINCHUAN, "issues_fed_back"): 32,
        (LINCHUAN, "issues_completed"): 29,
        (LINCHUAN, "issues_closed_out"): 20,
        (CITY, "issues_fed_back"): 10,
        (CITY, "issues_completed"): 10,
        (CITY, "issues_closed_out"): 3,
    }
    view = linked_view(counters, CITY)
    city = view["city"]
    assert city["name"] == "抚州市"
    assert city["petitions_received"] == 18
    assert city["own"]["petitions_received"] == 5
    assert city["issues_fed_back"] == 42
    # 整改完成率 counts verified close-outs; what units declared is beside it
    assert city["completion_rate"] == round(23 / 42, 10)
    assert city["self_declared_rate"] == round(39 / 42, 10)
    assert len(view["counties"]) == 11
    linchuan = next(c for c in view["counties"] if c["jurisdiction"] == LINCHUAN)
    assert linchuan["name"] == "临川区"
    assert linchuan["completion_rate"] == round(20 / 32, 10)
    assert linchuan["self_declared_rate"] == round(29 / 32, 10)
    zixi = next(c for c in view["counties"] if c["jurisdiction"] == "361028")
    assert zixi["petitions_received"] == 0 and zixi["completion_rate"] is None
    assert single_row(counters, LINCHUAN) == linchuan
    assert single_row(counters, CITY) == city


def test_unknown_county_code_of_the_city_is_shown_not_dropped():
    view = linked_view({("361099", "petitions_received"): 2}, CITY)
    assert view["counties"][-1]["jurisdiction"] == "361099"
    assert view["city"]["petitions_received"] == 2


@pytest.mark.parametrize(
    ("completed", "fed", "rate"), [(0, 0, None), (9, 10, 0.9), (10, 11, 0.9090909091), (5, 3, 1.0)]
)
def test_completion_rate(completed: int, fed: int, rate: float | None):
    assert completion_rate(completed, fed) == rate


# ---- access --------------------------------------------------------------------------------

CITY_ADMIN = Principal(id="c", role=Role.CITY_ADMIN, jurisdiction=CITY)
COUNTY_ADMIN = Principal(id="k", role=Role.COUNTY_ADMIN, jurisdiction=LINCHUAN)
AUDITOR = Principal(id="a", role=Role.AUDITOR, jurisdiction=CITY)
DISCIPLINE = Principal(
    id="d", role=Role.DEPARTMENT, jurisdiction=CITY, department=Department.DISCIPLINE
)
GROUP = Principal(id="g", role=Role.GROUP_MEMBER, jurisdiction=LINCHUAN)


def _status(fn, *args) -> int:
    try:
        fn(*args)
    except DomainError as exc:
        return exc.status
    return 200


def test_linked_view_scope():
    assert linked_view_scope(CITY_ADMIN, None) is None
    assert linked_view_scope(AUDITOR, NANCHENG) == NANCHENG
    assert linked_view_scope(COUNTY_ADMIN, None) == LINCHUAN
    assert linked_view_scope(COUNTY_ADMIN, LINCHUAN) == LINCHUAN
    assert _status(linked_view_scope, COUNTY_ADMIN, NANCHENG) == 403
    assert _status(linked_view_scope, COUNTY_ADMIN, CITY) == 403
    assert _status(linked_view_scope, DISCIPLINE, None) == 403
    assert _status(linked_view_scope, GROUP, None) == 403
    assert _status(linked_view_scope, CITY_ADMIN, "341100") == 403  # another city


def test_feed_access():
    assert _status(ensure_feed_reader, DISCIPLINE, Department.DISCIPLINE) == 200
    assert _status(ensure_feed_reader, DISCIPLINE, Department.AUDIT) == 403
    assert _status(ensure_feed_reader, CITY_ADMIN, Department.AUDIT) == 200
    assert _status(ensure_feed_reader, AUDITOR, Department.FINANCE) == 200
    assert _status(ensure_feed_reader, COUNTY_ADMIN, Department.FINANCE) == 403
    assert _status(ensure_feed_acker, DISCIPLINE, Department.DISCIPLINE) == 200
    assert _status(ensure_feed_acker, DISCIPLINE, Department.AUDIT) == 403
    assert _status(ensure_feed_acker, CITY_ADMIN, Department.DISCIPLINE) == 403
    assert _status(ensure_feed_acker, AUDITOR, Department.DISCIPLINE) == 403
