"""Free TCP ports for servers a test or a benchmark starts as another process.

A port is chosen below the kernel's ephemeral range (``ip_local_port_range``). The usual
"bind port 0, close, hand the number on" picks a port *inside* that range, and between the
close and the child's own bind any outgoing connection on the machine (a Kafka client, a
pool, another test's HTTP client) may be given it as its source port: the child then fails
with "address already in use" (a CI run lost a whole e2e module's stack to that), and a
client retrying a stopped broker's port may even connect to itself (deploy/local/README.md,
"Broker configuration"). Outside the range only another listener can take a port, and the
bind check sees listeners. Within one process no port is handed out twice; two processes
choosing at the same moment (two pytest-xdist workers, a benchmark beside the suite) pick
from about 12,000 ports at random, and the child that loses such a draw fails to bind.
"""

from __future__ import annotations

import contextlib
import os
import random
import socket
import threading
from pathlib import Path

HOST = "127.0.0.1"
#: the lowest port chosen (above the deployment's fixed ports and its test lanes')
LOW = 20000
HIGHEST = 65535

_given: set[int] = set()
_lock = threading.Lock()
_rng = random.Random()


def ephemeral_range() -> tuple[int, int]:
    """The kernel's ephemeral range, first and last port (32768-60999 where unreadable)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[:2]
        return int(low), int(high)
    return 32768, 60999


def configured_ports() -> set[int]:
    """The ports the deployment is configured with (``XUNCHA_*_PORT``), which a test may have
    stopped or killed for a moment. The defaults all lie below ``LOW``; this matters where a
    deployment is moved into the chosen range (a second checkout's ``make up`` on other
    ports)."""
    found = set()
    for name, value in os.environ.items():
        if name.startswith("XUNCHA_") and name.endswith("_PORT") and value.isdigit():
            found.add(int(value))
    return found


def candidates() -> list[int]:
    """Ports outside the ephemeral range: [LOW, its start), else above its end."""
    low, high = ephemeral_range()
    below = range(LOW, low)
    return list(below) if len(below) > 0 else list(range(max(LOW, high + 1), HIGHEST + 1))


def _in_random_order(ports: list[int]) -> list[int]:
    return _rng.sample(ports, len(ports))


def _bindable(port: int) -> socket.socket | None:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((HOST, port))
    except OSError:
        s.close()
        return None
    return s


def free_ports(n: int) -> list[int]:
    """``n`` distinct ports outside the ephemeral range that nothing listens on, that are none
    of the deployment's configured ports, and that this process has not handed out before.
    Where no port lies outside the range, the kernel's choice (port 0), as before."""
    with _lock, contextlib.ExitStack() as held:  # held until all are chosen: no port twice
        taken = _given | configured_ports()
        ports: list[int] = []
        for port in _in_random_order([p for p in candidates() if p not in taken]):
            bound = _bindable(port)
            if bound is None:
                continue
            held.enter_context(bound)
            ports.append(port)
            if len(ports) == n:
                _given.update(ports)
                return ports
        while len(ports) < n:  # nothing outside the range: inside it, as the kernel gives
            bound = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            bound.bind((HOST, 0))
            ports.append(int(bound.getsockname()[1]))
        _given.update(ports)
        return ports


def free_port() -> int:
    """One port, as :func:`free_ports`."""
    return free_ports(1)[0]
