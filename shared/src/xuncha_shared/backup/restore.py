"""``xuncha backup restore DIR``: a backup into an empty deployment, then Kafka reconciled.

1. The folder is checked against its manifest (``manifest.verify_backup``) and the target is
   checked (``check_target``): every service database must be absent or hold no event (unless
   ``force``: then they are dropped), and the server's transaction ids must be past every
   restored ``tx_id`` (the commit-safe order and the readers' snapshot test rely on it; a new
   cluster whose ids are behind is advanced with ``pg_resetwal --epoch``, docs/operations.md).
   Nothing is touched before both checks pass.
2. Per service: its role and an empty database as provisioning makes them, ``pg_restore`` in one
   transaction with every object owned by the service role, the auditor's grants; then the
   restored heads are compared with the manifest's.
3. The trusted public keys of the backup join ``<state_dir>/keys/trusted.json``.
4. Kafka: every topic is created if missing; each relay's position is set from what Kafka
   holds (``relay_reconcile``): the relay publishes what Kafka lacks and nothing it has. Events
   on Kafka that the backup does not hold (appended after its snapshot) and checkpoints on Kafka
   beyond the restored history are written to the restore record
   (``xuncha_shared.restore_record``), which ``audit verify`` reports; the identity of
   ``global_position`` is moved past those events' positions, so no position is reused.
5. The deployment's consumer groups are rewound (``consumer_groups``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg

from xuncha_shared import provision, restore_record
from xuncha_shared.audit.checkpoints.keys import TRUST_FILE, keys_dir, parse_trust, trust_document
from xuncha_shared.audit.checkpoints.sources import read_kafka_checkpoints
from xuncha_shared.backup.consumer_groups import Rewound, rewind_consumer_groups
from xuncha_shared.backup.heads import read_heads, read_stream_heads
from xuncha_shared.backup.kafka_rebuild import republish_checkpoints
from xuncha_shared.backup.manifest import BackupError, LoadedManifest, verify_backup
from xuncha_shared.backup.pgtools import restore_database
from xuncha_shared.db import connect
from xuncha_shared.eventstore.base import Position
from xuncha_shared.relay_reconcile import KafkaOnlyEvent, Reconciliation, reconcile_relay
from xuncha_shared.settings import AUDITOR_ROLE, Settings, database_url_for

Progress = Callable[[str, str], None]


class TargetNotEmptyError(BackupError):
    """The target deployment holds data; restoring would replace it."""


class TargetNotReadyError(BackupError):
    """The target cannot take the backup as it is (transaction ids behind the backup's)."""


@dataclass
class ServiceRestore:
    service: str
    database: str
    events: int
    reconciliation: Reconciliation | None = None
    #: on Kafka, not in the backup, appended after its snapshot (explained in the record)
    after_backup: list[KafkaOnlyEvent] = field(default_factory=list)
    #: on Kafka, not in the backup, but at or below a backed-up stream head (NOT explained)
    unexplained: list[KafkaOnlyEvent] = field(default_factory=list)
    checkpoints_beyond: list[dict[str, Any]] = field(default_factory=list)
    checkpoints_republished: int = 0
    record_id: int | None = None


@dataclass
class RestoreReport:
    manifest: LoadedManifest
    services: list[ServiceRestore] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    keys_trusted: int = 0
    topics: list[str] = field(default_factory=list)
    rewound: list[Rewound] = field(default_factory=list)


async def _target_state(admin: asyncpg.Connection, settings: Settings, service: str) -> int | None:
    """Events in the target database of ``service``; ``None`` if it does not exist."""
    name = settings.db_name(service)
    if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
        return None
    conn = await connect(database_url_for(settings.pg_admin_url, name))
    try:
        if not await conn.fetchval("SELECT to_regclass('public.events') IS NOT NULL"):
            return 0
        return int(await conn.fetchval("SELECT count(*) FROM events"))
    finally:
        await conn.close()


async def check_target(
    settings: Settings, manifest: LoadedManifest, *, force: bool
) -> dict[str, int | None]:
    """Refuse a target that holds events (unless ``force``) or whose transaction ids are not
    past the backup's; returns each service's event count (``None``: no database)."""
    admin = await connect(settings.pg_admin_url)
    try:
        states = {s: await _target_state(admin, settings, s) for s in manifest.stores}
        busy = {s: n for s, n in states.items() if n}
        if busy and not force:
            listed = ", ".join(f"{settings.db_name(s)} ({n} events)" for s, n in busy.items())
            raise TargetNotEmptyError(
                f"the target deployment is not empty: {listed}. A restore replaces these "
                "databases; stop the services and pass --force to drop them"
            )
        current = int(await admin.fetchval("SELECT pg_current_xact_id()::text::bigint"))
        highest = max((int(s["heads"]["last_tx_id"]) for s in manifest.stores.values()), default=0)
        if current <= highest:
            raise TargetNotReadyError(
                f"the server's transaction ids ({current}) are behind the backup's ({highest}): "
                "restored events would sort after new ones. Advance the new cluster's xid epoch "
                "with pg_resetwal --epoch before restoring (docs/operations.md)"
            )
    finally:
        await admin.close()
    return states


async def _restore_database(
    settings: Settings, directory: Path, service: str, store: dict[str, Any]
) -> int:
    """Role and empty database as provisioning makes them, the dump restored into it, the
    auditor's grants; returns the number of events restored (after checking the heads)."""
    prefix = settings.db_name_prefix
    target = provision.service_database(settings.pg_admin_url, service, prefix)
    admin = await connect(settings.pg_admin_url)
    try:
        await provision.ensure_login_role(admin, AUDITOR_ROLE, settings.auditor_password)
        await provision.ensure_login_role(admin, target.role, target.password)
        await provision.drop_database(admin, target.database)
        await provision.ensure_database(admin, target.database, target.role)
    finally:
        await admin.close()
    url = database_url_for(settings.pg_admin_url, target.database)
    await restore_database(url, directory / store["dump"], target.role)
    await _grant_auditor_reads(url, target.role)
    await provision.grant_auditor(settings.pg_admin_url, target.database, target.role)
    conn = await connect(url)
    try:
        stream_heads = await read_stream_heads(conn)
        heads = await read_heads(conn, service, stream_heads)
    finally:
        await conn.close()
    differences = heads.differences(store["heads"])
    if differences:
        raise BackupError(
            f"{service}: the restored store differs from the backup: " + "; ".join(differences)
        )
    return heads.events


#: Core tables the auditor role never got SELECT on (provisioning creates them before the
#: default privileges that cover the service's own tables).
_NOT_AUDITED = ("inbox", *provision.AUDITOR_DENIED_TABLES)


async def _grant_auditor_reads(url: str, service_role: str) -> None:
    """The auditor's SELECT on the restored tables, as provisioning and its default privileges
    had given it (``pg_restore --no-acl`` restores no privilege); ``grant_auditor`` then adds
    the audited tables and the default privileges, and revokes the denied ones."""
    conn = await connect(url)
    try:
        names = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tableowner = $1 ORDER BY 1",
            service_role,
        )
        for row in names:
            if row["tablename"] in _NOT_AUDITED:
                continue
            sql = await conn.fetchval(
                "SELECT format('GRANT SELECT ON TABLE public.%I TO %I', $1::text, $2::text)",
                row["tablename"],
                AUDITOR_ROLE,
            )
            await conn.execute(sql)
    finally:
        await conn.close()


def merge_trusted_keys(settings: Settings, directory: Path, manifest: LoadedManifest) -> int:
    """Add the backup's public keys to ``<state_dir>/keys/trusted.json``; returns how many keys
    the backup brought."""
    brought: dict[str, Any] = {}
    for rel in manifest.document.get("keys", []):
        path = directory / rel
        if path.name == TRUST_FILE:
            brought.update(parse_trust(json.loads(path.read_text("utf-8")), str(path)))
        elif path.suffix == ".pub":
            line = path.read_text("ascii").strip()
            doc = {"keys": [{"service": path.stem, "public_key": line}]}
            brought.update(parse_trust(doc, str(path)))
    if not brought:
        return 0
    target_dir = keys_dir(settings)
    target_dir.mkdir(parents=True, exist_ok=True)
    trust_file = target_dir / TRUST_FILE
    trusted = {}
    if trust_file.exists():
        trusted.update(parse_trust(json.loads(trust_file.read_text("utf-8")), str(trust_file)))
    trusted.update(brought)
    text = json.dumps(trust_document(trusted.values()), ensure_ascii=False, indent=2) + "\n"
    tmp = trust_file.with_name(f".{TRUST_FILE}.tmp")
    tmp.write_text(text, "utf-8")
    tmp.replace(trust_file)
    return len(brought)


def _stream_heads(directory: Path, store: dict[str, Any]) -> dict[str, int]:
    doc = json.loads((directory / store["streams"]).read_text("utf-8"))
    return {str(s): int(v) for s, v, _ in doc["streams"]}


def split_kafka_only(
    events: Sequence[KafkaOnlyEvent], heads: dict[str, int]
) -> tuple[list[KafkaOnlyEvent], list[KafkaOnlyEvent]]:
    """Events on Kafka the store lacks: those beyond their stream's head in the backup were
    appended after it (explained); the others went missing before it (not explained)."""
    after: list[KafkaOnlyEvent] = []
    missing: list[KafkaOnlyEvent] = []
    for e in events:
        head = heads.get(e.stream_id or "", 0)
        if e.stream_version is not None and e.hash is not None and e.stream_version > head:
            after.append(e)
        else:
            missing.append(e)
    return after, missing


async def _advance_identity(conn: asyncpg.Connection, past: int) -> None:
    """Make ``global_position`` hand out values above ``past`` (never moves it back)."""
    sequence = await conn.fetchval(
        "SELECT pg_get_serial_sequence('public.events', 'global_position')"
    )
    if not sequence:
        return
    current = await conn.fetchval(
        f"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {sequence}"
    )
    if past > int(current):
        await conn.execute("SELECT setval($1::regclass, $2::bigint, true)", sequence, past)


async def _act_as_owner(conn: asyncpg.Connection) -> None:
    owner = await conn.fetchval(
        "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
    )
    await conn.execute(f'SET ROLE "{str(owner).replace(chr(34), "")}"')


async def reconcile_service(
    settings: Settings,
    manifest: LoadedManifest,
    directory: Path,
    result: ServiceRestore,
    kafka_checkpoints: Sequence[tuple[Any, str]],
) -> None:
    """Set the relay position from Kafka, write the restore record, move the identity past
    the positions of events on Kafka that the backup lacks."""
    store = manifest.stores[result.service]
    url = database_url_for(settings.pg_admin_url, settings.db_name(result.service))
    conn = await connect(url)
    try:
        rec = await reconcile_relay(
            conn,
            result.service,
            kafka_bootstrap=settings.kafka_bootstrap,
            topic_prefix=settings.topic_prefix,
        )
        result.reconciliation = rec
        result.after_backup, result.unexplained = split_kafka_only(
            rec.not_in_store, _stream_heads(directory, store)
        )
        heads = store["heads"]
        last = Position(int(heads["last_tx_id"]), int(heads["last_global_position"]))
        signatures: set[str] = set()
        if await conn.fetchval("SELECT to_regclass('public.checkpoints') IS NOT NULL"):
            signatures = {
                r["signature"] for r in await conn.fetch("SELECT signature FROM checkpoints")
            }
        for checkpoint, _source in kafka_checkpoints:
            if checkpoint.service != result.service or checkpoint.signature in signatures:
                continue
            if checkpoint.head > last:
                result.checkpoints_beyond.append(
                    {
                        "signature": checkpoint.signature,
                        "key_id": checkpoint.key_id,
                        "created_at": checkpoint.created_at,
                        "head": {
                            "tx_id": checkpoint.head.tx_id,
                            "global_position": checkpoint.head.global_position,
                        },
                        "event_count": checkpoint.event_count,
                    }
                )
        result.checkpoints_republished = await republish_checkpoints(
            conn, settings, {c.signature for c, _ in kafka_checkpoints}
        )
        lost_positions = [e.global_position or 0 for e in rec.not_in_store]
        await _advance_identity(conn, max(lost_positions, default=0))
        await _act_as_owner(conn)
        result.record_id = await restore_record.write_record(
            conn,
            backup_created_at=datetime.fromisoformat(manifest.created_at),
            manifest_sha256=manifest.sha256,
            record={
                "backup": {
                    "created_at": manifest.created_at,
                    "snapshot_at": store["snapshot_at"],
                    "manifest_sha256": manifest.sha256,
                    "heads": heads,
                },
                "relay": rec.to_dict(),
                "kafka_not_in_backup": [e.to_dict() for e in result.after_backup],
                "kafka_missing_before_backup": [e.to_dict() for e in result.unexplained],
                "checkpoints_beyond_backup": result.checkpoints_beyond,
            },
        )
    finally:
        await conn.close()
    target = provision.service_database(
        settings.pg_admin_url, result.service, settings.db_name_prefix
    )
    await provision.grant_auditor(settings.pg_admin_url, target.database, target.role)


async def restore_backup(
    settings: Settings,
    directory: Path,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> RestoreReport:
    """Restore ``directory`` into the deployment of ``settings`` (see the module docstring)."""
    manifest = verify_backup(directory)
    states = await check_target(settings, manifest, force=force)
    report = RestoreReport(manifest=manifest)
    report.dropped = [settings.db_name(s) for s, n in states.items() if n is not None]
    for service, store in manifest.stores.items():
        if progress:
            progress(service, "restore")
        events = await _restore_database(settings, directory, service, store)
        report.services.append(ServiceRestore(service, settings.db_name(service), events))
    if progress:
        progress("keys", "trust")
    report.keys_trusted = merge_trusted_keys(settings, directory, manifest)
    if progress:
        progress("kafka", "topics")
    report.topics = await provision.provision_topics(
        settings.kafka_bootstrap, settings.topic_prefix
    )
    kafka_checkpoints, _unreadable = await read_kafka_checkpoints(
        settings.kafka_bootstrap, settings.topic_prefix
    )
    for result in report.services:
        if progress:
            progress(result.service, "reconcile")
        await reconcile_service(settings, manifest, directory, result, kafka_checkpoints)
    if progress:
        progress("kafka", "rewind")
    report.rewound = await rewind_consumer_groups(settings.kafka_bootstrap, settings.topic_prefix)
    return report
