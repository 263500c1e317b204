"""Builders of the deadlines view's changes, shared by the modules that project each service's
clocks (``projection.deadline_changes``, ``intake_clocks``, ``rectification_clocks``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from xuncha_shared.envelope import EventEnvelope

from xuncha_reporting.domain.deadlines import KINDS, Kind
from xuncha_reporting.domain.model import DeadlineFired, DeadlineStart


def start(
    kind: Kind,
    key: object,
    envelope: EventEnvelope,
    owner: str,
    *,
    due_date: str | None = None,
    at: datetime | None = None,
) -> DeadlineStart:
    """A deadline of ``kind`` started by ``envelope``'s event (``at``: from another moment than
    the event's, e.g. the day a stationing starts); ``due_date`` when the event states it."""
    info = KINDS[kind]
    return DeadlineStart(
        kind=kind.value,
        key=str(key),
        rule_id=info.rule_id,
        case_type=info.case_type,
        jurisdiction=envelope.jurisdiction,
        owner=owner,
        waits_for=info.waits_for,
        started_at=at or envelope.occurred_at,
        due_date=due_date,
    )


def fired(
    kind: Kind, key: object, stage: str, envelope: EventEnvelope, payload: Any, owner: str
) -> DeadlineFired:
    """A warning (``stage`` yellow, red) or the overdue firing: ``payload`` carries the
    deadline's rule version and due date."""
    info = KINDS[kind]
    return DeadlineFired(
        kind=kind.value,
        key=str(key),
        stage=stage,
        event_id=envelope.event_id,
        rule_id=payload.rule_id,
        rule_version=payload.rule_version,
        due_date=payload.due_date.isoformat(),
        case_type=info.case_type,
        jurisdiction=envelope.jurisdiction,
        owner=owner,
        waits_for=info.waits_for,
        at=envelope.occurred_at,
    )
