"""The backup's pure parts: the manifest check, the stream heads digest, what a restore calls
"appended after the backup", the deployment's consumer groups, passwords kept off the command
line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from xuncha_shared.backup.consumer_groups import deployment_groups
from xuncha_shared.backup.heads import streams_digest
from xuncha_shared.backup.manifest import (
    MANIFEST,
    ManifestError,
    file_entry,
    verify_backup,
    write_manifest,
)
from xuncha_shared.backup.pgtools import libpq_connection
from xuncha_shared.backup.restore import split_kafka_only
from xuncha_shared.relay_reconcile import KafkaOnlyEvent


def _backup(tmp_path: Path) -> Path:
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "intake.dump").write_bytes(b"PGDMP" + bytes(range(200)))
    (folder / "intake.streams.json").write_text('{"streams": []}\n')
    files = [folder / "intake.dump", folder / "intake.streams.json"]
    write_manifest(
        folder,
        {
            "format": "xuncha-backup",
            "format_version": 1,
            "created_at": "2026-11-29T00:00:00+00:00",
            "stores": {"intake": {"dump": "intake.dump", "streams": "intake.streams.json"}},
            "files": [file_entry(folder, p) for p in files],
        },
    )
    return folder


def test_an_untouched_backup_verifies(tmp_path: Path) -> None:
    loaded = verify_backup(_backup(tmp_path))
    assert loaded.stores["intake"]["dump"] == "intake.dump"
    assert len(loaded.sha256) == 64


def test_a_changed_dump_is_named(tmp_path: Path) -> None:
    folder = _backup(tmp_path)
    data = bytearray((folder / "intake.dump").read_bytes())
    data[50] ^= 0xFF
    (folder / "intake.dump").write_bytes(bytes(data))
    with pytest.raises(ManifestError, match=r"intake\.dump: SHA-256 differs"):
        verify_backup(folder)


def test_missing_extra_and_resized_files_are_named(tmp_path: Path) -> None:
    folder = _backup(tmp_path)
    (folder / "intake.streams.json").unlink()
    (folder / "stray.dump").write_bytes(b"x")
    (folder / "intake.dump").write_bytes(b"short")
    with pytest.raises(ManifestError) as err:
        verify_backup(folder)
    text = str(err.value)
    assert "intake.streams.json: missing" in text
    assert "stray.dump: not in the manifest" in text
    assert "intake.dump: 5 bytes" in text


def test_an_edited_manifest_is_refused(tmp_path: Path) -> None:
    folder = _backup(tmp_path)
    doc = json.loads((folder / MANIFEST).read_text())
    doc["created_at"] = "2020-01-01T00:00:00+00:00"
    (folder / MANIFEST).write_text(json.dumps(doc))
    with pytest.raises(ManifestError, match=r"does not match manifest\.sha256"):
        verify_backup(folder)


def test_not_a_backup_folder(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="not a backup folder"):
        verify_backup(tmp_path)


def test_streams_digest_is_independent_of_order_and_sensitive_to_each_head() -> None:
    heads = [("clue-1", 3, "a" * 64), ("clue-2", 1, "b" * 64)]
    assert streams_digest(heads) == streams_digest(list(reversed(heads)))
    assert streams_digest(heads) != streams_digest([("clue-1", 2, "a" * 64), heads[1]])


def _kafka(stream: str, version: int) -> KafkaOnlyEvent:
    return KafkaOnlyEvent(f"id-{stream}-{version}", stream, version, 9, 9, "h" * 64, "t[0]@1")


def test_only_events_beyond_the_backed_up_stream_heads_count_as_after_the_backup() -> None:
    heads = {"petition-1": 2}
    after, missing = split_kafka_only(
        [_kafka("petition-1", 3), _kafka("petition-2", 1), _kafka("petition-1", 2)], heads
    )
    assert [e.event_id for e in after] == ["id-petition-1-3", "id-petition-2-1"]
    # at or below a backed-up head: went missing before the backup, never explained
    assert [e.event_id for e in missing] == ["id-petition-1-2"]


def test_deployment_groups_belong_to_the_topic_prefix() -> None:
    groups = [
        "clues.register-from-petitions",
        "reporting.projections",
        "run1.reporting.projections",
        "run1.e2e.clues.register-from-petitions",
        "someone-else",
    ]
    assert deployment_groups(groups, "") == [
        "clues.register-from-petitions",
        "reporting.projections",
    ]
    assert deployment_groups(groups, "run1.") == ["run1.reporting.projections"]


def test_a_password_goes_to_the_environment_not_the_command_line() -> None:
    conn = libpq_connection("postgresql://intake:s%40cret@127.0.0.1:15432/intake?sslmode=prefer")
    assert "s@cret" not in conn.url and "s%40cret" not in conn.url
    assert conn.url == "postgresql://intake@127.0.0.1:15432/intake?sslmode=prefer"
    assert conn.env["PGPASSWORD"] == "s@cret"
    assert libpq_connection("postgresql://postgres@127.0.0.1:15432/postgres").url.endswith(
        "/postgres"
    )
