"""Free TCP ports for servers a test or a benchmark starts as another process.

A port is chosen below the kernel's ephemeral range (``ip_local_port_range``). The usual
"bind port 0, close, hand the number on" picks a port *inside* that range, and between the
close and the child's own bind any outgoing connection on the machine (a Kafka client, a
pool, another test's HTTP client) may be given it as its source port: the child then fails
with "address already in use" (a CI run lost a whole e2e module's stack to that), and a
client retrying a stopped broker's port may even connect to itself (deploy/local/README.md,
"Broker configuration"). Below the
range only another listener can take a port, and the bind check sees listeners; the numbers
one process has handed out are never handed out again, so two servers of one run never share
one.
"""

from __future__ import annotations

import contextlib
import os
import random
import socket
import threading
from pathlib import Path

HOST = "127.0.0.1"
#: the lowest port chosen (well above the fixed ports of the deployment and its tools)
LOW = 20000

_given: set[int] = set()
_lock = threading.Lock()
_rng = random.Random()


def ephemeral_low() -> int:
    """The first port of the kernel's ephemeral range (32768 where it cannot be read)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    return 32768


def configured_ports() -> set[int]:
    """The ports the deployment is configured with (``XUNCHA_*_PORT``): a server of the
    deployment that a test has stopped or killed listens on none, but will again."""
    found = set()
    for name, value in os.environ.items():
        if name.startswith("XUNCHA_") and name.endswith("_PORT") and value.isdigit():
            found.add(int(value))
    return found


def _in_random_order(candidates: list[int]) -> list[int]:
    return _rng.sample(candidates, len(candidates))


def free_ports(n: int) -> list[int]:
    """``n`` distinct ports in [LOW, ephemeral low) that nothing listens on, that are none of
    the deployment's configured ports, and that this process has not handed out before."""
    high = ephemeral_low()
    ports: list[int] = []
    with _lock, contextlib.ExitStack() as held:  # held until all are chosen: no port twice
        taken = _given | configured_ports()
        for port in _in_random_order([p for p in range(LOW, high) if p not in taken]):
            s = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            try:
                s.bind((HOST, port))
            except OSError:
                continue
            ports.append(port)
            if len(ports) == n:
                _given.update(ports)
                return ports
    raise RuntimeError(f"no {n} free ports between {LOW} and {high}")


def free_port() -> int:
    """One port, as :func:`free_ports`."""
    return free_ports(1)[0]
