"""The views kept per projection generation (``entrypoints/routes/view_cache.py``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from prometheus_client.parser import text_string_to_metric_families
from xuncha_reporting.adapters.projection_tables import Generation
from xuncha_reporting.entrypoints.routes.view_cache import ViewCache
from xuncha_shared import metrics


def gen(version: int, table: int = 1, demo: int = 0) -> Generation:
    return Generation(table=table, meta=(("demo", demo), ("version", version)))


def held(
    release: asyncio.Event, result: tuple[Generation, str] | Exception
) -> Callable[[], Awaitable[tuple[Generation, str]]]:
    """A computation that gives ``result`` (or raises it) once ``release`` is set."""

    async def compute() -> tuple[Generation, str]:
        await release.wait()
        if isinstance(result, Exception):
            raise result
        return result

    return compute


def ready(result: tuple[Generation, str]) -> Callable[[], Awaitable[tuple[Generation, str]]]:
    """A computation that gives ``result`` at once."""

    async def compute() -> tuple[Generation, str]:
        return result

    return compute


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_view_is_served_only_at_the_generation_it_was_read_at() -> None:
    cache = ViewCache(clock=Clock())
    assert cache.get("linked", gen(7)) is None
    view = {"version": 7}
    cache.put("linked", gen(7), view)
    assert cache.get("linked", gen(7)) is view
    # a change applied (version moved), a projection swapped in at the same version, demo data
    assert cache.get("linked", gen(8)) is None
    assert cache.get("linked", gen(7, table=2)) is None
    assert cache.get("linked", gen(7, demo=1)) is None
    assert cache.get("other", gen(7)) is None
    assert (cache.hits, cache.misses) == (1, 5)


def test_a_view_expires_after_its_ttl() -> None:
    clock = Clock()
    cache = ViewCache(ttl=30.0, clock=clock)
    cache.put("k", gen(1), "view")
    clock.now += 30.0
    assert cache.get("k", gen(1)) == "view"
    clock.now += 0.5
    assert cache.get("k", gen(1)) is None


async def test_an_expired_view_at_an_equal_generation_is_answered_while_it_is_refreshed() -> None:
    clock = Clock()
    cache = ViewCache(ttl=30.0, clock=clock)
    assert await cache.view("k", gen(1), ready((gen(1), "first"))) == "first"
    clock.now += 31.0
    release = asyncio.Event()
    refreshes = 0

    async def refresh() -> tuple[Generation, str]:
        nonlocal refreshes
        refreshes += 1
        await release.wait()
        return gen(1), "refreshed"

    # expired: every reader has the kept one at once, while one computation refreshes it
    answers = await asyncio.gather(*(cache.view("k", gen(1), refresh) for _ in range(20)))
    assert answers == ["first"] * 20 and refreshes == 1
    refreshing = cache._running["k"]
    release.set()
    await refreshing
    await asyncio.sleep(0)  # its done callback keeps it
    assert await cache.view("k", gen(1), refresh) == "refreshed" and refreshes == 1
    # expired at another generation: never the old one, computed
    clock.now += 31.0
    assert await cache.view("k", gen(2), ready((gen(2), "new"))) == "new"
    # a failed refresh leaves the kept one, and the next request tries again
    clock.now += 31.0
    failing = asyncio.Event()
    failing.set()
    assert await cache.view("k", gen(2), held(failing, RuntimeError("gone"))) == "new"
    with pytest.raises(RuntimeError, match="gone"):
        await cache._running["k"]
    await asyncio.sleep(0)  # its done callback lets it go
    assert "k" not in cache._running
    assert await cache.view("k", gen(2), ready((gen(2), "again"))) == "new"
    await cache._running["k"]
    await asyncio.sleep(0)
    assert cache.get("k", gen(2)) == "again"


def test_the_least_recently_used_views_go_beyond_the_size() -> None:
    cache = ViewCache(size=2, clock=Clock())
    cache.put("a", gen(1), "A")
    cache.put("b", gen(1), "B")
    assert cache.get("a", gen(1)) == "A"  # b is now the least recently used
    cache.put("c", gen(1), "C")
    assert len(cache) == 2
    assert cache.get("b", gen(1)) is None
    assert (cache.get("a", gen(1)), cache.get("c", gen(1))) == ("A", "C")
    cache.put("a", gen(2), "A2")  # kept again under a new generation: replaced, not added
    assert len(cache) == 2 and cache.get("a", gen(2)) == "A2"


async def test_requests_that_miss_together_share_one_computation() -> None:
    cache = ViewCache(clock=Clock())
    computed = 0
    release = asyncio.Event()

    async def compute() -> tuple[Generation, str]:
        nonlocal computed
        computed += 1
        await release.wait()
        return gen(3), f"view {computed}"

    waiting = [asyncio.create_task(cache.view("k", gen(3), compute)) for _ in range(50)]
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(*waiting) == ["view 1"] * 50
    assert computed == 1
    assert await cache.view("k", gen(3), compute) == "view 1"  # kept
    assert computed == 1


async def test_a_request_at_a_newer_generation_does_not_take_an_older_computation() -> None:
    cache = ViewCache(clock=Clock())
    release = asyncio.Event()
    first = asyncio.create_task(cache.view("k", gen(3), held(release, (gen(3), "old"))))
    await asyncio.sleep(0)
    second = asyncio.create_task(cache.view("k", gen(4), ready((gen(4), "new"))))
    await asyncio.sleep(0)
    release.set()
    assert (await first, await second) == ("old", "new")
    assert cache.get("k", gen(4)) == "new"


async def test_a_failed_computation_fails_its_request_and_the_others_compute_again() -> None:
    cache = ViewCache(clock=Clock())
    release = asyncio.Event()
    broken = held(release, RuntimeError("the database went away"))
    first = asyncio.create_task(cache.view("k", gen(3), broken))
    await asyncio.sleep(0)
    second = asyncio.create_task(cache.view("k", gen(3), ready((gen(3), "view"))))
    await asyncio.sleep(0)
    release.set()
    with pytest.raises(RuntimeError, match="went away"):
        await first
    assert await second == "view"


async def test_a_view_is_kept_when_its_request_goes_away() -> None:
    cache = ViewCache(clock=Clock())
    release = asyncio.Event()
    request = asyncio.create_task(cache.view("k", gen(3), held(release, (gen(3), "view"))))
    await asyncio.sleep(0)
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request
    release.set()
    for _ in range(3):
        await asyncio.sleep(0)
    assert cache.get("k", gen(3)) == "view"


async def test_each_lookup_is_counted_by_view_and_outcome() -> None:
    """``xuncha_view_cache_lookups_total``: kept (hit), another request's computation (shared)
    or computed, per view."""
    metrics.setup_metrics("test")

    def count(outcome: str) -> float:
        for family in text_string_to_metric_families(metrics.render().decode()):
            for s in family.samples:
                labels = s.labels
                if (
                    s.name == "xuncha_view_cache_lookups_total"
                    and labels.get("view") == "counted"
                    and labels.get("outcome") == outcome
                ):
                    return s.value
        return 0.0

    cache = ViewCache(clock=Clock(), name="counted")
    release = asyncio.Event()
    compute = held(release, (gen(1), "view"))
    first = asyncio.ensure_future(cache.view("k", gen(1), compute))
    await asyncio.sleep(0)
    second = asyncio.ensure_future(cache.view("k", gen(1), compute))
    await asyncio.sleep(0)
    release.set()
    assert await first == await second == "view"
    assert await cache.view("k", gen(1), compute) == "view"
    assert [count(o) for o in ("computed", "shared", "hit", "stale")] == [1, 1, 1, 0]
