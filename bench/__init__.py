"""Side-by-side benchmarks of the xuncha shared core (``make bench`` = ``python -m bench``).

Every figure is measured next to a baseline doing the same work with the bare client libraries
(raw asyncpg, raw aiokafka) in the same run, alternating subject and baseline over several
rounds; the reported ratio is the median of the per-round ratios. See docs/performance.md.
"""

from __future__ import annotations

BENCHMARKS: tuple[str, ...] = (
    "append",
    "relay",
    "latency",
    "replay",
    "dashboard",
    "audit",
    "deadlines",
    "security",
    "workbench",
    "term",
    "idle",
)
