"""``pg_dump`` and ``pg_restore`` from the PostgreSQL client (Debian: postgresql-client-15).

The programs are looked up in ``XUNCHA_PG_BIN`` (a folder), then on ``PATH``, then in
``/usr/lib/postgresql/<major>/bin`` (newest first). Connections are the URLs of ``Settings``;
a password in a URL is handed over in ``PGPASSWORD`` and left out of the command line (which
other users of the machine can read).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from xuncha_shared.backup.manifest import BackupError

PG_BIN_ENV = "XUNCHA_PG_BIN"
_DEBIAN_ROOT = Path("/usr/lib/postgresql")


def find_program(name: str) -> Path:
    folders: list[Path] = []
    if os.environ.get(PG_BIN_ENV):
        folders.append(Path(os.environ[PG_BIN_ENV]))
    found = shutil.which(name)
    if found:
        folders.append(Path(found).parent)
    if _DEBIAN_ROOT.is_dir():
        majors = sorted(
            (p for p in _DEBIAN_ROOT.iterdir() if p.name.isdigit()),
            key=lambda p: int(p.name),
            reverse=True,
        )
        folders.extend(p / "bin" for p in majors)
    for folder in folders:
        candidate = folder / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise BackupError(
        f"{name} not found (install postgresql-client-15, or set {PG_BIN_ENV} to its bin folder)"
    )


@dataclass(frozen=True)
class Connection:
    """A libpq URL without its password, and the environment that carries the password."""

    url: str
    env: dict[str, str]


def libpq_connection(url: str) -> Connection:
    parts = urlsplit(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    if parts.password is None:
        return Connection(url, env)
    env["PGPASSWORD"] = unquote(parts.password)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    user = parts.username or ""
    netloc = f"{user}@{host}" if user else host
    if parts.port:
        netloc += f":{parts.port}"
    return Connection(urlunsplit(parts._replace(netloc=netloc)), env)


async def run_program(args: list[str], env: dict[str, str]) -> str:
    """Run a PostgreSQL client program; its stdout, or ``BackupError`` with its stderr."""
    proc = await asyncio.create_subprocess_exec(
        *args,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        message = err.decode("utf-8", "replace").strip()
        raise BackupError(f"{Path(args[0]).name} failed ({proc.returncode}): {message}")
    return out.decode("utf-8", "replace")


async def program_version(program: Path) -> tuple[str, int]:
    """``pg_dump (PostgreSQL) 15.18 (...)`` -> (the text, major 15)."""
    text = (await run_program([str(program), "--version"], dict(os.environ))).strip()
    match = re.search(r"\) (\d+)", text)
    if not match:
        raise BackupError(f"cannot read the version of {program}: {text!r}")
    return text, int(match.group(1))


async def dump_database(url: str, snapshot: str, target: Path) -> None:
    """``pg_dump`` of one database in custom format, reading the exported ``snapshot`` (the
    exporting transaction must stay open until this returns)."""
    conn = libpq_connection(url)
    await run_program(
        [
            str(find_program("pg_dump")),
            "--format=custom",
            f"--snapshot={snapshot}",
            "--no-sync",
            f"--file={target}",
            f"--dbname={conn.url}",
        ],
        conn.env,
    )


async def restore_database(url: str, dump: Path, role: str) -> None:
    """``pg_restore`` of a dump into an empty database, in one transaction, every object owned
    by ``role`` (the service's role); privileges are not restored (provisioning grants them)."""
    conn = libpq_connection(url)
    await run_program(
        [
            str(find_program("pg_restore")),
            "--no-owner",
            "--no-acl",
            f"--role={role}",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={conn.url}",
            str(dump),
        ],
        conn.env,
    )
