"""``project`` runs, for an event, only the steps registered for its type (``projection.STEPS``):
every step is registered for exactly the contracts its cases can match, and on a realistic term
the dispatch gives the very changes of running every step on every event."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any, NoReturn

import pytest
from xuncha_reporting.domain import PROJECTED_EVENT_TYPES, DemoMark, project
from xuncha_reporting.domain.model import Change
from xuncha_reporting.domain.projection import _STEP_TYPES, DEMO_PRINCIPAL_PREFIX, STEPS
from xuncha_shared.contracts import REGISTRY
from xuncha_shared.envelope import Actor, EventEnvelope, EventPayload

from bench.common import INSERT_COLUMNS
from bench.term_data import generate, shape_for, tasks_of

CURRENT: list[type[EventPayload]] = sorted(
    {REGISTRY.model(m.event_type) for m in REGISTRY.models()}, key=lambda m: m.event_type
)


class Touched(Exception):
    """A step read a field of the probe: one of its cases matched the probe's class."""


def _probe(model: type[EventPayload]) -> EventPayload:
    """An instance of a subclass of ``model`` (so every class pattern of ``model`` or one of its
    bases matches it) without any field: reading one raises ``Touched``."""

    def missing(self: object, name: str) -> NoReturn:
        raise Touched(name)

    probe_class = type(f"Probe{model.__name__}", (model,), {"__getattr__": missing})
    return object.__new__(probe_class)  # type: ignore[no-any-return]


def _envelope(event_type: str, principal: str = "clerk-1") -> EventEnvelope:
    return EventEnvelope(
        event_id=uuid.uuid4(),
        event_type=event_type,
        schema_version=1,
        stream_type="probe",
        stream_id="probe-1",
        stream_version=1,
        occurred_at=datetime(2026, 5, 6, 1, 2, 3, tzinfo=UTC),
        recorded_at=datetime(2026, 5, 6, 1, 2, 3, tzinfo=UTC),
        jurisdiction="361002",
        actor=Actor(principal_id=principal, role="office"),
        correlation_id=uuid.uuid4(),
        payload={},
        prev_hash="0" * 64,
        hash="0" * 64,
    )


def _touches(step: Any, model: type[EventPayload]) -> bool:
    try:
        return bool(step(_envelope(model.event_type), _probe(model)))
    except Touched:
        return True


@pytest.mark.parametrize(("step", "types"), _STEP_TYPES, ids=[s.__name__ for s, _ in _STEP_TYPES])
def test_each_step_is_registered_for_exactly_the_contracts_it_matches(
    step: Any, types: frozenset[str]
) -> None:
    matched = {m.event_type for m in CURRENT if _touches(step, m)}
    assert matched, "a step that matches no contract"
    assert sorted(matched - types) == [], "matched but not registered: never called for these"
    assert sorted(types - matched) == [], "registered but never matched"


def test_the_projected_types_are_those_with_steps() -> None:
    projected = set(PROJECTED_EVENT_TYPES)
    assert projected == {t for _, types in _STEP_TYPES for t in types}
    assert projected <= {m.event_type for m in CURRENT}
    for event_type, steps in STEPS.items():
        registered = [s for s, types in _STEP_TYPES if event_type in types]
        assert list(steps) == registered  # in the order of the steps


def _every_step(envelope: EventEnvelope, payload: EventPayload) -> list[Change]:
    """What ``project`` did before the dispatch: every step on every event."""
    changes: list[Change] = []
    if envelope.actor.principal_id.startswith(DEMO_PRINCIPAL_PREFIX):
        changes.append(DemoMark())
    for step, _ in _STEP_TYPES:
        changes.extend(step(envelope, payload))
    return changes


def test_on_a_term_the_dispatch_gives_the_changes_of_every_step() -> None:
    seen: set[str] = set()
    changed = 0
    for task in tasks_of(shape_for(1500))[:6]:
        rows, _ = generate(task)
        for service_rows in rows.values():
            for row in service_rows:
                values = dict(zip(INSERT_COLUMNS, row, strict=True))
                values["actor"] = json.loads(values["actor"])
                values["payload"] = json.loads(values["payload"])
                envelope = EventEnvelope.model_validate(values)
                payload = REGISTRY.decode(envelope)
                assert project(envelope, payload) == _every_step(envelope, payload)
                demo = envelope.model_copy(
                    update={"actor": Actor(principal_id=f"{DEMO_PRINCIPAL_PREFIX}x", role="r")}
                )
                changes = project(demo, payload)
                assert changes == _every_step(demo, payload)
                assert changes[0] == DemoMark()
                seen.add(envelope.event_type)
                changed += len(changes) > 1
    assert len(seen & PROJECTED_EVENT_TYPES) >= 30
    assert changed > 1000
