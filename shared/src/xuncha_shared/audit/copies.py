"""The copies the store is compared with: Kafka's (every published event with the same hash
and position) and an earlier export (every event still stored unchanged)."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID

from xuncha_shared.audit.kafka_copy import KafkaCopy
from xuncha_shared.audit.report import ServiceAudit


def _add_export_problem(
    audit: ServiceAudit, what: str, event_id: UUID, stream_id: str, version: int
) -> None:
    audit.add("export", what, stream_id=stream_id, stream_version=version, event_id=str(event_id))


class EarlierExport:
    """The events of an earlier export of one service (``verify --compare-export``): each must
    still be in the store with the same hash; events stored since are fine."""

    def __init__(self, label: str, events: dict[UUID, tuple[str, str, int]]) -> None:
        self.label = label
        self.events = events  # event_id -> (hash, stream_id, stream_version)
        self.matched = 0

    @classmethod
    def load(cls, directory: Path, service: str) -> EarlierExport | None:
        manifest = json.loads((directory / "manifest.json").read_text("utf-8"))
        entry = manifest.get("services", {}).get(service)
        if entry is None:
            return None
        events: dict[UUID, tuple[str, str, int]] = {}
        with (directory / Path(str(entry["file"])).name).open("rb") as f:
            for line in f:
                row = json.loads(line)
                events[UUID(row["event_id"])] = (
                    row["hash"],
                    row["stream_id"],
                    row["stream_version"],
                )
        return cls(f"the export {directory}", events)

    def check(
        self, audit: ServiceAudit, event_id: UUID, event_hash: str, stream_id: str, version: int
    ) -> None:
        known = self.events.pop(event_id, None)
        if known is None:
            return
        if known[0] != event_hash:
            what = f"changed since {self.label}: hash then {known[0][:16]}…, now {event_hash[:16]}…"
            _add_export_problem(audit, what, event_id, stream_id, version)
        else:
            self.matched += 1

    def finish(self, audit: ServiceAudit) -> None:
        what = f"in {self.label} but no longer in the store (removed?)"
        for event_id, (_, stream_id, version) in self.events.items():
            _add_export_problem(audit, what, event_id, stream_id, version)
        audit.notes.append(f"{self.matched} event(s) unchanged since {self.label}")


def kafka_copy_problems(audit: ServiceAudit, copy: KafkaCopy) -> None:
    assert audit.kafka is not None
    audit.kafka.messages = copy.messages
    audit.kafka.events = len(copy.events)
    audit.kafka.duplicates = copy.duplicates
    for topic in copy.scan.missing_topics:
        audit.add("kafka", f"topic {topic} does not exist")
    for partition in copy.scan.truncated:
        audit.add(
            "kafka",
            f"{partition} does not start at offset 0: messages were deleted (retention must be "
            "infinite); Kafka's copy is incomplete",
        )
    for where in copy.unreadable[:20]:
        audit.add("kafka", f"unreadable message at {where} (not an event envelope)")
    if len(copy.unreadable) > 20:
        audit.add("kafka", f"{len(copy.unreadable) - 20} more unreadable messages")
    for event_id, first, other_hash, other_where in copy.conflicts:
        audit.add(
            "kafka",
            f"two different copies on Kafka: {first.where} hash {first.event_hash[:16]}…, "
            f"{other_where} hash {other_hash[:16]}…",
            stream_id=first.stream_id,
            stream_version=first.stream_version,
            event_id=str(event_id),
        )
    for event_id, k in copy.events.items():
        if not k.consistent:
            audit.add(
                "kafka",
                f"Kafka's copy ({k.where}) does not match its own hash (altered on Kafka?)",
                stream_id=k.stream_id,
                stream_version=k.stream_version,
                event_id=str(event_id),
            )
