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


def free_ports(n: int) -> list[int]:
    """``n`` distinct ports in [LOW, ephemeral low) that nothing listens on and that this
    process has not handed out before."""
    high = ephemeral_low()
    ports: list[int] = []
    with _lock, contextlib.ExitStack() as held:  # held until all are chosen: no port twice
        for _ in range(50 * n + 1000):
            if len(ports) == n:
                break
            port = _rng.randrange(LOW, high)
            if port in _given:
                continue
            s = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            try:
                s.bind((HOST, port))
            except OSError:
                continue
            ports.append(port)
        else:
            raise RuntimeError(f"no {n} free ports between {LOW} and {high}")
        _given.update(ports)
    return ports


def free_port() -> int:
    """One port, as :func:`free_ports`."""
    return free_ports(1)[0]
