"""Kafka: readiness, topics (retention forever) and their configuration."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from xuncha_shared.contracts.topics import all_topics
from xuncha_shared.kafka import KafkaSecurity, client_security
from xuncha_shared.provision.common import ProvisionError, check_pid

log = logging.getLogger("xuncha.provision")

TOPIC_PARTITIONS = 6
TOPIC_REPLICATION = 1
TOPIC_CONFIGS: dict[str, str] = {"retention.ms": "-1", "retention.bytes": "-1"}
#: On a cluster of three brokers or more (``make up KAFKA_BROKERS=3``, production) every topic
#: has three replicas, a write (acks=all) needs two in sync, and a replica that fell behind never
#: becomes leader: an acknowledged event survives the loss of any one broker.
REPLICATED_TOPIC_REPLICATION = 3
REPLICATED_TOPIC_CONFIGS: dict[str, str] = {
    "min.insync.replicas": "2",
    "unclean.leader.election.enable": "false",
}


def topic_layout(brokers: int) -> tuple[int, dict[str, str]]:
    """Replication factor and configs of the system's topics on a cluster of ``brokers``."""
    if brokers >= REPLICATED_TOPIC_REPLICATION:
        return REPLICATED_TOPIC_REPLICATION, {**TOPIC_CONFIGS, **REPLICATED_TOPIC_CONFIGS}
    return TOPIC_REPLICATION, dict(TOPIC_CONFIGS)


_TOPIC_ALREADY_EXISTS = 36
_RETRIABLE_TOPIC_ERRORS = {5, 7, 41}  # LEADER_NOT_AVAILABLE, REQUEST_TIMED_OUT, NOT_CONTROLLER


@contextlib.asynccontextmanager
async def kafka_admin(
    bootstrap: str, *, request_timeout_ms: int = 30000, security: KafkaSecurity | None = None
) -> AsyncIterator[Any]:
    """An admin client, authenticated as ``security`` (default: this process's settings, i.e.
    the admin principal of the local deployment)."""
    client = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        request_timeout_ms=request_timeout_ms,
        **(security or client_security()).aiokafka(),
    )
    try:
        await client.start()
        yield client
    finally:
        await client.close()


async def wait_for_kafka(
    bootstrap: str, timeout_s: float, *, pid: int | None = None, brokers: int = 1
) -> dict[str, Any]:
    """Wait until the cluster answers a metadata request with at least ``brokers`` live
    brokers."""
    deadline = time.monotonic() + timeout_s
    last: BaseException | None = None
    while True:
        check_pid(pid)
        remaining = max(deadline - time.monotonic(), 0.5)
        try:
            async with asyncio.timeout(min(remaining, 10)):
                async with kafka_admin(bootstrap, request_timeout_ms=5000) as admin:
                    cluster: dict[str, Any] = await admin.describe_cluster()
                    if len(cluster.get("brokers") or ()) >= brokers:
                        return cluster
                    last = ProvisionError(
                        f"{len(cluster.get('brokers') or ())} of {brokers} brokers live yet"
                    )
        except Exception as exc:  # aiokafka raises many kinds while the broker starts
            last = exc
        if time.monotonic() >= deadline:
            raise ProvisionError(f"Kafka at {bootstrap} not ready after {timeout_s}s: {last!r}")
        await asyncio.sleep(0.3)


def _topic_errors(response: Any) -> list[tuple[str, int, str | None]]:
    errors: list[tuple[str, int, str | None]] = []
    for entry in response.topic_errors:
        name, code = entry[0], entry[1]
        message = entry[2] if len(entry) > 2 else None
        errors.append((str(name), int(code), message))
    return errors


async def create_topics(
    bootstrap: str,
    names: Iterable[str],
    *,
    partitions: int = TOPIC_PARTITIONS,
    replication: int = TOPIC_REPLICATION,
    configs: dict[str, str] | None = None,
    timeout_s: float = 60,
) -> list[str]:
    """Create the topics that do not exist yet (retention forever by default) and wait until
    every partition of every requested topic has a leader. Returns the names created."""
    wanted = list(dict.fromkeys(names))
    topic_configs = dict(TOPIC_CONFIGS if configs is None else configs)
    created: list[str] = []
    deadline = time.monotonic() + timeout_s
    async with kafka_admin(bootstrap) as admin:
        while True:
            existing = set(await admin.list_topics())
            missing = [n for n in wanted if n not in existing]
            retry = False
            if missing:
                response = await admin.create_topics(
                    [
                        NewTopic(n, partitions, replication, topic_configs=topic_configs)
                        for n in missing
                    ]
                )
                for name, code, message in _topic_errors(response):
                    if code == 0:
                        created.append(name)
                    elif code == _TOPIC_ALREADY_EXISTS:
                        pass
                    elif code in _RETRIABLE_TOPIC_ERRORS:
                        retry = True
                    else:
                        raise ProvisionError(f"cannot create topic {name}: error {code} {message}")
            if not retry and await _all_led(admin, wanted):
                return created
            if time.monotonic() >= deadline:
                raise ProvisionError(f"topics not ready after {timeout_s}s: {wanted}")
            await asyncio.sleep(0.2)


async def _all_led(admin: Any, names: list[str]) -> bool:
    if not names:
        return True
    for topic in await admin.describe_topics(names):
        if topic["error_code"] != 0 or not topic["partitions"]:
            return False
        if any(p["error_code"] != 0 or p["leader"] < 0 for p in topic["partitions"]):
            return False
    return True


async def describe_topic_configs(
    bootstrap: str, names: Iterable[str], keys: Sequence[str] = tuple(TOPIC_CONFIGS)
) -> dict[str, dict[str, str | None]]:
    """``{topic: {config key: value}}`` as the broker reports them."""
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    wanted = dict.fromkeys(keys)
    resources = [ConfigResource(ConfigResourceType.TOPIC, n, dict(wanted)) for n in names]
    result: dict[str, dict[str, str | None]] = {}
    if not resources:
        return result
    async with kafka_admin(bootstrap) as admin:
        for response in await admin.describe_configs(resources):
            for res in response.to_object()["resources"]:
                if res["error_code"]:
                    raise ProvisionError(
                        f"describe configs of {res['resource_name']}: {res['error_message']}"
                    )
                result[res["resource_name"]] = {
                    e["config_names"]: e["config_value"] for e in res["config_entries"]
                }
    return result


async def delete_topics(bootstrap: str, names: Iterable[str]) -> list[str]:
    """Delete the given topics that exist; returns the names deleted."""
    async with kafka_admin(bootstrap) as admin:
        existing = set(await admin.list_topics())
        doomed = [n for n in dict.fromkeys(names) if n in existing]
        if doomed:
            await admin.delete_topics(doomed)
        return doomed


async def delete_prefixed_topics(bootstrap: str, prefix: str) -> list[str]:
    if len(prefix) < 2:
        raise ProvisionError("refusing to delete topics with an empty or one-letter prefix")
    async with kafka_admin(bootstrap) as admin:
        doomed = sorted(t for t in await admin.list_topics() if t.startswith(prefix))
        if doomed:
            await admin.delete_topics(doomed)
        return doomed


async def create_cluster_topics(bootstrap: str, names: Sequence[str]) -> tuple[list[str], int]:
    """Create ``names`` (those missing) as the live cluster calls for (:func:`topic_layout`):
    6 partitions, retention forever, replicated three times (min.insync.replicas=2, no unclean
    leader election) on three brokers or more. Returns the names created and the replication
    factor."""
    async with kafka_admin(bootstrap) as admin:
        cluster = await admin.describe_cluster()
    replication, configs = topic_layout(len(cluster.get("brokers") or ()))
    created = await create_topics(bootstrap, names, replication=replication, configs=configs)
    return created, replication


async def provision_topics(bootstrap: str, prefix: str = "") -> list[str]:
    """Every topic of the system (``all_topics(prefix)``), as :func:`create_cluster_topics`."""
    names = all_topics(prefix)
    created, replication = await create_cluster_topics(bootstrap, names)
    log.info(
        "topics: %d present, %d created (replication factor %d)",
        len(names),
        len(created),
        replication,
    )
    return names
