"""Where checkpoints are found besides the table: files handed to a verifier and the Kafka
topic ``audit.checkpoints``; one entry per distinct checkpoint with all its sources."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xuncha_shared.audit.checkpoints.document import Checkpoint
from xuncha_shared.audit.checkpoints.errors import CheckpointFormatError
from xuncha_shared.contracts.topics import AUDIT_CHECKPOINTS


@dataclass
class CheckpointSource:
    """A checkpoint and where it was found (``table``, ``kafka``, ``file:<path>``, ...)."""

    checkpoint: Checkpoint
    sources: list[str] = field(default_factory=list)


def merge_sources(*groups: Iterable[tuple[Checkpoint, str]]) -> list[CheckpointSource]:
    """One entry per distinct checkpoint (same signed document), with all its sources."""
    merged: dict[tuple[str, str], CheckpointSource] = {}
    for group in groups:
        for checkpoint, source in group:
            key = (checkpoint.to_json(), checkpoint.signature)
            entry = merged.setdefault(key, CheckpointSource(checkpoint))
            if source not in entry.sources:
                entry.sources.append(source)
    return sorted(
        merged.values(),
        key=lambda e: (e.checkpoint.service, e.checkpoint.head, e.checkpoint.key_id),
    )


def load_checkpoint_files(paths: Sequence[Path]) -> list[tuple[Checkpoint, str]]:
    """Checkpoints from files: one JSON object, a JSON array of them, or JSON Lines."""
    out: list[tuple[Checkpoint, str]] = []
    for path in paths:
        text = path.read_text("utf-8")
        try:
            doc = json.loads(text)
            docs = doc if isinstance(doc, list) else [doc]
        except ValueError:
            docs = [json.loads(line) for line in text.splitlines() if line.strip()]
        for item in docs:
            try:
                out.append((Checkpoint.from_document(item), f"file:{path}"))
            except CheckpointFormatError as exc:
                raise CheckpointFormatError(f"{path}: {exc}") from None
    return out


async def read_kafka_checkpoints(
    bootstrap: str, topic_prefix: str
) -> tuple[list[tuple[Checkpoint, str]], int]:
    """Every checkpoint on ``<prefix>audit.checkpoints``, and the number of unreadable
    messages there."""
    from xuncha_shared.audit.kafka_copy import scan_topics

    found: list[tuple[Checkpoint, str]] = []
    unreadable = 0

    def on_record(topic: str, partition: int, offset: int, value: bytes | None, _: Any) -> None:
        nonlocal unreadable
        try:
            found.append((Checkpoint.from_json(value or b""), "kafka"))
        except CheckpointFormatError:
            unreadable += 1

    await scan_topics(bootstrap, [topic_prefix + AUDIT_CHECKPOINTS], on_record)
    return found, unreadable
