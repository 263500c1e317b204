"""Event contracts of every service, and the default registry holding them all."""

from __future__ import annotations

from xuncha_shared.contracts import clues, intake, rectification, reporting
from xuncha_shared.contracts.registry import EventRegistry, UnknownEventError
from xuncha_shared.contracts.topics import all_topics, dlq_topic, service_topics, topic_for


def build_registry() -> EventRegistry:
    registry = EventRegistry()
    for module in (intake, clues, rectification, reporting):
        registry.register_all(module.MODELS)
    for (event_type, version), fn in (
        *intake.UPCASTERS.items(),
        *clues.UPCASTERS.items(),
        *rectification.UPCASTERS.items(),
    ):
        registry.upcaster(event_type, version)(fn)
    return registry


REGISTRY = build_registry()

__all__ = [
    "REGISTRY",
    "EventRegistry",
    "UnknownEventError",
    "all_topics",
    "build_registry",
    "dlq_topic",
    "service_topics",
    "topic_for",
]
