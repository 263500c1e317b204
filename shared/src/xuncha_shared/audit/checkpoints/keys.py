"""Signing keys and trusted public keys: a service's Ed25519 key from the environment or, in
local development, a key file generated once; trust files of public keys."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from xuncha_shared.audit.checkpoints.errors import CheckpointFormatError, SigningKeyError
from xuncha_shared.settings import Settings

log = logging.getLogger("xuncha.checkpoints")

SIGNING_KEY_ENV = "XUNCHA_SIGNING_KEY"
TRUST_FILE = "trusted.json"


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id_for(service: str, public_raw: bytes) -> str:
    return f"{service}-{hashlib.sha256(public_raw).hexdigest()[:16]}"


@dataclass(frozen=True)
class Signer:
    """One service's private signing key."""

    service: str
    private_key: Ed25519PrivateKey
    origin: str  # where the key came from (for messages; never the key itself)

    @property
    def public_raw(self) -> bytes:
        return _raw_public(self.private_key.public_key())

    @property
    def key_id(self) -> str:
        return key_id_for(self.service, self.public_raw)

    def trusted_key(self) -> TrustedKey:
        return TrustedKey(self.service, self.public_raw, self.origin)

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data)

    @classmethod
    def generate(cls, service: str) -> Signer:
        return cls(service, Ed25519PrivateKey.generate(), "generated in memory")

    @classmethod
    def from_base64(cls, service: str, value: str, origin: str) -> Signer:
        try:
            raw = base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise SigningKeyError(f"{origin}: not standard base64") from None
        if len(raw) != 32:
            raise SigningKeyError(f"{origin}: an Ed25519 private key is 32 bytes, not {len(raw)}")
        return cls(service, Ed25519PrivateKey.from_private_bytes(raw), origin)

    def private_base64(self) -> str:
        raw = self.private_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True)
class TrustedKey:
    """A public key trusted to sign one service's checkpoints."""

    service: str
    public_raw: bytes
    origin: str = ""

    @property
    def key_id(self) -> str:
        return key_id_for(self.service, self.public_raw)

    def verify(self, signature: bytes, data: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_raw).verify(signature, data)
        except InvalidSignature:
            return False
        return True

    def document(self) -> dict[str, str]:
        return {
            "key_id": self.key_id,
            "service": self.service,
            "public_key": base64.b64encode(self.public_raw).decode("ascii"),
        }


def keys_dir(settings: Settings) -> Path:
    return Path(settings.state_dir or ".xuncha") / "keys"


def _write_new_file(path: Path, content: str, mode: int) -> bool:
    """Create ``path`` with ``content`` atomically unless it exists; True if this call made it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(content)
        try:
            os.link(tmp, path)  # fails if another process made it first
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def dev_signer(service: str, directory: Path) -> Signer:
    """The local-development key of ``service`` in ``directory``, generated on first use."""
    private_path = directory / f"{service}.ed25519"
    if not private_path.exists():
        fresh = Signer.generate(service)
        if _write_new_file(private_path, fresh.private_base64() + "\n", 0o600):
            log.warning(
                "generated a development signing key for %s in %s; production sets "
                "%s_%s or %s from a secrets manager",
                service,
                private_path,
                SIGNING_KEY_ENV,
                service.upper(),
                SIGNING_KEY_ENV,
            )
    signer = Signer.from_base64(service, private_path.read_text("ascii"), str(private_path))
    public_path = directory / f"{service}.pub"
    public_line = base64.b64encode(signer.public_raw).decode("ascii") + "\n"
    if not public_path.exists() or public_path.read_text("ascii") != public_line:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{public_path.name}.")
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(public_line)
        os.chmod(tmp, 0o644)
        os.replace(tmp, public_path)
    return signer


def load_signer(service: str, settings: Settings, *, own_process: bool = False) -> Signer:
    """The signing key of ``service``: ``XUNCHA_SIGNING_KEY_<SERVICE>``; else
    ``XUNCHA_SIGNING_KEY`` when this is the service's own process (``own_process``, or
    ``XUNCHA_SERVICE`` names it); else the development key under ``<state_dir>/keys``."""
    specific = f"{SIGNING_KEY_ENV}_{service.upper()}"
    if os.environ.get(specific):
        return Signer.from_base64(service, os.environ[specific], specific)
    generic = os.environ.get(SIGNING_KEY_ENV)
    if generic and (own_process or os.environ.get("XUNCHA_SERVICE") == service):
        return Signer.from_base64(service, generic, SIGNING_KEY_ENV)
    return dev_signer(service, keys_dir(settings))


def parse_trust(doc: Any, origin: str) -> dict[str, TrustedKey]:
    """``{"keys": [{"service", "public_key", "key_id"?}, ...]}`` (or just the list)."""
    entries = doc.get("keys") if isinstance(doc, dict) else doc
    if not isinstance(entries, list):
        raise CheckpointFormatError(f"{origin}: expected {{'keys': [...]}}")
    trusted: dict[str, TrustedKey] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("service"), str):
            raise CheckpointFormatError(f"{origin}: every key needs a service and a public_key")
        try:
            raw = base64.b64decode(str(entry.get("public_key", "")), validate=True)
        except (binascii.Error, ValueError):
            raise CheckpointFormatError(f"{origin}: public_key is not base64") from None
        if len(raw) != 32:
            raise CheckpointFormatError(f"{origin}: public_key must be 32 bytes")
        key = TrustedKey(entry["service"], raw, origin)
        if entry.get("key_id") not in (None, key.key_id):
            raise CheckpointFormatError(
                f"{origin}: key_id {entry['key_id']} does not belong to that public key "
                f"({key.key_id})"
            )
        trusted[key.key_id] = key
    return trusted


def load_trust(path: Path | None = None, settings: Settings | None = None) -> dict[str, TrustedKey]:
    """Trusted public keys by key id: the file ``path`` alone when given; otherwise
    ``<state_dir>/keys/trusted.json`` (if present) and every ``<state_dir>/keys/<service>.pub``."""
    if path is not None:
        return parse_trust(json.loads(path.read_text("utf-8")), str(path))
    directory = keys_dir(settings or Settings())
    trusted: dict[str, TrustedKey] = {}
    trust_file = directory / TRUST_FILE
    if trust_file.exists():
        trusted.update(parse_trust(json.loads(trust_file.read_text("utf-8")), str(trust_file)))
    for pub in sorted(directory.glob("*.pub")) if directory.is_dir() else ():
        with contextlib.suppress(binascii.Error, ValueError):
            raw = base64.b64decode(pub.read_text("ascii").strip(), validate=True)
            if len(raw) == 32:
                key = TrustedKey(pub.stem, raw, str(pub))
                trusted.setdefault(key.key_id, key)
    return trusted


def trust_document(keys: Iterable[TrustedKey]) -> dict[str, Any]:
    return {"keys": [k.document() for k in sorted(keys, key=lambda k: (k.service, k.key_id))]}
