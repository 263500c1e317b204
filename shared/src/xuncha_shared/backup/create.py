"""``xuncha backup create DIR``: a consistent backup of the four service databases.

Per service database, one repeatable-read transaction exports its snapshot
(``pg_export_snapshot``); the store's heads are read in that transaction and ``pg_dump`` dumps
the database from exactly that snapshot (custom format), while the services keep running. The
four databases are independent, so there is no snapshot common to all of them; "consistent"
means: each store is self-consistent (every stream a prefix of its history, hash chains whole,
relay position, inbox and checkpoints as of the same instant as the events), and what one
service derived from another's events is re-derived after a restore by the consumers (their
inbox drops what they already applied) from Kafka, which the relay completes from the stores.

Next to the dumps: each store's stream heads, the trusted public keys of the checkpoint
signatures (``<state_dir>/keys/*.pub``, ``trusted.json``; never a private key, never the KEK),
and the manifest (``manifest.json``, ``manifest.sha256``).
"""

from __future__ import annotations

import json
import platform
import shutil
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from xuncha_shared.audit.checkpoints.keys import TRUST_FILE, keys_dir
from xuncha_shared.backup.heads import read_heads, read_stream_heads
from xuncha_shared.backup.manifest import (
    FORMAT,
    FORMAT_VERSION,
    BackupError,
    file_entry,
    write_manifest,
)
from xuncha_shared.backup.pgtools import dump_database, find_program, program_version
from xuncha_shared.db import connect
from xuncha_shared.settings import SERVICES, Settings

#: ``progress(service, what)``: called before each step
Progress = Callable[[str, str], None]

CONSISTENCY = (
    "Each store is dumped from one snapshot, and its heads are read in that same snapshot. "
    "The service databases are independent: there is no instant common to all four. Each "
    "store is self-consistent; effects one service derived from another's events are "
    "re-derived after a restore by the consumers (inbox: exactly once) from Kafka, which the "
    "relays complete from the stores."
)


def _xuncha_version() -> str:
    try:
        return version("xuncha-shared")
    except PackageNotFoundError:
        return "unknown"


def prepare_directory(directory: Path) -> None:
    """Create ``directory``, or accept it if it is empty; refuse to mix two backups."""
    if directory.exists():
        if not directory.is_dir():
            raise BackupError(f"{directory} exists and is not a folder")
        if any(directory.iterdir()):
            raise BackupError(f"{directory} is not empty: choose a new folder for each backup")
    directory.mkdir(parents=True, exist_ok=True)


def copy_public_keys(settings: Settings, directory: Path) -> list[Path]:
    """Copy the trusted public keys (``*.pub``, ``trusted.json``) into ``directory/keys``."""
    source = keys_dir(settings)
    copied: list[Path] = []
    if not source.is_dir():
        return copied
    names = sorted(p.name for p in source.glob("*.pub"))
    if (source / TRUST_FILE).is_file():
        names.append(TRUST_FILE)
    if names:
        (directory / "keys").mkdir()
    for name in names:
        target = directory / "keys" / name
        shutil.copyfile(source / name, target)
        copied.append(target)
    return copied


async def create_backup(
    settings: Settings,
    directory: Path,
    *,
    services: Sequence[str] = SERVICES,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Write a backup of ``services`` into ``directory`` (new or empty); returns the manifest."""
    prepare_directory(directory)
    pg_dump_version, _ = await program_version(find_program("pg_dump"))
    created_at = datetime.now(UTC)
    stores: dict[str, Any] = {}
    files: list[Path] = []
    server_version = None
    for service in services:
        if progress:
            progress(service, "dump")
        url = settings.service_database_url(service)
        dump = directory / f"{service}.dump"
        streams_file = directory / f"{service}.streams.json"
        conn = await connect(url)
        try:
            server_version = server_version or await conn.fetchval("SHOW server_version")
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                snapshot = await conn.fetchval("SELECT pg_export_snapshot()")
                snapshot_at = await conn.fetchval("SELECT now()")
                database = await conn.fetchval("SELECT current_database()")
                stream_heads = await read_stream_heads(conn)
                heads = await read_heads(conn, service, stream_heads)
                # the snapshot lives as long as this transaction: pg_dump reads it meanwhile
                await dump_database(url, str(snapshot), dump)
        finally:
            await conn.close()
        streams_file.write_text(
            json.dumps(
                {"service": service, "streams": [list(h) for h in stream_heads]},
                ensure_ascii=False,
            )
            + "\n",
            "utf-8",
        )
        files += [dump, streams_file]
        stores[service] = {
            "database": database,
            "dump": dump.name,
            "streams": streams_file.name,
            "snapshot_at": snapshot_at.astimezone(UTC).isoformat(),
            "heads": heads.to_dict(),
        }
    if progress:
        progress("keys", "copy")
    keys = copy_public_keys(settings, directory)
    files += keys
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": created_at.isoformat(),
        "completed_at": datetime.now(UTC).isoformat(),
        "versions": {
            "xuncha": _xuncha_version(),
            "pg_dump": pg_dump_version,
            "server": server_version,
            "python": platform.python_version(),
        },
        "deployment": {
            "db_name_prefix": settings.db_name_prefix,
            "topic_prefix": settings.topic_prefix,
            "services": list(services),
        },
        "consistency": CONSISTENCY,
        "stores": stores,
        "keys": [p.relative_to(directory).as_posix() for p in keys],
        "files": [file_entry(directory, p) for p in files],
    }
    write_manifest(directory, manifest)
    return manifest
