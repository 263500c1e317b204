"""One read of the projection's generation for the requests that ask at once, never older than
the request (``entrypoints/routes/coalesced_read.py``)."""

from __future__ import annotations

import asyncio

import pytest
from xuncha_reporting.entrypoints.routes.coalesced_read import CoalescedRead


class Source:
    """A value that a test changes, read by reads the test lets finish one at a time; each read
    sees the value as it was when the read started (as a query's snapshot would)."""

    def __init__(self) -> None:
        self.value = 0
        self.started: list[int] = []  # the value each read saw, in start order
        self.gates: list[asyncio.Event] = []
        self.fail_next: Exception | None = None

    async def read(self) -> int:
        seen = self.value
        self.started.append(seen)
        gate = asyncio.Event()
        self.gates.append(gate)
        failure, self.fail_next = self.fail_next, None
        await gate.wait()
        if failure:
            raise failure
        return seen

    async def finish(self, index: int) -> None:
        self.gates[index].set()
        for _ in range(5):  # let the callbacks and the waiters run
            await asyncio.sleep(0)


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_callers_arriving_together_share_one_read() -> None:
    source = Source()
    read = CoalescedRead(source.read)
    callers = [asyncio.ensure_future(read()) for _ in range(10)]
    await settle()
    # the first started a read; the other nine arrived while it ran: they wait for the next
    assert source.started == [0]
    await source.finish(0)
    assert callers[0].done() and not callers[1].done()
    assert source.started == [0, 0]  # the next read, for the nine, started at once
    await source.finish(1)
    assert [c.result() for c in callers] == [0] * 10
    assert read.reads == 2


async def test_a_caller_never_gets_a_read_that_started_before_it_asked() -> None:
    source = Source()
    read = CoalescedRead(source.read)
    early = asyncio.ensure_future(read())
    await settle()
    source.value = 1  # a change commits while the first read runs
    late = asyncio.ensure_future(read())  # the request that follows the change
    await settle()
    await source.finish(0)
    assert early.result() == 0
    assert not late.done()  # the read that ran started before it asked: not its answer
    await source.finish(1)
    assert late.result() == 1


async def test_one_read_at_a_time_and_a_new_one_when_idle() -> None:
    source = Source()
    read = CoalescedRead(source.read)
    first = asyncio.ensure_future(read())
    await settle()
    await source.finish(0)
    assert first.result() == 0
    source.value = 2
    again = asyncio.ensure_future(read())  # nothing runs: a read starts for it
    await settle()
    assert source.started == [0, 2]
    await source.finish(1)
    assert again.result() == 2


async def test_a_failed_read_fails_its_callers_and_the_next_read_still_runs() -> None:
    source = Source()
    read = CoalescedRead(source.read)
    source.fail_next = RuntimeError("the database went away")
    failing = asyncio.ensure_future(read())
    await settle()
    waiting = asyncio.ensure_future(read())
    await settle()
    await source.finish(0)
    with pytest.raises(RuntimeError, match="went away"):
        failing.result()
    await source.finish(1)
    assert waiting.result() == 0


async def test_a_caller_that_goes_away_leaves_the_read_to_the_others() -> None:
    source = Source()
    read = CoalescedRead(source.read)
    gone = asyncio.ensure_future(read())
    stays = asyncio.ensure_future(read())
    await settle()
    gone.cancel()
    await settle()
    await source.finish(0)
    await source.finish(1)
    assert gone.cancelled()
    assert stays.result() == 0
