"""Reporting's board documents of a few rectification events, as the live projection makes them
(``domain.projection.project``), for tests of the 挂图作战 board and its workbooks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from xuncha_reporting.domain.board import Docs
from xuncha_reporting.domain.model import Doc
from xuncha_reporting.domain.projection import project
from xuncha_shared.envelope import Actor, EventPayload
from xuncha_shared.eventstore.base import NewEvent, seal_events

LINCHUAN = "361002"
T0 = datetime(2026, 10, 12, 1, tzinfo=UTC)  # 09:00 in Beijing
ACTOR = Actor(principal_id="office-1", role="county_admin")


def docs_of(
    events: list[tuple[str, uuid.UUID, EventPayload]], jurisdiction: str = LINCHUAN
) -> Docs:
    """The board's documents of ``events`` (stream type, stream id, payload), one a day from
    ``T0``, recorded in ``jurisdiction`` (临川区) by its office."""
    docs: Docs = {}
    for n, (stream_type, stream, payload) in enumerate(events):
        at = T0 + timedelta(days=n)
        new = NewEvent(payload, jurisdiction, ACTOR, occurred_at=at)
        [sealed] = seal_events(stream_type, str(stream), 1, "0" * 64, [new], at)
        for change in project(sealed, payload):
            if isinstance(change, Doc):
                # as the adapter reads them (``ProjectionTables.docs``): with the row's jurisdiction
                docs.setdefault(change.kind, {})[change.key] = {
                    **change.doc,
                    "jurisdiction": change.jurisdiction,
                }
    return docs
