"""The local deployment's generated secrets (``<state>/secrets/``, mode 0700, files 0600).

``make up`` / ``make test`` (deploy/local) run ``python -m xuncha_shared.secrets ensure`` before
starting PostgreSQL and Kafka; it generates, once, every secret the local deployment needs and
never overwrites one:

- ``kek``: the informants' key-encryption key (``XUNCHA_KEK`` form: base64 of 32 bytes);
- ``receipt-key``: the key of the receipt codes' stored hashes (``XUNCHA_RECEIPT_KEY`` form:
  base64 of 32 bytes; intake's HMAC);
- ``pg-<role>``: the password of a PostgreSQL role: ``postgres`` (superuser), the four service
  roles, ``xuncha_auditor``;
- ``kafka-<principal>``: the SCRAM-SHA-512 password of a Kafka principal: ``admin`` (the super
  user), one per service, one per receiving department (``dept-<department>``, its share topic).

Each file holds the value and a newline. Where the folder is: ``XUNCHA_SECRETS_DIR``, else
``<XUNCHA_STATE_DIR or XUNCHA_LOCAL_STATE or ./.xuncha>/secrets``. In production
(``XUNCHA_ENV=production``) this folder is never read: every secret comes from the environment
(a secrets manager), see docs/security.md.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets as _random
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

SERVICES: tuple[str, ...] = ("intake", "clues", "rectification", "reporting")
AUDITOR_ROLE = "xuncha_auditor"
PG_SUPERUSER = "postgres"
KAFKA_ADMIN = "admin"
KEK_FILE = "kek"
RECEIPT_KEY_FILE = "receipt-key"
#: the least a receipt key may hold (HMAC-SHA256's block is 64 bytes, its output 32)
RECEIPT_KEY_MIN_BYTES = 32

PG_ROLES: tuple[str, ...] = (PG_SUPERUSER, *SERVICES, AUDITOR_ROLE)
#: the receiving departments' principals (each reads only its share topic): ``dept-<department>``
#: for every ``contracts.common.Department`` (a unit test keeps the two lists equal; this module
#: imports nothing of the contracts)
DEPARTMENT_PRINCIPALS: tuple[str, ...] = (
    "dept-discipline_commission",
    "dept-organisation",
    "dept-petitions",
    "dept-audit",
    "dept-finance",
)
KAFKA_PRINCIPALS: tuple[str, ...] = (KAFKA_ADMIN, *SERVICES, *DEPARTMENT_PRINCIPALS)


def production() -> bool:
    """``XUNCHA_ENV=production``: local secret files are never used."""
    return os.environ.get("XUNCHA_ENV", "development").strip().lower() == "production"


def secrets_dir(state_dir: str | os.PathLike[str] | None = None) -> Path:
    """``XUNCHA_SECRETS_DIR``; else the first of ``<state_dir>/secrets``,
    ``<XUNCHA_STATE_DIR>/secrets``, ``<XUNCHA_LOCAL_STATE>/secrets``, ``./.xuncha/secrets`` that
    exists (a tool run from the repository with its own state folder still finds the local
    deployment's secrets); the first candidate when none exists."""
    explicit = os.environ.get("XUNCHA_SECRETS_DIR")
    if explicit:
        return Path(explicit)
    states = [
        state_dir,
        os.environ.get("XUNCHA_STATE_DIR"),
        os.environ.get("XUNCHA_LOCAL_STATE"),
        ".xuncha",
    ]
    candidates = [Path(state) / "secrets" for state in states if state]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[0]


def new_password() -> str:
    """48 hex digits: safe in URLs, JAAS configs and the SCRAM format syntax unquoted."""
    return _random.token_hex(24)


def new_kek() -> str:
    return base64.b64encode(os.urandom(32)).decode("ascii")


def parse_receipt_key(value: str) -> bytes:
    """Decode ``XUNCHA_RECEIPT_KEY``: standard base64 of at least 32 bytes."""
    try:
        key = base64.b64decode(value.strip(), validate=True)
    except ValueError as exc:
        raise ValueError("XUNCHA_RECEIPT_KEY must be standard base64") from exc
    if len(key) < RECEIPT_KEY_MIN_BYTES:
        raise ValueError(
            f"XUNCHA_RECEIPT_KEY must decode to at least {RECEIPT_KEY_MIN_BYTES} bytes, "
            f"not {len(key)}"
        )
    return key


def pg_file(role: str) -> str:
    return f"pg-{role}"


def kafka_file(principal: str) -> str:
    return f"kafka-{principal}"


def read(name: str, directory: Path | None = None) -> str | None:
    """A secret's value, or None when the file does not exist (or in production)."""
    if production():
        return None
    path = (directory or secrets_dir()) / name
    try:
        return path.read_text("utf-8").strip() or None
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return None


def write(name: str, value: str, directory: Path | None = None, *, replace: bool = False) -> bool:
    """Write a secret (mode 0600, atomically). Without ``replace`` an existing one is kept;
    returns True if written."""
    folder = directory or secrets_dir()
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    path = folder / name
    if path.exists() and not replace:
        return False
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(value + "\n")
        if replace:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # never overwrite one made concurrently
            except FileExistsError:
                return False
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return True


def ensure(directory: Path | None = None) -> list[str]:
    """Generate every missing secret of the local deployment; returns the names generated."""
    folder = directory or secrets_dir()
    made: list[str] = []
    if write(KEK_FILE, new_kek(), folder):
        made.append(KEK_FILE)
    if write(RECEIPT_KEY_FILE, new_kek(), folder):
        made.append(RECEIPT_KEY_FILE)
    for role in PG_ROLES:
        if write(pg_file(role), new_password(), folder):
            made.append(pg_file(role))
    for principal in KAFKA_PRINCIPALS:
        if write(kafka_file(principal), new_password(), folder):
            made.append(kafka_file(principal))
    return made


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m xuncha_shared.secrets", description=__doc__)
    p.add_argument("--dir", type=Path, help="default: <state>/secrets")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("ensure", help="generate the missing secrets (never replaces one)")
    g = sub.add_parser("get", help="print one secret (e.g. pg-postgres, kafka-admin, kek)")
    g.add_argument("name")
    args = p.parse_args(argv)
    folder = args.dir or secrets_dir()
    if args.command == "ensure":
        made = ensure(folder)
        if made:
            print(f"generated {len(made)} secret(s) in {folder}: {' '.join(made)}", file=sys.stderr)
        return 0
    value = read(args.name, folder)
    if value is None:
        print(f"no secret {args.name} in {folder}", file=sys.stderr)
        return 1
    print(value)
    return 0


if __name__ == "__main__":
    sys.exit(main())
