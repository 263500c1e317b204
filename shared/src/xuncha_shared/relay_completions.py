"""The relay's batches in flight: handed to the producer, completed in order beside the relay's
read loop (acknowledgements awaited, then the position stored). See :mod:`xuncha_shared.relay`."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from xuncha_shared.eventstore.base import Position


@dataclass(frozen=True)
class InFlight:
    """A batch handed to the producer: its acknowledgement futures and where it ends."""

    pending: list[asyncio.Future[Any]]
    position: Position
    count: int
    #: when each event of the batch was recorded (epoch seconds), for the publish latency
    recorded: Sequence[float] = ()


async def await_acks(pending: Sequence[asyncio.Future[Any]]) -> None:
    """Wait for every acknowledgement; the first failure is raised (the batch is resent)."""
    if pending:
        try:
            await asyncio.gather(*pending)
        except BaseException:
            _discard_outcomes(pending)
            raise


#: batches handed to the producer and not yet completed, at most: the next batch is sent while
#: the one before it awaits its acknowledgements
MAX_IN_FLIGHT = 2


class Completions:
    """The batches handed to the producer, completed in order beside the relay's read loop:
    each one's acknowledgements awaited, then the position after it stored, once for all the
    batches acknowledged by then (a position covers every event before it: a busy relay stores
    it less often than once per batch, a calm one after each batch). The loop meanwhile reads
    and sends the next events instead of waiting for Kafka's answer and the position's commit.

    A failure (an acknowledgement refused, the database gone) stops the completions; the loop
    raises it at its next step (``wake`` rouses it from an idle wait) and the relay restarts from
    the stored position, so what was not stored is sent again (consumers drop duplicates by
    event id)."""

    def __init__(
        self,
        save: Callable[[Position], Any],
        done: Callable[[Sequence[InFlight], float], None],
        wake: Callable[[], None],
    ) -> None:
        self._save = save
        self._done = done
        self._wake = wake
        self._queue: deque[InFlight] = deque()
        self._added = asyncio.Event()
        self._changed = asyncio.Event()
        self.failure: BaseException | None = None
        self._task = asyncio.ensure_future(self._run())

    def add(self, batch: InFlight) -> None:
        self._queue.append(batch)
        self._added.set()

    def check(self) -> None:
        """Raise the failure of a completion, if one failed."""
        if self.failure is not None:
            raise self.failure

    async def room(self) -> None:
        """Until fewer than :data:`MAX_IN_FLIGHT` batches wait for completion."""
        await self._until(lambda: len(self._queue) < MAX_IN_FLIGHT)

    async def drain(self) -> None:
        """Until every batch handed over is completed (acknowledged, position stored)."""
        await self._until(lambda: not self._queue)

    async def _until(self, condition: Callable[[], bool]) -> None:
        while True:
            self.check()
            if condition():
                return
            self._changed.clear()
            await self._changed.wait()

    async def _run(self) -> None:
        try:
            while True:
                while not self._queue:
                    self._added.clear()
                    await self._added.wait()
                await await_acks(self._queue[0].pending)
                count = 1  # and every batch right behind it that is acknowledged already
                while count < len(self._queue) and _settled(self._queue[count].pending):
                    await await_acks(self._queue[count].pending)  # raises a refused one
                    count += 1
                acked = time.time()
                batches = [self._queue[i] for i in range(count)]
                await self._save(batches[-1].position)
                for _ in range(count):
                    self._queue.popleft()
                self._done(batches, acked)
                self._changed.set()
        except Exception as exc:  # raised in the loop by check()
            self.failure = exc
            self._changed.set()
            self._wake()

    async def close(self) -> None:
        """Stop completing; the outcomes of batches still in flight are of no interest any more
        (they are sent again from the stored position)."""
        self._task.cancel()
        with contextlib.suppress(BaseException):
            await self._task
        for batch in self._queue:
            _discard_outcomes(batch.pending)
        self._queue.clear()


def _settled(pending: Sequence[asyncio.Future[Any]]) -> bool:
    return all(f.done() for f in pending)


def _discard_outcomes(pending: Sequence[asyncio.Future[Any]]) -> None:
    """Retrieve the outcome of each future when it settles (no 'exception never retrieved')."""
    for future in pending:
        future.add_done_callback(_retrieve)


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
