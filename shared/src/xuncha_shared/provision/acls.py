"""Kafka ACLs (KRaft's StandardAuthorizer, ``allow.everyone.if.no.acl.found=false``): one
principal per service (``User:<service>``), allowed exactly what it does:

- ``WRITE``/``DESCRIBE`` on its own topics (``service_topics``) and on ``audit.checkpoints``
  (every service's checkpointer publishes there, key = service);
- ``READ``/``DESCRIBE`` on the topics it consumes (``CONSUMES``), ``WRITE``/``DESCRIBE`` on their
  dead-letter topics (``<topic>.dlq``: the consumer dead-letters there);
- ``READ`` on its consumer groups (prefixed: ``<prefix><service>.``);
- ``IDEMPOTENT_WRITE`` on the cluster (the idempotent producer).

Each receiving department has a principal of its own (``User:dept-<department>``) that may only
``READ``/``DESCRIBE`` its share topic ``share.<department>.v1`` (with consumer groups prefixed
``share.<department>.``); reporting alone writes the share topics.

Nothing else: the intake principal cannot write ``clues.clue.v1``, a service cannot read a topic
it does not consume, a client without credentials cannot connect at all. The admin principal
(``User:admin``, ``super.users``) provisions topics and ACLs and runs the CLI's tools.

aiokafka has no ACL calls: the CreateAcls/DeleteAcls requests (v1, resource pattern types) are
sent through its admin client's connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka.protocol.admin import CreateAclsRequest, DeleteAclsRequest, DescribeAclsRequest

from xuncha_shared.contracts.common import Department
from xuncha_shared.contracts.topics import (
    AUDIT_CHECKPOINTS,
    dlq_topic,
    service_topics,
    share_topic,
    share_topics,
    topic_for,
)
from xuncha_shared.kafka import KafkaSecurity
from xuncha_shared.provision.common import ProvisionError
from xuncha_shared.provision.kafka import kafka_admin
from xuncha_shared.settings import SERVICES

log = logging.getLogger("xuncha.provision")

#: stream types whose topics each service consumes (its ``build_consumers``); reporting also
#: reads ``audit.checkpoints`` (the auditors' API compares Kafka's copy with the stores)
CONSUMES: dict[str, tuple[str, ...]] = {
    "intake": ("clue",),
    "clues": ("petition", "intake_record", "share", "group"),
    "rectification": ("inspection_report", "clue", "round", "unit"),
    "reporting": (
        "petition",
        "clue",
        "issue",
        "rectification_plan",
        "oversight",
        "revisit",
        "common_problem_list",
        "share",
        "unit",
        "term_plan",
        "round",
        "group",
        "intake_record",
        "pool_member",
        "inspection_report",
        "problem",
        "consultation",
        "linkage_plan",
        "county_oversight",
        "publication",
        "cadre_opinion",
    ),
}
READS_CHECKPOINTS: frozenset[str] = frozenset({"reporting"})
#: the service that publishes the departments' share topics
SHARE_PUBLISHER = "reporting"

# Kafka's enum codes (org.apache.kafka.common.resource / acl)
TOPIC, GROUP, CLUSTER = 2, 3, 4
LITERAL, PREFIXED = 3, 4
READ, WRITE, DESCRIBE, IDEMPOTENT_WRITE = 3, 4, 8, 12
ANY_OPERATION, ANY_PATTERN, ANY_RESOURCE, ANY_PERMISSION = 1, 1, 1, 1
ALLOW = 3
CLUSTER_NAME = "kafka-cluster"


@dataclass(frozen=True)
class Acl:
    principal: str  # "User:intake"
    resource_type: int
    resource_name: str
    pattern: int
    operation: int

    def _fields(self) -> tuple[int, str, int, str, str, int, int]:
        return (
            self.resource_type, self.resource_name, self.pattern, self.principal, "*",
            self.operation, ALLOW,
        )  # fmt: skip


def principal(service: str) -> str:
    return f"User:{service}"


def service_acls(service: str, prefix: str = "") -> list[Acl]:
    """Every ACL of ``service``'s principal for the topics of ``prefix``."""
    who = principal(service)
    acls: list[Acl] = []

    def topic(name: str, *operations: int) -> None:
        acls.extend(Acl(who, TOPIC, name, LITERAL, op) for op in operations)

    for name in [*service_topics(service, prefix), prefix + AUDIT_CHECKPOINTS]:
        topic(name, WRITE, DESCRIBE)
    for stream_type in CONSUMES[service]:
        consumed = topic_for(stream_type, prefix)
        topic(consumed, READ, DESCRIBE)
        topic(dlq_topic(consumed), WRITE, DESCRIBE)
    if service in READS_CHECKPOINTS:
        topic(prefix + AUDIT_CHECKPOINTS, READ)
    if service == SHARE_PUBLISHER:
        for name in share_topics(prefix):
            topic(name, WRITE, DESCRIBE)
    acls.append(Acl(who, GROUP, f"{prefix}{service}.", PREFIXED, READ))
    acls.append(Acl(who, CLUSTER, CLUSTER_NAME, LITERAL, IDEMPOTENT_WRITE))
    return acls


def department_principal(department: Department | str) -> str:
    """The Kafka user of a receiving department: ``dept-<department>``."""
    return f"dept-{Department(department).value}"


def department_acls(department: Department | str, prefix: str = "") -> list[Acl]:
    """A department reads its own share topic, with consumer groups ``share.<department>.``."""
    dept = Department(department).value
    who = principal(department_principal(dept))
    name = share_topic(dept, prefix)
    return [
        Acl(who, TOPIC, name, LITERAL, READ),
        Acl(who, TOPIC, name, LITERAL, DESCRIBE),
        Acl(who, GROUP, f"{prefix}share.{dept}.", PREFIXED, READ),
    ]


def all_service_acls(prefix: str = "", services: Sequence[str] = SERVICES) -> list[Acl]:
    """Every service principal's ACLs, and every department principal's."""
    acls = [acl for service in services for acl in service_acls(service, prefix)]
    return acls + [acl for d in Department for acl in department_acls(d, prefix)]


#: ACLs per CreateAcls/DeleteAcls request (each request is one metadata write on the controller:
#: one request for a test stack's ~100 ACLs instead of ~100 round trips)
BATCH = 500


class _CreateMany(CreateAclsRequest):  # type: ignore[misc]  # aiokafka is untyped here
    """One CreateAcls request (v1+, resource pattern types) carrying several creations."""

    def __init__(self, acls: Sequence[Acl]) -> None:
        self._rows = [acl._fields() for acl in acls]

    def build(self, request_struct_class: Any) -> Any:
        if request_struct_class.API_VERSION < 1:
            raise ProvisionError("the broker's CreateAcls is older than v1 (no pattern types)")
        return request_struct_class(self._rows)


class _DeleteMany(DeleteAclsRequest):  # type: ignore[misc]
    """One DeleteAcls request (v1+) with a filter per ACL (each matches exactly that ACL)."""

    def __init__(self, acls: Sequence[Acl]) -> None:
        self._rows = [acl._fields() for acl in acls]

    def build(self, request_struct_class: Any) -> Any:
        if request_struct_class.API_VERSION < 1:
            raise ProvisionError("the broker's DeleteAcls is older than v1 (no pattern types)")
        return request_struct_class(self._rows)


def _batches(acls: Iterable[Acl]) -> list[list[Acl]]:
    items = list(acls)
    return [items[i : i + BATCH] for i in range(0, len(items), BATCH)]


#: how long a created ACL may take to reach every broker's authorizer: a moment, but a broker
#: started a minute ago on two busy cores once took more than 15 s (a bound, not a wait)
VISIBLE_WITHIN_S = 60.0


async def _visible_everywhere(admin: Any, acl: Acl) -> None:
    """Until every broker's authorizer has ``acl``: CreateAcls answers once the controller
    committed it; each broker applies it when it replays the metadata log, a moment later."""
    deadline = asyncio.get_running_loop().time() + VISIBLE_WITHIN_S
    for node in [b.nodeId for b in admin._client.cluster.brokers()] or [None]:
        while True:
            response = await admin._send_request(DescribeAclsRequest(*acl._fields()), node)
            if any(entry[3] for entry in response.resources):  # its acls list
                break
            if asyncio.get_running_loop().time() > deadline:
                raise ProvisionError(f"the ACL {acl} is not visible on broker {node}")
            await asyncio.sleep(0.05)


async def create_acls(
    bootstrap: str, acls: Iterable[Acl], *, security: KafkaSecurity | None = None
) -> int:
    """Create ``acls`` (creating an existing ACL changes nothing) and wait until every broker
    enforces them; returns how many were sent."""
    count = 0
    async with kafka_admin(bootstrap, security=security) as admin:
        for batch in _batches(acls):
            response = await admin._send_request(_CreateMany(batch))
            for acl, entry in zip(batch, response.creation_responses, strict=True):
                if int(entry[0]):
                    raise ProvisionError(f"cannot create the ACL {acl}: {entry[1]}")
            count += len(batch)
            # the metadata log is applied in order: the batch's last ACL seen means all are
            await _visible_everywhere(admin, batch[-1])
    return count


async def ensure_service_acls(
    bootstrap: str,
    prefix: str = "",
    services: Sequence[str] = SERVICES,
    *,
    security: KafkaSecurity | None = None,
) -> list[Acl]:
    """The ACLs of every service principal for the topics of ``prefix`` (idempotent)."""
    acls = all_service_acls(prefix, services)
    await create_acls(bootstrap, acls, security=security)
    log.info(
        "ACLs: %d for %d service and %d department principals",
        len(acls),
        len(services),
        len(Department),
    )
    return acls


async def remove_acls(
    bootstrap: str, acls: Iterable[Acl], *, security: KafkaSecurity | None = None
) -> None:
    """Delete exactly ``acls`` (a test run's, say)."""
    async with kafka_admin(bootstrap, security=security) as admin:
        for batch in _batches(acls):
            response = await admin._send_request(_DeleteMany(batch))
            for acl, entry in zip(batch, response.filter_responses, strict=True):
                if int(entry[0]):
                    raise ProvisionError(f"cannot delete the ACL {acl}: {entry[1]}")
