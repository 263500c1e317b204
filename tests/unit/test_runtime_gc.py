"""The collector's tuning: a paused bulk phase, and the command line tuned as a service is."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest
from xuncha_shared import runtime_gc
from xuncha_shared.cli import common
from xuncha_shared.runtime_gc import GC_THRESHOLDS, gc_paused


@pytest.fixture(autouse=True)
def collector_restored() -> Iterator[None]:
    enabled, thresholds = gc.isenabled(), gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)
    (gc.enable if enabled else gc.disable)()


def test_a_pause_stops_collection_and_gives_it_back() -> None:
    gc.enable()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_nested_and_overlapping_pauses_end_with_the_last() -> None:
    gc.enable()
    outer = gc_paused()
    outer.__enter__()
    with gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()  # the outer pause still runs
    outer.__exit__(None, None, None)
    assert gc.isenabled()


def test_concurrent_pauses_in_threads() -> None:
    gc.enable()
    inside = threading.Barrier(3)
    leave = threading.Event()

    def pause() -> None:
        with gc_paused():
            inside.wait()
            leave.wait()

    threads = [threading.Thread(target=pause) for _ in range(2)]
    for t in threads:
        t.start()
    inside.wait()
    assert not gc.isenabled()
    leave.set()
    for t in threads:
        t.join()
    assert gc.isenabled()


def test_a_pause_ended_by_an_error_gives_collection_back() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled() -> None:
    gc.disable()
    with gc_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()  # not enabled by the pause's end


def test_the_command_line_tunes_its_process_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime_gc, "_tuned", False)
    gc.set_threshold(700, 10, 10)

    async def thresholds() -> tuple[int, int, int]:
        return gc.get_threshold()

    assert common.run(thresholds()) == GC_THRESHOLDS
    gc.set_threshold(700, 10, 10)
    assert common.run(thresholds()) == (700, 10, 10)  # not tuned a second time
