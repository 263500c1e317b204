"""The service process's event loop (XUNCHA_EVENT_LOOP)."""

from __future__ import annotations

import asyncio

import pytest
import uvloop
from xuncha_shared import event_loop
from xuncha_shared.settings import Settings

pytestmark = pytest.mark.unit


async def _loop_type() -> type:
    return type(asyncio.get_running_loop())


def test_uvloop_is_the_default() -> None:
    assert Settings().event_loop == "uvloop"
    assert event_loop.run(_loop_type(), "uvloop") is uvloop.Loop


def test_the_standard_loop_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XUNCHA_EVENT_LOOP", "asyncio")
    choice = Settings().event_loop
    assert choice == "asyncio"
    assert not issubclass(event_loop.run(_loop_type(), choice), uvloop.Loop)


def test_an_unknown_loop_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XUNCHA_EVENT_LOOP", "trio")
    with pytest.raises(ValueError, match="event_loop"):
        Settings()
