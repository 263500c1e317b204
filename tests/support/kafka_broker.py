"""A private, throwaway KRaft Kafka cluster - one node, or three - for tests that must stop,
kill or restart brokers themselves.

It uses the jars `make up` resolved (.xuncha/kafka/libs) but its own ports and data folders, so
a running `make up` is never disturbed. Every node is broker and controller in one JVM, and its
server.properties is rendered by ``deploy/local/kafka-properties.sh``, the script `make up`
renders its own with: the same listeners, SASL (the local deployment's admin password) and ACLs,
and with three nodes the same static quorum of three controllers, replication factor 3,
``min.insync.replicas=2`` and no unclean leader election as ``make up KAFKA_BROKERS=3``. The
code's clients (``xuncha_shared.kafka.client_security``: the admin principal in the tests) reach
it unchanged; topics are created as provisioning creates them for the live cluster
(``provision.create_cluster_topics``).
"""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from aiokafka.errors import KafkaError
from xuncha_shared import provision, secrets

from bench.ports import free_ports

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy" / "local"
LIBS = Path(os.environ.get("XUNCHA_LOCAL_STATE") or REPO / ".xuncha") / "kafka" / "libs"
HOST = "127.0.0.1"
T = TypeVar("T")
#: the heap of a node (make up KAFKA_BROKERS=3 gives each of its three nodes the same)
HEAP = ["-Xms128m", "-Xmx384m"]
#: a short-lived JVM (the storage tool, and a broker that lives for one test) starts in about
#: half the CPU time with the client compiler alone
QUICK_JVM = ["-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Djava.awt.headless=true"]


def _cluster_id() -> str:
    """A new cluster id as ``kafka-storage random-uuid`` makes it (16 random bytes, base64url
    without padding, never starting with a dash), without starting a JVM for it."""
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


class PrivateKafka:
    """``nodes`` KRaft nodes (1 or 3), numbered 1.. like ``make up``'s kafka-1..kafka-3."""

    def __init__(self, nodes: int = 1) -> None:
        self.nodes = nodes
        self.admin_password = secrets.read(secrets.kafka_file(secrets.KAFKA_ADMIN))
        if not self.admin_password:
            raise RuntimeError("a private Kafka needs the local deployment's secrets (make infra)")
        self.dir = Path(tempfile.mkdtemp(prefix="xuncha-kafka-"))
        ports = free_ports(2 * nodes)
        self.ports, self.controller_ports = ports[:nodes], ports[nodes:]
        self.bootstrap = ",".join(f"{HOST}:{p}" for p in self.ports)
        self.procs: dict[int, subprocess.Popen[bytes]] = {}
        cluster_id = _cluster_id()
        for node in self.node_ids:
            self._render(node)
        # formatted side by side: a JVM each
        formats = [self._format(node, cluster_id) for node in self.node_ids]
        for node, proc in zip(self.node_ids, formats, strict=True):
            _, err = proc.communicate()
            if proc.returncode:
                raise RuntimeError(f"formatting node {node} failed: {err.decode()}")

    @property
    def node_ids(self) -> range:
        return range(1, self.nodes + 1)

    def node_dir(self, node: int) -> Path:
        return self.dir / f"node-{node}"

    def properties(self, node: int) -> Path:
        return self.node_dir(node) / "server.properties"

    def _render(self, node: int) -> None:
        self.node_dir(node).mkdir(mode=0o700)
        rendered = subprocess.run(
            [
                str(DEPLOY / "kafka-properties.sh"),
                str(node),
                str(self.node_dir(node) / "data"),
                ",".join(map(str, self.ports)),
                ",".join(map(str, self.controller_ports)),
            ],
            env={**os.environ, "KAFKA_ADMIN_PASSWORD": self.admin_password},
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        self.properties(node).write_text(rendered)
        self.properties(node).chmod(0o600)

    def _format(self, node: int, cluster_id: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                "java",
                *QUICK_JVM,
                "-XX:+UseSerialGC",
                "-cp",
                f"{LIBS}/*",
                "kafka.tools.StorageTool",
                "format",
                *(["--standalone"] if self.nodes == 1 else []),  # three: controller.quorum.voters
                "-t",
                cluster_id,
                "-c",
                str(self.properties(node)),
                "--add-scram",
                f"SCRAM-SHA-512=[name=admin,iterations=4096,password={self.admin_password}]",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def start(self, node: int | None = None) -> None:
        """Start every node, or ``node`` alone."""
        for n in self.node_ids if node is None else (node,):
            log = open(self.node_dir(n) / "console.log", "ab")  # noqa: SIM115 - the JVM's
            self.procs[n] = subprocess.Popen(
                [
                    "java",
                    *HEAP,
                    *QUICK_JVM,
                    "-XX:+UseG1GC",
                    "-XX:MaxGCPauseMillis=20",
                    f"-Dlog4j2.configurationFile={DEPLOY / 'kafka' / 'log4j2.xml'}",
                    f"-Dxuncha.logdir={self.node_dir(n)}",
                    f"-Dkafka.logs.dir={self.node_dir(n)}",
                    "-cp",
                    f"{LIBS}/*",
                    "kafka.Kafka",
                    str(self.properties(n)),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            log.close()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30, node: int | None = None) -> None:
        """Stop every node, or ``node`` alone, with ``sig`` (SIGKILL after ``timeout``)."""
        for n in list(self.procs) if node is None else [node]:
            proc = self.procs.pop(n, None)
            if proc is None:
                continue
            if proc.poll() is None:
                os.killpg(proc.pid, sig)
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()

    async def wait_ready(self, timeout: float = 90, brokers: int | None = None) -> None:
        """Until the cluster answers with ``brokers`` (default: all its nodes) live brokers."""
        await provision.wait_for_kafka(self.bootstrap, timeout, brokers=brokers or self.nodes)

    async def create_topics(self, names: list[str]) -> int:
        """Create ``names`` as provisioning does on this cluster; returns their replication."""
        _, replication = await provision.create_cluster_topics(self.bootstrap, names)
        return replication

    async def _ask(self, ask: Callable[[Any], Awaitable[T]], timeout: float = 30) -> T:
        """``ask(admin client)``. While a node is down the admin client may send to it (any
        broker of the metadata it has): asked again, for up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                async with provision.kafka_admin(self.bootstrap, request_timeout_ms=5000) as admin:
                    return await ask(admin)
            except (KafkaError, OSError):
                if time.monotonic() >= deadline:
                    raise
                await asyncio.sleep(0.2)

    async def partitions(self, topic: str) -> list[dict[str, Any]]:
        """The partitions of ``topic`` as the cluster describes them now (``partition``,
        ``leader``, ``replicas``, ``isr``), by partition."""
        (described,) = await self._ask(lambda admin: admin.describe_topics([topic]))
        return sorted(described["partitions"], key=lambda p: int(p["partition"]))

    async def coordinator(self, group_id: str) -> int:
        """The node coordinating the consumer group ``group_id``."""
        node: int = await self._ask(lambda admin: admin.find_coordinator(group_id))
        return node

    def cleanup(self) -> None:
        self.stop(signal.SIGKILL)
        shutil.rmtree(self.dir, ignore_errors=True)
