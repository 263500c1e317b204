"""What a consumer checks of an event before anything happens (docs/security.md).

Kafka's ACLs decide who may publish to a topic; these checks make a forged or altered event
harmless even when it got there (a leaked service credential, a bug, a replayed copy):

1. the envelope's ``hash`` is recomputed from its content and its chain fields with the
   envelope's own sealing code (``EventEnvelope.compute_hash``): an event whose content does not
   match its hash was not written by an event store;
2. its ``event_type`` belongs to the service that owns the topic (``intake.*`` on
   ``intake.petition.v1``, and so on; the topic prefix of an isolated deployment is ignored): a
   service never publishes another service's events;
3. its ``stream_type`` is routed to that topic (``topic_for``).

An event failing one goes to the dead-letter topic with the reason and changes nothing.
"""

from __future__ import annotations

from xuncha_shared.contracts.topics import DLQ_SUFFIX, STREAM_TOPICS
from xuncha_shared.envelope import EventEnvelope

#: topic name (without prefix) -> the service that owns it
_TOPIC_OWNERS: dict[str, tuple[str, str]] = {
    spec.name: (spec.service, stream_type) for stream_type, spec in STREAM_TOPICS.items()
}


def topic_owner(topic: str) -> tuple[str, str] | None:
    """``(service, stream type)`` of an event topic, whatever its deployment prefix."""
    if topic.endswith(DLQ_SUFFIX):
        return None
    for name, owner in _TOPIC_OWNERS.items():
        if topic == name or topic.endswith("." + name):
            return owner
    return None


def inbound_problem(envelope: EventEnvelope, topic: str) -> str | None:
    """Why ``envelope`` received on ``topic`` must not be applied, or None."""
    if envelope.compute_hash() != envelope.hash:
        return "hash mismatch: the event's content does not match its hash"
    owner = topic_owner(topic)
    if owner is None:
        return None  # a topic outside the contract (tests' ad-hoc topics): only the hash counts
    service, stream_type = owner
    if envelope.service != service:
        return f"event type {envelope.event_type} is not owned by {service}, the topic's service"
    if envelope.stream_type != stream_type:
        return f"stream type {envelope.stream_type} does not belong on {topic}"
    return None


class RejectedEvent(ValueError):
    """A well-formed event that fails the inbound checks (the message says which)."""


def checked_envelope(value: bytes | str, topic: str) -> EventEnvelope:
    """Decode an envelope from the wire and apply the checks; ``RejectedEvent`` if one fails
    (``ValidationError`` if it is not an envelope at all)."""
    envelope = EventEnvelope.from_wire(value)
    problem = inbound_problem(envelope, topic)
    if problem:
        raise RejectedEvent(problem)
    return envelope
