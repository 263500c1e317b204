"""The digest over a history: one line per event, SHA-256 over the lines in commit-safe
order (the package docstring and docs/audit.md spell the format out)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from xuncha_shared.eventstore.base import START, Position

EMPTY_DIGEST = hashlib.sha256(b"").hexdigest()


def digest_line(tx_id: int, global_position: int, event_hash: str) -> bytes:
    return f"{tx_id} {global_position} {event_hash}\n".encode("ascii")


class HistoryDigest:
    """The running digest over the commit-safe order (see the module docstring)."""

    __slots__ = ("_sha", "count", "head")

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self.count = 0
        self.head = START

    def add(self, tx_id: int, global_position: int, event_hash: str) -> None:
        self._sha.update(digest_line(tx_id, global_position, event_hash))
        self.count += 1
        self.head = Position(tx_id, global_position)

    def hexdigest(self) -> str:
        return self._sha.hexdigest()

    def copy(self) -> HistoryDigest:
        other = HistoryDigest()
        other._sha = self._sha.copy()
        other.count = self.count
        other.head = self.head
        return other


def digest_of(rows: Iterable[tuple[int, int, str]]) -> HistoryDigest:
    """The digest of ``(tx_id, global_position, hash)`` rows already in commit-safe order."""
    digest = HistoryDigest()
    for tx_id, position, event_hash in rows:
        digest.add(tx_id, position, event_hash)
    return digest


class DigestCursor:
    """Computes the digest at each of several heads in one pass over the commit-safe order.

    Feed every event in ``(tx_id, global_position)`` order with ``add``; then ``finish``.
    ``results[head]`` is the ``(event_count, digest)`` of the events up to ``head``."""

    def __init__(self, heads: Iterable[Position]) -> None:
        self._heads = sorted(set(heads))
        self._next = 0
        self.digest = HistoryDigest()
        self.results: dict[Position, tuple[int, str]] = {}

    def _settle(self, before: Position | None) -> None:
        while self._next < len(self._heads) and (
            before is None or self._heads[self._next] < before
        ):
            head = self._heads[self._next]
            self.results[head] = (self.digest.count, self.digest.hexdigest())
            self._next += 1

    def add(self, tx_id: int, global_position: int, event_hash: str) -> None:
        if self._next < len(self._heads):
            self._settle(Position(tx_id, global_position))
        self.digest.add(tx_id, global_position, event_hash)

    def add_rows(self, rows: Sequence[Any], tx_id: int, position: int, event_hash: int) -> None:
        """``add`` for each row (indexes of the three values given); stops reading once every
        head is settled (the digest beyond the last head is never asked for)."""
        for row in rows:
            if self._next >= len(self._heads):
                return
            self.add(row[tx_id], row[position], row[event_hash])

    def finish(self) -> dict[Position, tuple[int, str]]:
        self._settle(None)
        return self.results
