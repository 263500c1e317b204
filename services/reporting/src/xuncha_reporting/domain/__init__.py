"""Pure projection logic of the reporting service: given an event, which rows change.

Nothing here touches a database or the network; the handler (``xuncha_reporting.handlers``)
applies the changes with SQL, for the live consumer and for ``xuncha projections rebuild`` alike.
"""

from xuncha_reporting.domain.model import (
    METRICS,
    Ack,
    Change,
    DemoMark,
    Fact,
    FeedItem,
    FeedKind,
    LedgerIssue,
    LedgerReport,
    Metric,
)
from xuncha_reporting.domain.projection import PROJECTED_EVENT_TYPES, feed_item_id, project

__all__ = [
    "METRICS",
    "PROJECTED_EVENT_TYPES",
    "Ack",
    "Change",
    "DemoMark",
    "Fact",
    "FeedItem",
    "FeedKind",
    "LedgerIssue",
    "LedgerReport",
    "Metric",
    "feed_item_id",
    "project",
]
