"""Reporting's views of revisits (回头看), recurrences (改了再犯) and common-problem lists with
each unit's self-check progress, from rectification's events through the outbox, Kafka and the
projection consumer (the stack of ``test_reporting_service``); a county office sees its county
only."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from xuncha_shared.contracts.rectification import (
    CommonProblem,
    CommonProblemListIssued,
    CommonProblemSelfChecked,
    CommonProblemSelfCheckUrged,
    RecurrenceCause,
    RecurrenceDetected,
    RevisitFindingsRecorded,
    RevisitScheduled,
)

from tests.integration.test_reporting_service import (  # noqa: F401  (the fixture)
    LINCHUAN,
    NANCHENG,
    Stack,
    append,
    stack,
    wait_for,
)

pytestmark = pytest.mark.timeout(240)


async def test_revisits_recurrences_and_self_checks_show_up(stack: Stack) -> None:  # noqa: F811
    unit, issue, revisit = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await append(stack, "rectification", "revisit", str(revisit), [
        RevisitScheduled(revisit_id=revisit, jurisdiction=LINCHUAN, unit_id=unit, unit="某局",
                         round_id=uuid.uuid4(), scheduled_on=date(2026, 10, 10), in_round_id=None),
        RevisitFindingsRecorded(revisit_id=revisit, jurisdiction=LINCHUAN, unit_id=unit,
                                checked_issue_ids=[issue], reopened_issue_ids=[issue],
                                new_problems=["接待清单不全"]),
    ], LINCHUAN)  # fmt: skip
    await append(stack, "rectification", "issue", str(issue), [
        RecurrenceDetected(issue_id=issue, earlier_issue_id=issue, jurisdiction=LINCHUAN,
                           unit_id=unit, unit="某局", topics=["公务接待"],
                           cause=RecurrenceCause.REOPENED, revisit_id=revisit),
    ], LINCHUAN)  # fmt: skip
    later, other = uuid.uuid4(), uuid.uuid4()
    lists = {j: uuid.uuid4() for j in (LINCHUAN, NANCHENG)}
    item = CommonProblem(aspect="八项规定", description="超标准公务接待", topics=["公务接待"])
    for j, list_id in lists.items():
        await append(stack, "rectification", "common_problem_list", str(list_id), [
            CommonProblemListIssued(list_id=list_id, jurisdiction=j, term_no=2, items=[item],
                                    unit_ids=[later, other]),
        ], j)  # fmt: skip
    await append(stack, "rectification", "common_problem_list", str(lists[LINCHUAN]), [
        CommonProblemSelfChecked(list_id=lists[LINCHUAN], jurisdiction=LINCHUAN, unit_id=later,
                                 findings="发现2次", measures="退赔"),
        CommonProblemSelfCheckUrged(list_id=lists[LINCHUAN], jurisdiction=LINCHUAN,
                                    unit_ids=[other], note="请报送", urged_on=date(2026, 10, 12),
                                    reply_by=date(2026, 10, 16)),
        CommonProblemSelfCheckUrged(list_id=lists[LINCHUAN], jurisdiction=LINCHUAN,
                                    unit_ids=[other], note="再次催报", urged_on=date(2026, 10, 19)),
    ], LINCHUAN)  # fmt: skip

    async def views_show() -> bool:
        r = await stack.client.get("/api/v1/views/common-problem-lists", headers=stack.auth("city"))
        items = {i["list_id"]: i for i in r.json()["items"]}
        mine = items.get(str(lists[LINCHUAN]))
        if not (mine is not None and mine["self_checked"] == 1 and str(lists[NANCHENG]) in items):
            return False
        if max(u["urged"] for u in mine["units"]) < 2:
            return False
        # each stream type has its own topic: the revisit's and the issue's arrive on their own
        r = await stack.client.get("/api/v1/views/recurrences", headers=stack.auth("city"))
        return any(i["issue_id"] == str(issue) for i in r.json()["recurrences"])

    await wait_for(views_show, "the common-problem lists and the recurrence in the projection")
    r = await stack.client.get("/api/v1/views/common-problem-lists", headers=stack.auth("linchuan"))
    [mine] = [i for i in r.json()["items"] if i["list_id"] in {str(x) for x in lists.values()}]
    assert mine["list_id"] == str(lists[LINCHUAN]) and mine["progress_percent"] == 50
    checked = {u["unit_id"]: u["self_checked"] for u in mine["units"]}
    assert checked == {str(later): True, str(other): False}
    # 催报: how often and when each unit yet to answer was chased, the latest urge's words
    urged = {u["unit_id"]: (u["urged"], u["last_urged_on"], u["reply_by"], u["urge_note"])
             for u in mine["units"]}  # fmt: skip
    assert urged == {
        str(later): (0, None, None, None),
        str(other): (2, "2026-10-19", None, "再次催报"),
    }
    r = await stack.client.get("/api/v1/views/revisits", headers=stack.auth("linchuan"))
    [seen] = [i for i in r.json()["items"] if i["revisit_id"] == str(revisit)]
    assert seen["findings_recorded"] and seen["reopened_issue_ids"] == [str(issue)]
    r = await stack.client.get("/api/v1/views/recurrences", headers=stack.auth("linchuan"))
    [found] = [i for i in r.json()["recurrences"] if i["issue_id"] == str(issue)]
    assert found["cause"] == "reopened" and found["revisit_id"] == str(revisit)
    assert found["cause_zh"] == "回头看发现反弹"
    denied = await stack.client.get("/api/v1/views/recurrences", headers=stack.auth("discipline"))
    assert denied.status_code in (403, 404)
