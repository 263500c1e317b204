"""The test ports chooser: below the ephemeral range, never a listening port, never twice."""

from __future__ import annotations

import random
import socket

import pytest

from tests.support import ports

pytestmark = pytest.mark.unit


def test_ports_are_below_the_ephemeral_range_and_never_handed_out_twice() -> None:
    chosen = [ports.free_port() for _ in range(200)] + ports.free_ports(50)
    assert len(set(chosen)) == len(chosen)
    assert all(ports.LOW <= p < ports.ephemeral_low() for p in chosen)


def test_a_port_something_listens_on_is_passed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as listener:
        listener.bind((ports.HOST, 0))  # any port; the chooser is made to try it first
        listener.listen()
        busy = listener.getsockname()[1]

        class Scripted(random.Random):
            def __init__(self) -> None:
                super().__init__(7)
                self.first = True

            def randrange(self, *args: int) -> int:  # type: ignore[override]
                if self.first:
                    self.first = False
                    return int(busy)
                return super().randrange(*args)

        monkeypatch.setattr(ports, "_rng", Scripted())
        assert ports.free_port() != busy
