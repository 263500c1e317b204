"""Signed checkpoints: each service signs (Ed25519) its head and a digest over its history.

The digest (docs/audit.md has a worked example an outside tool can follow):

    the events covered = every row with (tx_id, global_position) <= head, i.e. the final part of
                         the commit-safe order at checkpoint time (docs/event-store.md)
    line per event     = ASCII "<tx_id> <global_position> <hash>\\n" (decimal, lowercase hex)
    digest             = lowercase hex SHA-256 of those lines concatenated in the order
                         (tx_id, global_position); SHA-256 of nothing for an empty history

``head`` is the position of the last covered event. Only events whose transaction is older than
the checkpointing statement's snapshot xmin are covered, so the covered set can never grow: a
transaction still running, or starting later, has a larger id than the head.

The checkpoint document (canonical JSON: keys sorted, no whitespace, UTF-8)::

    {"created_at": "...Z", "database": "intake", "digest": "<64 hex>", "event_count": 12,
     "format": "xuncha-checkpoint/1", "head": {"global_position": 12, "tx_id": 834},
     "key_id": "intake-<16 hex>", "service": "intake", "signature": "<base64>"}

``signature`` = standard base64 of Ed25519 over the canonical JSON of every other field;
``key_id`` = ``<service>-`` + the first 16 hex digits of SHA-256 over the raw 32-byte public key.

Keys: ``XUNCHA_SIGNING_KEY_<SERVICE>`` (any process) or ``XUNCHA_SIGNING_KEY`` (the service's own
process) holds the standard base64 of the raw 32-byte private key; without one (local
development) a key is generated once into ``<state_dir>/keys/<service>.ed25519`` (mode 0600)
with its public key in ``<state_dir>/keys/<service>.pub`` (base64 of the raw 32 bytes).
Verification trusts the public keys of a trust file (``--keys``, default
``<state_dir>/keys/trusted.json`` plus every ``<state_dir>/keys/*.pub``).

Checkpoints are stored in the ``checkpoints`` table of the service's own database and published
to the topic ``audit.checkpoints`` (key = service) by ``publish_pending`` (outbox style: a row
is marked published once Kafka acknowledged it).

The modules: ``digest`` (the format of the digest), ``document`` (the signed document),
``keys`` (signing and trusted keys), ``table`` (the ``checkpoints`` table, SQL), ``sources``
(files, Kafka), ``publish`` (to Kafka), ``checkpointer`` (the background loop).
"""

from __future__ import annotations

from xuncha_shared.audit.checkpoints.checkpointer import (
    DEFAULT_INTERVAL_S,
    run_checkpointer,
)
from xuncha_shared.audit.checkpoints.digest import (
    EMPTY_DIGEST,
    DigestCursor,
    HistoryDigest,
    digest_line,
    digest_of,
)
from xuncha_shared.audit.checkpoints.document import (
    FORMAT,
    Checkpoint,
    sign_checkpoint,
    signature_problem,
)
from xuncha_shared.audit.checkpoints.errors import (
    CheckpointFormatError,
    SigningKeyError,
)
from xuncha_shared.audit.checkpoints.keys import (
    SIGNING_KEY_ENV,
    TRUST_FILE,
    Signer,
    TrustedKey,
    dev_signer,
    key_id_for,
    keys_dir,
    load_signer,
    load_trust,
    parse_trust,
    trust_document,
)
from xuncha_shared.audit.checkpoints.publish import (
    publish_pending,
)
from xuncha_shared.audit.checkpoints.sources import (
    CheckpointSource,
    load_checkpoint_files,
    merge_sources,
    read_kafka_checkpoints,
)
from xuncha_shared.audit.checkpoints.table import (
    SCHEMA,
    create_checkpoint,
    ensure_schema,
    history_digest,
    load_table_checkpoints,
    store_checkpoint,
    table_exists,
)

__all__ = [
    "DEFAULT_INTERVAL_S",
    "EMPTY_DIGEST",
    "FORMAT",
    "SCHEMA",
    "SIGNING_KEY_ENV",
    "TRUST_FILE",
    "Checkpoint",
    "CheckpointFormatError",
    "CheckpointSource",
    "DigestCursor",
    "HistoryDigest",
    "Signer",
    "SigningKeyError",
    "TrustedKey",
    "create_checkpoint",
    "dev_signer",
    "digest_line",
    "digest_of",
    "ensure_schema",
    "history_digest",
    "key_id_for",
    "keys_dir",
    "load_checkpoint_files",
    "load_signer",
    "load_table_checkpoints",
    "load_trust",
    "merge_sources",
    "parse_trust",
    "publish_pending",
    "read_kafka_checkpoints",
    "run_checkpointer",
    "sign_checkpoint",
    "signature_problem",
    "store_checkpoint",
    "table_exists",
    "trust_document",
]
