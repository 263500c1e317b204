"""The signed checkpoint document: its fields, canonical JSON, signing and checking a signature."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from xuncha_shared.audit.checkpoints.digest import HistoryDigest
from xuncha_shared.audit.checkpoints.errors import CheckpointFormatError
from xuncha_shared.audit.checkpoints.keys import Signer, TrustedKey
from xuncha_shared.envelope import canonical_json, format_ts, now_utc
from xuncha_shared.eventstore.base import Position

FORMAT = "xuncha-checkpoint/1"


@dataclass(frozen=True)
class Checkpoint:
    service: str
    database: str
    head: Position
    event_count: int
    digest: str
    created_at: str  # canonical UTC timestamp
    key_id: str
    signature: str  # standard base64 of the 64-byte Ed25519 signature
    format: str = FORMAT

    def signed_document(self) -> dict[str, Any]:
        return {
            "created_at": self.created_at,
            "database": self.database,
            "digest": self.digest,
            "event_count": self.event_count,
            "format": self.format,
            "head": {"global_position": self.head.global_position, "tx_id": self.head.tx_id},
            "key_id": self.key_id,
            "service": self.service,
        }

    def signing_bytes(self) -> bytes:
        return canonical_json(self.signed_document())

    def document(self) -> dict[str, Any]:
        return {**self.signed_document(), "signature": self.signature}

    def to_json(self) -> str:
        return canonical_json(self.document()).decode("utf-8")

    @property
    def created(self) -> datetime:
        return datetime.fromisoformat(self.created_at)

    @classmethod
    def from_document(cls, doc: Any) -> Checkpoint:
        if not isinstance(doc, dict):
            raise CheckpointFormatError("a checkpoint is a JSON object")
        expected = {
            "created_at",
            "database",
            "digest",
            "event_count",
            "format",
            "head",
            "key_id",
            "service",
            "signature",
        }
        if set(doc) != expected:
            raise CheckpointFormatError(
                f"checkpoint fields {sorted(doc)} are not the expected {sorted(expected)}"
            )
        head = doc["head"]
        if (
            doc["format"] != FORMAT
            or not isinstance(head, dict)
            or set(head) != {"tx_id", "global_position"}
            or not all(type(head[k]) is int for k in head)
            or type(doc["event_count"]) is not int
            or not all(
                isinstance(doc[k], str)
                for k in ("created_at", "database", "digest", "key_id", "service", "signature")
            )
            or len(doc["digest"]) != 64
        ):
            raise CheckpointFormatError(f"malformed checkpoint (format {doc.get('format')!r})")
        return cls(
            service=doc["service"],
            database=doc["database"],
            head=Position(head["tx_id"], head["global_position"]),
            event_count=doc["event_count"],
            digest=doc["digest"],
            created_at=doc["created_at"],
            key_id=doc["key_id"],
            signature=doc["signature"],
            format=doc["format"],
        )

    @classmethod
    def from_json(cls, data: str | bytes) -> Checkpoint:
        try:
            doc = json.loads(data)
        except ValueError as exc:
            raise CheckpointFormatError(f"not JSON: {exc}") from None
        return cls.from_document(doc)


def sign_checkpoint(
    signer: Signer,
    *,
    database: str,
    digest: HistoryDigest,
    created_at: datetime | None = None,
) -> Checkpoint:
    unsigned = Checkpoint(
        service=signer.service,
        database=database,
        head=digest.head,
        event_count=digest.count,
        digest=digest.hexdigest(),
        created_at=format_ts(created_at or now_utc()),
        key_id=signer.key_id,
        signature="",
    )
    signature = base64.b64encode(signer.sign(unsigned.signing_bytes())).decode("ascii")
    return dataclasses.replace(unsigned, signature=signature)


def signature_problem(checkpoint: Checkpoint, trust: Mapping[str, TrustedKey]) -> str | None:
    """None when the signature is valid under a trusted key of the checkpoint's service."""
    key = trust.get(checkpoint.key_id)
    if key is None:
        return f"signed by key {checkpoint.key_id}, which is not trusted (see --keys)"
    if key.service != checkpoint.service:
        return f"key {checkpoint.key_id} is trusted for {key.service}, not {checkpoint.service}"
    try:
        signature = base64.b64decode(checkpoint.signature, validate=True)
    except (binascii.Error, ValueError):
        return "the signature is not base64"
    if not key.verify(signature, checkpoint.signing_bytes()):
        return "the signature does not match the checkpoint (the checkpoint was altered)"
    return None
