"""A private, throwaway Kafka broker for tests that must stop or restart the broker itself.

It uses the jars `make up` resolved (.xuncha/kafka/libs) but its own ports and data folder, so a
running `make up` is never disturbed. Like the local deployment's broker it requires SASL (the
admin principal with the local deployment's password, SCRAM-SHA-512 or PLAIN), so the code's
clients (``xuncha_shared.kafka.client_security``) reach it unchanged; without generated secrets
(the Docker backend) it is PLAINTEXT.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from xuncha_shared import secrets
from xuncha_shared.kafka import client_options

REPO = Path(__file__).resolve().parents[2]
LIBS = Path(os.environ.get("XUNCHA_LOCAL_STATE") or REPO / ".xuncha") / "kafka" / "libs"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateKafka:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="xuncha-kafka-"))
        self.port = free_port()
        self.controller_port = free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.properties = self.dir / "server.properties"
        self.admin_password = secrets.read(secrets.kafka_file(secrets.KAFKA_ADMIN))
        self.properties.write_text(
            "\n".join(
                [
                    *self._auth_lines(),
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.bootstrap.servers=127.0.0.1:{self.controller_port}",
                    f"listeners=PLAINTEXT://127.0.0.1:{self.port},"
                    f"CONTROLLER://127.0.0.1:{self.controller_port}",
                    f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port},"
                    f"CONTROLLER://127.0.0.1:{self.controller_port}",
                    "inter.broker.listener.name=PLAINTEXT",
                    "controller.listener.names=CONTROLLER",
                    f"log.dirs={self.dir / 'data'}",
                    "num.partitions=3",
                    "offsets.topic.replication.factor=1",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "auto.create.topics.enable=false",
                    "log.retention.ms=-1",
                    "log.cleaner.dedupe.buffer.size=16777216",
                ]
            )
            + "\n"
        )
        cp = f"{LIBS}/*"
        cid = (
            subprocess.run(
                ["java", "-cp", cp, "kafka.tools.StorageTool", "random-uuid"],
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        subprocess.run(
            [
                "java",
                "-cp",
                cp,
                "kafka.tools.StorageTool",
                "format",
                "--standalone",
                "-t",
                cid,
                "-c",
                str(self.properties),
                *(
                    [
                        "--add-scram",
                        f"SCRAM-SHA-512=[name=admin,iterations=4096,password={self.admin_password}]",
                    ]
                    if self.admin_password
                    else []
                ),
            ],
            check=True,
            capture_output=True,
        )

    def _auth_lines(self) -> list[str]:
        """The listener PLAINTEXT is SASL_PLAINTEXT when the local deployment has secrets."""
        if not self.admin_password:
            return ["listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"]
        plain = (
            "org.apache.kafka.common.security.plain.PlainLoginModule required "
            f'username="admin" password="{self.admin_password}" '
            f'user_admin="{self.admin_password}";'
        )
        return [
            "listener.security.protocol.map=PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
            "sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN",
            "sasl.mechanism.inter.broker.protocol=PLAIN",
            "sasl.mechanism.controller.protocol=PLAIN",
            f"listener.name.plaintext.plain.sasl.jaas.config={plain}",
            "listener.name.plaintext.scram-sha-512.sasl.jaas.config="
            "org.apache.kafka.common.security.scram.ScramLoginModule required;",
            "listener.name.controller.sasl.enabled.mechanisms=PLAIN",
            f"listener.name.controller.plain.sasl.jaas.config={plain}",
        ]

    def start(self) -> None:
        log = open(self.dir / "kafka.out", "ab")  # noqa: SIM115 - owned by the process
        self.proc = subprocess.Popen(
            [
                "java",
                "-Xms256m",
                "-Xmx512m",
                "-cp",
                f"{LIBS}/*",
                "kafka.Kafka",
                str(self.properties),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    async def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            admin = AIOKafkaAdminClient(
                bootstrap_servers=self.bootstrap, request_timeout_ms=3000, **client_options()
            )
            try:
                await admin.start()
                await admin.describe_cluster()
                return
            except Exception as exc:
                last = exc
                await asyncio.sleep(0.3)
            finally:
                await admin.close()
        raise TimeoutError(f"private kafka not ready: {last}")

    async def create_topics(self, names: list[str], partitions: int = 3) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, **client_options())
        await admin.start()
        try:
            await admin.create_topics(
                [NewTopic(n, partitions, 1, topic_configs={"retention.ms": "-1"}) for n in names]
            )
        finally:
            await admin.close()

    def cleanup(self) -> None:
        self.stop(signal.SIGKILL)
        shutil.rmtree(self.dir, ignore_errors=True)
