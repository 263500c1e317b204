"""改了再犯 names what came back: the issue, and for a problem fed back again after a close-out
the issue closed out before (the office reads which problem, not only a unit and a topic)."""

from __future__ import annotations

from xuncha_reporting.domain.rectification_docs import ISSUE_DOC
from xuncha_reporting.domain.revisit_views import RECURRENCE_DOC, VIEW_KINDS, recurrences


def test_a_recurrence_names_its_issue_and_the_earlier_one() -> None:
    assert ISSUE_DOC in VIEW_KINDS
    docs = {
        RECURRENCE_DOC: {
            "r1": {
                "issue_id": "i-new",
                "earlier_issue_id": "i-old",
                "jurisdiction": "361000",
                "unit": "市交通局",
                "topics": ["公务接待"],
                "cause": "fed_back_again",
                "at": "2026-12-01T08:00:00+00:00",
            }
        },
        ISSUE_DOC: {
            "i-new": {"description": "公务接待台账仍不完整"},
            "i-old": {"description": "超标准公务接待"},
        },
    }
    [item] = recurrences(docs)["recurrences"]
    assert (item["description"], item["earlier_description"]) == (
        "公务接待台账仍不完整",
        "超标准公务接待",
    )
    assert item["cause_zh"] == "销号后同类问题再犯"
    # an issue the view does not hold (another reading's): no name rather than a wrong one
    docs[ISSUE_DOC] = {}
    [bare] = recurrences(docs)["recurrences"]
    assert bare["description"] is None and bare["earlier_description"] is None
