"""``xuncha backup``: consistent backups of the service databases and their restore.

See docs/operations.md.
"""

from __future__ import annotations

from pathlib import Path

import typer
from aiokafka.errors import KafkaError

from xuncha_shared.backup.create import create_backup
from xuncha_shared.backup.kafka_rebuild import reconcile_deployment
from xuncha_shared.backup.manifest import BackupError, ManifestError
from xuncha_shared.backup.restore import (
    RestoreReport,
    TargetNotEmptyError,
    TargetNotReadyError,
    restore_backup,
)
from xuncha_shared.cli.common import fail, plain, run, services_option, settings
from xuncha_shared.relay_reconcile import RelayRunningError

app = typer.Typer(
    help="Back up and restore the service databases (备份与恢复, docs/operations.md).",
    no_args_is_help=True,
)

_STEPS = {
    "dump": "备份 dumping the store",
    "copy": "公钥 copying the trusted public keys",
    "restore": "恢复 restoring the store",
    "trust": "公钥 trusting the backup's public keys",
    "topics": "主题 creating missing topics",
    "reconcile": "对账 setting the relay position from Kafka",
    "rewind": "消费组 rewinding the consumer groups",
}


def _progress(subject: str, step: str) -> None:
    plain(f"{subject:<14} {_STEPS.get(step, step)} …")


@app.command()
def create(
    directory: Path = typer.Argument(..., help="new (or empty) folder for the backup"),
    service: list[str] = typer.Option(None, "--service", "-s", help="service(s); default all"),
) -> None:
    """Back up every service database (one snapshot each), the stores' heads and the trusted
    public keys (never a private key or the KEK), with a manifest of SHA-256 hashes."""
    services = services_option(service)
    try:
        manifest = run(create_backup(settings(), directory, services=services, progress=_progress))
    except BackupError as exc:
        raise fail(str(exc)) from None
    plain(f"备份完成 backup written to {directory} ({manifest['created_at']})")
    for name, store in manifest["stores"].items():
        heads = store["heads"]
        plain(
            f"  {name:<14} {store['database']:<24} {heads['events']:>9} events "
            f"{heads['streams']:>7} streams  head {heads['last_tx_id']}/"
            f"{heads['last_global_position']}"
        )
    size = sum(int(f["bytes"]) for f in manifest["files"])
    plain(f"  {len(manifest['files'])} files, {size} bytes; manifest.json + manifest.sha256")


def _restore_summary(report: RestoreReport) -> None:
    plain(f"恢复完成 restored the backup of {report.manifest.created_at}")
    for s in report.services:
        rec = s.reconciliation
        plain(f"  {s.service:<14} {s.database:<24} {s.events:>9} events restored")
        if rec is None:
            continue
        plain(
            f"    relay: {rec.already_published} already on Kafka (not sent again), "
            f"{rec.to_publish} to publish; position {rec.position.tx_id}/"
            f"{rec.position.global_position}"
        )
        if s.after_backup:
            plain(
                f"    Kafka holds {len(s.after_backup)} event(s) appended after the backup: "
                f"listed in restore record #{s.record_id}"
            )
        if s.checkpoints_beyond:
            plain(
                f"    {len(s.checkpoints_beyond)} checkpoint(s) on Kafka beyond the restored "
                f"history: listed in restore record #{s.record_id}"
            )
        if s.checkpoints_republished:
            plain(f"    {s.checkpoints_republished} stored checkpoint(s) published again")
        if s.unexplained:
            plain(
                f"    WARNING: {len(s.unexplained)} event(s) on Kafka are at or below a "
                "backed-up stream head but not in the backup; audit verify reports them",
                err=True,
            )
        if rec.republished_anyway:
            plain(
                f"    note: {rec.republished_anyway} event(s) after the first one Kafka lacks "
                "are on Kafka already; the consumers' inbox drops their second copy"
            )
    plain(f"  {report.keys_trusted} public key(s) trusted; {len(report.topics)} topics present")
    for g in report.rewound:
        plain(f"  consumer group {g.group}: {g.partitions} partition(s) rewound")
    plain("next: start the services, then `xuncha audit verify`")


@app.command()
def restore(
    directory: Path = typer.Argument(..., help="a folder written by `xuncha backup create`"),
    force: bool = typer.Option(
        False, "--force", help="drop service databases that hold events (services stopped)"
    ),
) -> None:
    """Restore a backup into an empty deployment (services stopped), then set each relay's
    position from what Kafka holds and rewind the consumer groups."""
    cfg = settings()
    try:
        report = run(restore_backup(cfg, directory, force=force, progress=_progress))
    except (ManifestError, TargetNotEmptyError, TargetNotReadyError, RelayRunningError) as exc:
        raise fail(f"refused: {exc}") from None
    except BackupError as exc:
        raise fail(str(exc), code=1) from None
    except KafkaError as exc:
        raise fail(f"cannot reach Kafka at {cfg.kafka_bootstrap}: {exc!r}", code=1) from None
    _restore_summary(report)


@app.command()
def reconcile(
    service: list[str] = typer.Option(None, "--service", "-s", help="service(s); default all"),
) -> None:
    """After Kafka was lost or replaced (stores intact, services stopped): create missing
    topics, set each relay's position from what Kafka holds, rewind the consumer groups."""
    cfg = settings()
    services = services_option(service)
    try:
        result = run(reconcile_deployment(cfg, services, progress=_progress))
    except RelayRunningError as exc:
        raise fail(f"refused: {exc}") from None
    except KafkaError as exc:
        raise fail(f"cannot reach Kafka at {cfg.kafka_bootstrap}: {exc!r}", code=1) from None
    plain(f"对账完成 relays reconciled with Kafka at {cfg.kafka_bootstrap}")
    problems = 0
    for rec in result.relays:
        plain(
            f"  {rec.service:<14} {rec.already_published} event(s) on Kafka, {rec.to_publish} "
            f"to publish; position {rec.position.tx_id}/{rec.position.global_position}"
        )
        if result.checkpoints.get(rec.service):
            plain(f"    {result.checkpoints[rec.service]} stored checkpoint(s) published again")
        if rec.not_in_store:
            problems += len(rec.not_in_store)
            plain(
                f"    {len(rec.not_in_store)} event(s) on Kafka are not in the store: "
                "`xuncha audit verify` lists them",
                err=True,
            )
    for g in result.rewound:
        plain(f"  consumer group {g.group}: {g.partitions} partition(s) rewound")
    if problems:
        raise typer.Exit(1)
