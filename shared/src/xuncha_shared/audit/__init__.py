"""Audit of the event history: tamper evidence across the stores, Kafka and signed checkpoints.

- ``chain``: per-stream hash chains of one database (``verify_database``);
- ``checkpoints``: Ed25519-signed checkpoints of each service's history (a package: ``digest``,
  ``document``, ``keys``, ``table``, ``sources``, ``publish`` to the Kafka topic
  ``audit.checkpoints``, the periodic ``checkpointer``);
- ``verify``: the whole check behind ``xuncha audit verify`` (chains, position holes, the Kafka
  copy, every checkpoint), built from ``holes``, ``copies`` (Kafka's copy, an earlier export),
  ``checkpoint_checks`` and the result types of ``report``;
- ``export``: JSON Lines export with a manifest, verifiable offline;
- ``history``: one case's story across the services.

See docs/audit.md.
"""

from xuncha_shared.audit.chain import Break, VerifyReport, json_row_hash, verify_database

__all__ = ["Break", "VerifyReport", "json_row_hash", "verify_database"]
