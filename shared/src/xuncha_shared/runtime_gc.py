"""Garbage-collector tuning for the long-running processes (services, relays, the bench).

CPython's cyclic GC runs a generation-0 collection every 700 net container allocations. The
event paths allocate millions of short-lived dicts and models (a read page of 5000 envelopes
alone is ~50,000 containers), so the default threshold triggers collections over and over,
each walking the young objects for nothing: the event store's data are acyclic. Measured in
docs/performance.md ("Replay"): ``read_all`` 13–18k/s with the default GC against 22–23k/s with
a gen-0 threshold of 10,000.

:func:`tune_gc` (called once after start-up, by ``runtime.main``, ``relay.main`` and the
bench) first runs a full collection and ``gc.freeze()``s what survived — the imported modules,
pydantic schemas, the app objects — so later collections never scan them again, then raises
the thresholds. Reference cycles are still collected, only less often. The command line
(``cli.common.run``) tunes its process the same way: an auditor's ``xuncha audit verify`` or
``replay`` reads as much history as the service does.

:func:`gc_paused` stops cyclic collection for a bulk phase that builds millions of acyclic
objects and keeps them (a rebuild or an as-of replay folds the whole history into the rows of
its projection, in memory): with the tuned thresholds each full collection still walks
everything built so far.
Reference cycles made meanwhile are collected once the pause ends.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

#: gen-0 threshold (default 700), gen-1 and gen-2 multipliers (default 10, 10).
GC_THRESHOLDS: tuple[int, int, int] = (50_000, 20, 20)


_tuned = False


def tune_gc(thresholds: tuple[int, int, int] = GC_THRESHOLDS) -> None:
    """Collect, freeze the survivors into the permanent generation, raise the thresholds; once
    per process (a later call does nothing: what start-up built is frozen already)."""
    global _tuned
    if _tuned:
        return
    _tuned = True
    gc.collect()
    gc.freeze()
    gc.set_threshold(*thresholds)


_pause_lock = threading.Lock()
_pauses = 0
_enabled_before = True


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic collection while the block runs. Re-entrant and shared by concurrent blocks:
    the collector's state from before the first pause comes back when the last one ends."""
    global _pauses, _enabled_before
    with _pause_lock:
        if _pauses == 0:
            _enabled_before = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _enabled_before:
                gc.enable()
