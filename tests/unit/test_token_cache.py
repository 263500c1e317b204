"""The process's kept tokens (xuncha_shared.auth.token_cache): what is kept, for how long, and
what drops it. The listener on the real database is tested in
tests/integration/test_token_revocations.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from xuncha_shared.auth.token_cache import TokenCache
from xuncha_shared.domain.principals import Principal, Role

pytestmark = pytest.mark.unit

ADMIN = Principal(id="county-1", role=Role.COUNTY_ADMIN, jurisdiction="361002")
OTHER = Principal(id="city-1", role=Role.CITY_ADMIN, jurisdiction="361000")
H1, H2, H3 = "a" * 64, "b" * 64, "c" * 64


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def listening(**kw: object) -> tuple[TokenCache, Clock]:
    clock = Clock()
    cache = TokenCache(monotonic=clock, **kw)  # type: ignore[arg-type]
    cache.listening = True
    return cache, clock


def test_nothing_is_kept_while_revocations_are_not_heard() -> None:
    cache = TokenCache()
    cache.keep(H1, ADMIN, None, cache.generation)
    assert cache.get(H1) is None
    assert len(cache) == 0


def test_a_row_is_kept_and_served_until_its_ttl() -> None:
    cache, clock = listening(ttl=30.0)
    cache.keep(H1, ADMIN, None, cache.generation)
    assert cache.get(H1) == ADMIN
    clock.now += 29.9
    assert cache.get(H1) == ADMIN
    clock.now += 0.1
    assert cache.get(H1) is None
    assert len(cache) == 0


def test_a_row_read_before_a_notification_is_not_kept() -> None:
    """A revocation notified while the row was being read: the row may be the old one."""
    cache, _ = listening()
    generation = cache.generation
    cache.forget(H2)  # a notification for any token arrives during the read
    cache.keep(H1, ADMIN, None, generation)
    assert cache.get(H1) is None
    cache.keep(H1, ADMIN, None, cache.generation)
    assert cache.get(H1) == ADMIN


def test_forget_drops_one_token_or_all() -> None:
    cache, _ = listening()
    cache.keep(H1, ADMIN, None, cache.generation)
    cache.keep(H2, OTHER, None, cache.generation)
    cache.forget(H1)
    assert cache.get(H1) is None
    assert cache.get(H2) == OTHER
    cache.forget()
    assert cache.get(H2) is None


def test_the_notification_payload_drops_that_token() -> None:
    cache, _ = listening()
    cache.keep(H1, ADMIN, None, cache.generation)
    cache.keep(H2, OTHER, None, cache.generation)
    cache._notified(None, 1, "xuncha_auth_tokens", H1)
    assert (cache.get(H1), cache.get(H2)) == (None, OTHER)
    cache._notified(None, 1, "xuncha_auth_tokens", "")  # an empty payload: everything
    assert cache.get(H2) is None


def test_kept_rows_are_not_served_once_the_listener_stops() -> None:
    cache, _ = listening()
    cache.keep(H1, ADMIN, None, cache.generation)
    cache.listening = False
    assert cache.get(H1) is None


def test_a_kept_token_past_its_expiry_is_not_served() -> None:
    cache, _ = listening(ttl=3600.0)
    cache.keep(H1, ADMIN, datetime.now(UTC) - timedelta(seconds=1), cache.generation)
    cache.keep(H2, OTHER, datetime.now(UTC) + timedelta(hours=1), cache.generation)
    assert cache.get(H1) is None
    assert cache.get(H2) == OTHER


def test_the_oldest_row_makes_room_past_max_entries() -> None:
    cache, _ = listening(max_entries=2)
    for h, p in ((H1, ADMIN), (H2, OTHER), (H3, ADMIN)):
        cache.keep(h, p, None, cache.generation)
    assert len(cache) == 2
    assert (cache.get(H1), cache.get(H2), cache.get(H3)) == (None, OTHER, ADMIN)
