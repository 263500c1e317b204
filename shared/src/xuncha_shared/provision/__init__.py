"""Idempotent set-up of the shared infrastructure: databases, roles, topics, readiness probes.

Used by ``make up`` (deploy/local), docker-compose (the one-shot ``provision`` service) and the
test fixtures (tests/infra.py), so every path provisions exactly the same way::

    python -m xuncha_shared.provision databases [--prefix P]   # one role + database per service
    python -m xuncha_shared.provision topics [--prefix P]      # every topic, retention forever
    python -m xuncha_shared.provision acls [--prefix P]        # each service principal's ACLs
    python -m xuncha_shared.provision all [--prefix P]         # all three
    python -m xuncha_shared.provision drop --prefix P          # drop P* databases/roles/topics
    python -m xuncha_shared.provision wait-pg --timeout N
    python -m xuncha_shared.provision wait-kafka --timeout N [--pid PID]
    python -m xuncha_shared.provision wait-http URL --timeout N [--pid PID]

Per service ``svc`` (prefix ``P``, empty by default): role ``P+svc`` with a generated password
(SCRAM; ``provision.postgres.role_password``: ``XUNCHA_PG_PASSWORD_<ROLE>`` or the local secret
``pg-<role>``, derived from the superuser's password for prefixed roles), database ``P+svc``
owned by it, ``CONNECT`` revoked from ``PUBLIC`` so a service role
cannot open another service's database, and the core schema (``xuncha_shared.db.migrate``)
applied as the service role (with the ``informant_keys`` and ``checkpoints`` tables, so the
grants below find them). The admin URL, bootstrap servers and prefixes default to ``Settings()``
(``XUNCHA_PG_ADMIN_URL``, ``XUNCHA_KAFKA_BOOTSTRAP``, ``XUNCHA_DB_NAME_PREFIX``,
``XUNCHA_TOPIC_PREFIX``).

The auditors' read-only role ``xuncha_auditor`` (``XUNCHA_AUDITOR_PASSWORD``, SCRAM) is one role
for the whole cluster, shared by every prefix; in every service database it gets exactly:
``CONNECT`` on the database, ``USAGE`` on schema ``public``, ``SELECT`` on what the audit reads
(``events``, its identity sequence, ``relay_positions``, ``checkpoints``), table by table, and
nothing else: no default privileges (those of older versions are withdrawn, a grant on any other
table is revoked), so a table a service creates later is unreadable until listed here. Never
anything that writes; ``informant_keys`` and ``auth_tokens`` are revoked explicitly.

Kafka: every topic, and the ACLs of each service principal (``provision.acls``); the modules are
``postgres`` (roles, databases, grants), ``kafka`` (readiness, topics), ``acls``, ``http``
(readiness probe) and ``cli``.
"""

from __future__ import annotations

from xuncha_shared.provision.acls import (
    all_service_acls,
    ensure_service_acls,
    remove_acls,
    service_acls,
)
from xuncha_shared.provision.cli import main
from xuncha_shared.provision.common import ProvisionError
from xuncha_shared.provision.http import wait_for_http
from xuncha_shared.provision.kafka import (
    TOPIC_CONFIGS,
    TOPIC_PARTITIONS,
    TOPIC_REPLICATION,
    create_cluster_topics,
    create_topics,
    delete_prefixed_topics,
    delete_topics,
    describe_topic_configs,
    kafka_admin,
    provision_topics,
    wait_for_kafka,
)
from xuncha_shared.provision.postgres import (
    AUDITED_TABLES,
    AUDITOR_DENIED_TABLES,
    ServiceDatabase,
    create_service_databases,
    drop_database,
    drop_prefixed_databases,
    ensure_database,
    ensure_login_role,
    grant_auditor,
    service_database,
    wait_for_postgres,
)
from xuncha_shared.settings import role_url

__all__ = [
    "AUDITED_TABLES",
    "AUDITOR_DENIED_TABLES",
    "TOPIC_CONFIGS",
    "TOPIC_PARTITIONS",
    "TOPIC_REPLICATION",
    "ProvisionError",
    "ServiceDatabase",
    "all_service_acls",
    "create_cluster_topics",
    "create_service_databases",
    "create_topics",
    "delete_prefixed_topics",
    "delete_topics",
    "describe_topic_configs",
    "drop_database",
    "drop_prefixed_databases",
    "ensure_database",
    "ensure_login_role",
    "ensure_service_acls",
    "grant_auditor",
    "kafka_admin",
    "main",
    "provision_topics",
    "remove_acls",
    "role_url",
    "service_acls",
    "service_database",
    "wait_for_http",
    "wait_for_kafka",
    "wait_for_postgres",
]
