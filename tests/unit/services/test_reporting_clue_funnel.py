"""reporting: the clue funnel (pure) — documents of each clue event, the funnel per county with
each clue's stage, and the state a department's feed shows."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from xuncha_reporting.domain.clue_funnel import clue_funnel, feed_state, funnel_changes
from xuncha_reporting.domain.model import Doc, Fact, Metric
from xuncha_shared.contracts import clues
from xuncha_shared.contracts.common import Department
from xuncha_shared.envelope import EventEnvelope, EventPayload

from tests.support.events import envelope_of

pytestmark = pytest.mark.unit

CITY, LINCHUAN, NANCHENG = "361000", "361002", "361021"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def env(payload: EventPayload, jurisdiction: str) -> EventEnvelope:
    clue_id = payload.clue_id  # type: ignore[attr-defined]
    return envelope_of(
        payload, stream_type="clue", stream_id=clue_id, jurisdiction=jurisdiction, at=T0
    )


def docs_of(events: list[tuple[EventPayload, str]]) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for payload, place in events:
        for change in funnel_changes(env(payload, place), payload):
            if isinstance(change, Doc):
                out.setdefault(change.kind, {})[change.key] = {
                    **change.doc,
                    "jurisdiction": change.jurisdiction,
                }
    # the round statistics' own documents, which the funnel reuses
    for payload, _ in events:
        if isinstance(payload, clues.ClueClassified):
            out.setdefault("clue_class", {})[str(payload.clue_id)] = {
                "category": payload.category.value,
                "cadre_level": payload.cadre_level.value if payload.cadre_level else None,
            }
        if isinstance(payload, clues.ClueTransferred):
            out.setdefault("clue_transfer", {})[str(payload.clue_id)] = {
                "department": payload.department.value
            }
    return out


def path(place: str, *, result: bool, overdue: bool = False) -> tuple[str, list[Any]]:
    cid = uuid.uuid4()
    events: list[Any] = [
        (clues.ClueRegistered(clue_id=cid, jurisdiction=place, unit="u", summary="s"), place),
        (
            clues.ClueClassified(
                clue_id=cid,
                category=clues.ClueCategory.INQUIRY,
                cadre_level=clues.CadreLevel.SECTION,
            ),
            place,
        ),
        (
            clues.ClueVerified(
                clue_id=cid,
                method=clues.VerificationMethod.QUICK_CHECK,
                verification_outcome="属实",
            ),
            place,
        ),
        (
            clues.ClueTransferred(
                clue_id=cid,
                department=Department.DISCIPLINE,
                reason="r",
                jurisdiction=place,
                unit="u",
                summary="s",
            ),
            place,
        ),
        (
            clues.ClueAcknowledged(
                clue_id=cid,
                department=Department.DISCIPLINE,
                via=clues.AcknowledgementPath.FEED,
                transfer_event_id=uuid.uuid4(),
            ),
            place,
        ),
    ]
    if overdue:
        events.append(
            (
                clues.TransferResultOverdue(
                    deadline_id=uuid.uuid4(),
                    rule_id="xunshi_2015_art29",
                    rule_version=1,
                    due_date=date(2026, 6, 2),
                    clue_id=cid,
                    department=Department.DISCIPLINE,
                ),
                place,
            )
        )
    if result:
        events.append(
            (
                clues.TransferResultReported(
                    clue_id=cid,
                    department=Department.DISCIPLINE,
                    disposition=clues.Disposition.TALK_OR_LETTER,
                    concluded_on=date(2026, 5, 1),
                    summary="谈话",
                ),
                place,
            )
        )
    return str(cid), events


def test_each_step_counts_once_in_the_linked_view() -> None:
    cid = uuid.uuid4()
    payload = clues.ClueDisposed(
        clue_id=cid, disposition=clues.Disposition.CLOSED, disposed_on=date(2026, 5, 2)
    )
    changes = funnel_changes(env(payload, LINCHUAN), payload)
    assert Fact(Metric.CLUES_DISPOSED, str(cid), LINCHUAN) in changes


def test_the_funnel_per_county_and_the_stage_of_each_clue() -> None:
    a, ev_a = path(LINCHUAN, result=True)
    b, ev_b = path(LINCHUAN, result=False, overdue=True)
    _, ev_c = path(NANCHENG, result=True, overdue=True)  # late result: no longer overdue
    view = clue_funnel(docs_of(ev_a + ev_b + ev_c), CITY)
    total = view["total"]
    assert (total["registered"], total["verified"], total["transferred"]) == (3, 3, 3)
    assert (total["acknowledged"], total["results"], total["overdue"]) == (3, 2, 1)
    assert total["results_by_disposition"] == [
        {"disposition": "talk_or_letter", "label": "谈话函询", "count": 2}
    ]
    assert total["transferred_by_department"][0]["label"] == "纪委监委"
    rows = {r["jurisdiction"]: r for r in view["jurisdictions"]}
    assert rows[LINCHUAN]["registered"] == 2 and rows[NANCHENG]["registered"] == 1
    stages = {c["clue_id"]: (c["stage"], c["overdue"]) for c in rows[LINCHUAN]["clues"]}
    assert stages == {a: ("result_reported", False), b: ("acknowledged", True)}
    assert rows[LINCHUAN]["clues"][0]["history"].startswith("/api/v1/clues/")
    # each clue named by the unit it was registered about (the county's own, escalated too)
    assert {c["unit"] for c in rows[LINCHUAN]["clues"]} == {"u"}
    only = clue_funnel(docs_of(ev_a + ev_b + ev_c), CITY, NANCHENG)
    assert [r["jurisdiction"] for r in only["jurisdictions"]] == [NANCHENG]


def test_the_feed_shows_the_result_state() -> None:
    a, ev_a = path(LINCHUAN, result=False, overdue=True)
    state = feed_state(a, docs_of(ev_a))
    assert (state["result_state"], state["overdue"]) == ("acknowledged", True)
    b, ev_b = path(LINCHUAN, result=True)
    state = feed_state(b, docs_of(ev_b))
    assert (state["result_state_zh"], state["disposition_zh"]) == ("已反馈结果", "谈话函询")


def urged(cid: str, place: str, no: int, *, overdue: bool) -> tuple[EventPayload, str]:
    payload = clues.TransferResultUrged(
        clue_id=uuid.UUID(cid),
        department=Department.DISCIPLINE,
        jurisdiction=place,
        unit="u",
        summary="s",
        note="请尽快反馈办理情况",
        urged_on=date(2026, 6, no),
        urge_no=no,
        due_date=date(2026, 6, 2),
        overdue=overdue,
    )
    return payload, place


def test_the_funnel_and_the_feed_count_the_urges_of_a_clue() -> None:
    """催办 (R27): the latest urge of each clue is kept; the funnel counts the clues urged and
    each clue's urges; the feed's state says how often and when last."""
    a, ev_a = path(LINCHUAN, result=False, overdue=True)
    b, ev_b = path(LINCHUAN, result=True)
    docs = docs_of(
        [*ev_a, urged(a, LINCHUAN, 1, overdue=False), urged(a, LINCHUAN, 3, overdue=True), *ev_b]
    )
    assert docs["clue_urge"][a]["urge_no"] == 3
    row = clue_funnel(docs, CITY)["jurisdictions"][0]
    assert row["urged"] == 1
    assert {c["clue_id"]: c["urges"] for c in row["clues"]} == {a: 3, b: 0}
    state = feed_state(a, docs)
    assert (state["urges"], state["last_urged_on"], state["overdue"]) == (3, "2026-06-03", True)
    assert (feed_state(b, docs)["urges"], feed_state(b, docs)["last_urged_on"]) == (0, None)
