"""The event envelope and its hash chain.

Every event carries the same envelope (see docs/event-model.md). Its ``hash`` is SHA-256 over a
canonical JSON encoding of the envelope fields listed in ``HASHED_FIELDS`` plus ``prev_hash``, the
hash of the previous event of the same stream (64 zeros for the first one). An auditor can
recompute it with any JSON-capable tool:

    canonical = JSON with keys sorted, no insignificant whitespace, UTF-8 (non-ASCII kept as is),
                timestamps as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, UUIDs lower-case hyphenated,
                integers as integers (contracts use no floats)
    hash      = lowercase hex of SHA-256(canonical)

``global_position``, ``tx_id`` and ``traceparent`` are not hashed: the first two are assigned
by the database when the event is stored, the last is transport metadata.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

GENESIS_HASH = "0" * 64
JURISDICTION_RE = re.compile(r"^\d{6}$")

HASHED_FIELDS: tuple[str, ...] = (
    "event_id",
    "event_type",
    "schema_version",
    "stream_type",
    "stream_id",
    "stream_version",
    "occurred_at",
    "recorded_at",
    "jurisdiction",
    "actor",
    "correlation_id",
    "causation_id",
    "payload",
    "prev_hash",
)

JsonDict = dict[str, Any]


class Actor(BaseModel):
    """Who caused an event: a principal id and the role it acted in."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    principal_id: str = Field(min_length=1, max_length=200)
    role: str = Field(min_length=1, max_length=64)


SYSTEM_ACTOR = Actor(principal_id="system", role="system")


class EventPayload(BaseModel):
    """Base of every event contract. Subclasses set ``event_type`` and ``schema_version``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1


def format_ts(value: datetime) -> str:
    """Canonical UTC timestamp: microsecond precision, ``Z`` suffix."""
    if value.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    utc = value.astimezone(UTC)
    if utc.year < 1000:  # strftime does not pad the year to 4 digits; keep its form
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # the same text as strftime("%Y-%m-%dT%H:%M:%S.%fZ"), twice as fast
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def canonical_json(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def now_utc() -> datetime:
    return datetime.now(UTC)


class EventEnvelope(BaseModel):
    """One stored event. ``payload`` is the JSON form of the contract at ``schema_version``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID
    event_type: str = Field(pattern=r"^[a-z_]+\.[A-Z][A-Za-z]+$")
    schema_version: int = Field(ge=1)
    stream_type: str = Field(min_length=1, max_length=64)
    stream_id: str = Field(min_length=1, max_length=200)
    stream_version: int = Field(ge=1)
    global_position: int | None = None
    tx_id: int | None = None
    occurred_at: datetime
    recorded_at: datetime
    jurisdiction: str
    actor: Actor
    correlation_id: UUID
    causation_id: UUID | None = None
    traceparent: str | None = None
    payload: JsonDict
    prev_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")

    @field_validator("jurisdiction")
    @classmethod
    def _jurisdiction(cls, value: str) -> str:
        if not JURISDICTION_RE.match(value):
            raise ValueError("jurisdiction must be a six-digit GB/T 2260 code")
        return value

    @property
    def service(self) -> str:
        return self.event_type.split(".", 1)[0]

    @property
    def name(self) -> str:
        return self.event_type.split(".", 1)[1]

    def hashed_document(self) -> JsonDict:
        return hashed_document(
            event_id=self.event_id,
            event_type=self.event_type,
            schema_version=self.schema_version,
            stream_type=self.stream_type,
            stream_id=self.stream_id,
            stream_version=self.stream_version,
            occurred_at=self.occurred_at,
            recorded_at=self.recorded_at,
            jurisdiction=self.jurisdiction,
            actor=self.actor,
            correlation_id=self.correlation_id,
            causation_id=self.causation_id,
            payload=self.payload,
            prev_hash=self.prev_hash,
        )

    def compute_hash(self) -> str:
        return hashlib.sha256(canonical_json(self.hashed_document())).hexdigest()

    def to_wire(self) -> bytes:
        """The Kafka message value: the whole envelope as compact JSON."""
        return self.model_dump_json().encode("utf-8")

    @classmethod
    def from_wire(cls, data: bytes | str) -> EventEnvelope:
        return cls.model_validate_json(data)


def hashed_document(
    *,
    event_id: UUID,
    event_type: str,
    schema_version: int,
    stream_type: str,
    stream_id: str,
    stream_version: int,
    occurred_at: datetime,
    recorded_at: datetime,
    jurisdiction: str,
    actor: Actor | JsonDict,
    correlation_id: UUID,
    causation_id: UUID | None,
    payload: JsonDict,
    prev_hash: str,
) -> JsonDict:
    actor_doc = actor.model_dump() if isinstance(actor, Actor) else dict(actor)
    return {
        "event_id": str(event_id),
        "event_type": event_type,
        "schema_version": schema_version,
        "stream_type": stream_type,
        "stream_id": stream_id,
        "stream_version": stream_version,
        "occurred_at": format_ts(occurred_at),
        "recorded_at": format_ts(recorded_at),
        "jurisdiction": jurisdiction,
        "actor": actor_doc,
        "correlation_id": str(correlation_id),
        "causation_id": str(causation_id) if causation_id else None,
        "payload": payload,
        "prev_hash": prev_hash,
    }


def chain_hash(document: JsonDict) -> str:
    return hashlib.sha256(canonical_json(document)).hexdigest()


# --- fast paths for trusted data (the store's own rows; no validation) ----------------------

_ENVELOPE_FIELDS: frozenset[str] = frozenset(EventEnvelope.model_fields)
_ALL_FIELDS_SET: set[str] = set(_ENVELOPE_FIELDS)
_new_object = object.__new__
# the setters of a model instance's own slots and ``__dict__``, taken from their descriptors:
# what ``object.__setattr__`` ends in, without its lookup of the name (0.4 µs an envelope)
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__
_ACTORS: dict[tuple[str, str], Actor] = {}
_ACTOR_CACHE_MAX = 10_000


def cached_actor(principal_id: str, role: str) -> Actor:
    """A shared (frozen) ``Actor`` for trusted data; one instance per principal and role."""
    key = (principal_id, role)
    actor = _ACTORS.get(key)
    if actor is None:
        if len(_ACTORS) >= _ACTOR_CACHE_MAX:
            _ACTORS.clear()
        actor = Actor.model_construct(principal_id=principal_id, role=role)
        _ACTORS[key] = actor
    return actor


def trusted_envelope(values: JsonDict) -> EventEnvelope:
    """An ``EventEnvelope`` from already-valid values, without validation (what
    ``model_construct`` does, minus its per-field bookkeeping). ``values`` must hold every
    field, in declaration order, and becomes the instance's ``__dict__``."""
    envelope = _new_object(EventEnvelope)
    _set_dict(envelope, values)
    # one set shared by every trusted envelope: a frozen model never changes it (``model_copy``
    # copies it before an update)
    _set_fields_set(envelope, _ALL_FIELDS_SET)
    _set_extra(envelope, None)
    _set_private(envelope, None)
    return envelope
