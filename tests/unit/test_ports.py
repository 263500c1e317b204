"""The test ports chooser: below the ephemeral range, never a listening port, never twice."""

from __future__ import annotations

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
        busy = int(listener.getsockname()[1])
        monkeypatch.setattr(ports, "_in_random_order", lambda candidates: [busy, *candidates])
        assert ports.free_port() != busy


def test_the_deployment_s_configured_ports_are_never_chosen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its PostgreSQL, say, may be down for a moment (a test killed it) and listen on nothing."""
    high = ports.ephemeral_low()
    allowed = 3  # of the whole range, only three ports are not the deployment's
    for port in range(ports.LOW, high - allowed):
        monkeypatch.setenv(f"XUNCHA_T{port}_PORT", str(port))
    chosen = ports.free_ports(2)
    assert all(high - allowed <= p < high for p in chosen)
