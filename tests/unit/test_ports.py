"""The ports chooser (bench/ports.py): outside the ephemeral range, never a listening port,
never one of the deployment's, never twice in a process."""

from __future__ import annotations

import socket

import pytest

from bench import ports

pytestmark = pytest.mark.unit


def test_ports_are_outside_the_ephemeral_range_and_never_handed_out_twice() -> None:
    chosen = [ports.free_port() for _ in range(200)] + ports.free_ports(50)
    assert len(set(chosen)) == len(chosen)
    low, high = ports.ephemeral_range()
    assert all(not low <= p <= high for p in chosen)


def test_a_port_something_listens_on_is_passed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as listener:
        listener.bind((ports.HOST, 0))  # any port; the chooser is made to try it first
        listener.listen()
        busy = int(listener.getsockname()[1])
        monkeypatch.setattr(ports, "_in_random_order", lambda candidates: [busy, *candidates])
        assert ports.free_port() != busy


def _free_now(count: int) -> list[int]:
    """``count`` candidates nothing listens on at this moment."""
    found: list[int] = []
    for port in ports.candidates():
        with socket.socket() as s:
            try:
                s.bind((ports.HOST, port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    raise AssertionError("no free candidates")


def test_the_deployment_s_configured_ports_are_never_chosen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its PostgreSQL, say, may be down for a moment (a test killed it) and listen on nothing."""
    monkeypatch.setattr(ports, "_given", set())
    allowed = set(_free_now(3))
    for port in ports.candidates():
        if port not in allowed:
            monkeypatch.setenv(f"XUNCHA_T{port}_PORT", str(port))
    assert set(ports.free_ports(2)) <= allowed


def test_where_no_port_lies_below_the_range_the_ports_above_it_are_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ports, "ephemeral_range", lambda: (1024, 60999))
    monkeypatch.setattr(ports, "_given", set())
    assert all(60999 < p <= 65535 for p in ports.free_ports(3))
