"""The idle benchmark's per-thread view (``python -m bench.idle --threads N``): CPU time of each
thread from ``/proc/<pid>/task``, the threads of one pool counted together."""

from __future__ import annotations

import ctypes
import os
import threading
import time

import pytest

from bench.idle import CLK_TCK, thread_shares, thread_ticks

pytestmark = pytest.mark.unit

PR_SET_NAME = 15  # prctl(2)


def test_threads_of_a_pool_count_together_largest_first() -> None:
    before = {(1, 1): ("request-handler-0", 100), (1, 2): ("request-handler-1", 50)}
    after = {
        (1, 1): ("request-handler-0", 100 + CLK_TCK),  # one second of CPU
        (1, 2): ("request-handler-1", 50 + CLK_TCK),
        (1, 3): ("reaper", CLK_TCK // 2),  # started meanwhile: all of its time counts
    }
    shares = thread_shares(before, after, seconds=10.0)
    assert list(shares) == ["request-handler-N", "reaper"]
    assert shares["request-handler-N"][0] == 2
    assert shares["request-handler-N"][1] == pytest.approx(20.0)
    assert shares["reaper"][0] == 1
    assert shares["reaper"][1] == pytest.approx(5.0)


def test_a_busy_thread_of_this_process_is_seen_under_its_name() -> None:
    done, release = threading.Event(), threading.Event()

    def spin() -> None:
        # the kernel's name of this thread (Python 3.11 names only its own Thread object)
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_NAME, b"spin-7", 0, 0, 0)
        start, spins = time.thread_time(), 0
        while time.thread_time() - start < 0.2:  # 0.2 s of CPU, however long that takes
            spins += 1
        done.set()
        release.wait(60)  # alive (its /proc/.../task entry there) until it has been read

    before = thread_ticks([os.getpid()])
    worker = threading.Thread(target=spin, name="spin-7")
    worker.start()
    assert done.wait(60)
    after = thread_ticks([os.getpid()])
    release.set()
    worker.join()
    names = {name for name, _ in after.values()}
    assert "spin-7" in names
    shares = thread_shares(before, after, seconds=1.0)
    assert shares["spin-N"][0] == 1 and shares["spin-N"][1] > 0
