"""What ``xuncha audit verify`` found: problems, position holes, the Kafka summary, each
checkpoint's check, per service and overall."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from xuncha_shared.audit.checkpoints import (
    Checkpoint,
)
from xuncha_shared.eventstore.base import START, Position

DEFAULT_MAX_PROBLEMS = 1000


@dataclass
class Problem:
    """One difference found, located as precisely as the evidence allows."""

    service: str
    kind: str  # chain | position | kafka | checkpoint | export
    message: str
    stream_id: str | None = None
    stream_version: int | None = None
    event_id: str | None = None
    database: str | None = None

    def __str__(self) -> str:
        where = self.database or self.service
        if self.stream_id is not None:
            where += f": stream {self.stream_id}"
            if self.stream_version is not None:
                where += f" version {self.stream_version}"
        text = f"{where}: {self.message}"
        if self.event_id:
            text += f" [event {self.event_id}]"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "database": self.database,
            "kind": self.kind,
            "stream_id": self.stream_id,
            "stream_version": self.stream_version,
            "event_id": self.event_id,
            "message": self.message,
        }


@dataclass
class Hole:
    first: int
    last: int
    explained: bool
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "first": self.first,
            "last": self.last,
            "explained": self.explained,
            "why": self.why,
        }


@dataclass
class KafkaSummary:
    topics: list[str]
    messages: int = 0
    events: int = 0
    duplicates: int = 0
    matched: int = 0
    unpublished: int = 0
    newer: int = 0
    relay_position: Position = START

    def to_dict(self) -> dict[str, Any]:
        return {
            "topics": self.topics,
            "messages": self.messages,
            "events": self.events,
            "duplicates": self.duplicates,
            "matched": self.matched,
            "not_yet_published": self.unpublished,
            "newer_than_snapshot": self.newer,
            "relay_position": {
                "tx_id": self.relay_position.tx_id,
                "global_position": self.relay_position.global_position,
            },
        }


@dataclass
class CheckpointCheck:
    checkpoint: Checkpoint
    sources: list[str]
    status: str = "pending"  # verified | failed | skipped
    detail: str = ""
    stored_count: int | None = None
    stored_digest: str | None = None
    kafka_copy_matches: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "checkpoint": self.checkpoint.document(),
            "sources": self.sources,
            "status": self.status,
            "detail": self.detail,
            "stored_count": self.stored_count,
            "stored_digest": self.stored_digest,
            "kafka_copy_matches": self.kafka_copy_matches,
        }

    def compare_stored(self, count: int, digest: str, verified_detail: str) -> bool:
        """Record what the store holds up to the head now; True (and ``verified``, unless the
        signature failed already) when it is what was signed."""
        self.stored_count, self.stored_digest = count, digest
        cp = self.checkpoint
        if (count, digest) != (cp.event_count, cp.digest):
            return False
        if self.status == "pending":
            self.status, self.detail = "verified", verified_detail
        return True


@dataclass
class ServiceAudit:
    service: str
    database: str
    streams: int = 0
    events: int = 0
    max_position: int = 0
    chain_checked: bool = True
    holes: list[Hole] = field(default_factory=list)
    hole_ranges: int = 0
    kafka: KafkaSummary | None = None
    checkpoints: list[CheckpointCheck] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    notes: list[str] = field(default_factory=list)
    max_problems: int = DEFAULT_MAX_PROBLEMS

    @property
    def intact(self) -> bool:
        return self.problem_count == 0

    def add(self, kind: str, message: str, **where: Any) -> None:
        self.problem_count += 1
        if len(self.problems) < self.max_problems:
            self.problems.append(
                Problem(self.service, kind, message, database=self.database, **where)
            )

    def count(self, kind: str) -> int:
        return sum(1 for p in self.problems if p.kind == kind)

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "database": self.database,
            "intact": self.intact,
            "streams": self.streams,
            "events": self.events,
            "max_position": self.max_position,
            "holes": [h.to_dict() for h in self.holes],
            "hole_ranges": self.hole_ranges,
            "kafka": self.kafka.to_dict() if self.kafka else None,
            "checkpoints": [c.to_dict() for c in self.checkpoints],
            "problem_count": self.problem_count,
            "problems": [p.to_dict() for p in self.problems],
            "notes": self.notes,
        }


@dataclass
class AuditReport:
    services: list[ServiceAudit] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # not tied to one service
    notes: list[str] = field(default_factory=list)
    kafka_checked: bool = False
    source: str = "databases"  # or "export <dir>"

    @property
    def intact(self) -> bool:
        return not self.problems and all(s.intact for s in self.services)

    def all_problems(self) -> list[Problem]:
        return [*self.problems, *(p for s in self.services for p in s.problems)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "intact": self.intact,
            "source": self.source,
            "kafka_checked": self.kafka_checked,
            "services": [s.to_dict() for s in self.services],
            "problems": [p.to_dict() for p in self.problems],
            "notes": self.notes,
        }
