"""``xuncha audit`` as an auditor runs it: subprocesses against the real PostgreSQL and Kafka,
on this test's own four service databases (``XUNCHA_DB_NAME_PREFIX``) and topics
(``XUNCHA_TOPIC_PREFIX``), never the ``make up`` ones."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from xuncha_shared import provision
from xuncha_shared.contracts.clues import ClueRegistered, ClueTransferred
from xuncha_shared.contracts.common import Department
from xuncha_shared.contracts.intake import PetitionReceived
from xuncha_shared.crypto import InformantVault, PostgresKeyStore
from xuncha_shared.db import create_pool
from xuncha_shared.domain.personal_data import InformantIdentity
from xuncha_shared.envelope import Actor
from xuncha_shared.eventstore import NO_STREAM, NewEvent, PostgresEventStore
from xuncha_shared.settings import SERVICES, database_url_for

from tests.infra import Infra
from tests.integration.test_audit_tamper import publish_all, rewrite_stream, seed
from tests.support.events import petition

REPO = Path(__file__).resolve().parents[2]


@dataclass
class AuditEnv:
    infra: Infra
    db_prefix: str
    topic_prefix: str
    state_dir: Path
    pools: dict[str, asyncpg.Pool]

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("XUNCHA_")}
        env.update(
            {
                "XUNCHA_PG_ADMIN_URL": self.infra.pg_admin_url,
                "XUNCHA_DB_NAME_PREFIX": self.db_prefix,
                "XUNCHA_KAFKA_BOOTSTRAP": self.infra.kafka_bootstrap,
                "XUNCHA_TOPIC_PREFIX": self.topic_prefix,
                "XUNCHA_STATE_DIR": str(self.state_dir),
                "COLUMNS": "200",
            }
        )
        if self.infra.secrets_dir:  # the deployment's generated passwords and Kafka logins
            env["XUNCHA_SECRETS_DIR"] = self.infra.secrets_dir
        env.update(extra)
        return env

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "xuncha_shared.cli", "audit", *args],
            env=self.env(),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )


@pytest.fixture
async def audit_env(infra: Infra, fresh_topics: str, tmp_path: Path) -> AsyncIterator[AuditEnv]:
    prefix = f"{infra.db_prefix}a{uuid.uuid4().hex[:6]}_"
    await provision.create_service_databases(infra.pg_admin_url, prefix)
    pools = {
        s: await create_pool(database_url_for(infra.pg_admin_url, prefix + s), max_size=4)
        for s in SERVICES
    }
    try:
        yield AuditEnv(infra, prefix, fresh_topics, tmp_path / "state", pools)
    finally:
        for pool in pools.values():
            await pool.close()
        await provision.drop_prefixed_databases(infra.pg_admin_url, prefix)


def ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stdout


def broken(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stderr


async def test_checkpoint_file_witnesses_a_rewrite(audit_env: AuditEnv, tmp_path: Path) -> None:
    intake = audit_env.pools["intake"]
    await seed(intake)
    await publish_all(intake, audit_env.infra.kafka_bootstrap, audit_env.topic_prefix)
    witness = tmp_path / "witness.json"
    out = ok(audit_env.cli("checkpoint", "--service", "intake", "--out", str(witness)))
    assert "published to" in out
    doc = json.loads(witness.read_text())
    assert doc["service"] == "intake" and doc["event_count"] == 12

    out = ok(audit_env.cli("verify", "--checkpoint", str(witness)))
    assert "all hash chains intact" in out and "Kafka's copy matches" in out
    assert "1 verified" in out
    report = json.loads(ok(audit_env.cli("verify", "--json", "--service", "intake")))
    assert report["intact"] is True
    (svc,) = report["services"]
    assert svc["kafka"]["matched"] == 12
    assert {tuple(c["sources"]) for c in svc["checkpoints"]} == {("table", "kafka")}

    # the administrator rewrites a stream with valid hashes and removes the stored checkpoints
    await rewrite_stream(intake, "case-2", 3)
    await intake.execute("DELETE FROM checkpoints")
    # with Kafka and the witness's file ignored, nothing is left to notice it: that is why
    # checkpoints leave the database
    ok(audit_env.cli("verify", "--service", "intake", "--no-kafka"))
    err = broken(
        audit_env.cli("verify", "--service", "intake", "--no-kafka", "--checkpoint", str(witness))
    )
    assert "history up to its head changed" in err
    # Kafka holds the checkpoint and the events: it names the stream and versions
    err = broken(audit_env.cli("verify", "--service", "intake"))
    assert "stream case-2 version 3: differs from Kafka's copy" in err
    assert "stream case-2 version 4: differs from Kafka's copy" in err
    assert "stream case-2 version 2" not in err
    assert "on Kafka but not in the checkpoints table" in err
    assert "first broken: stream case-2 version 3" in err


async def test_export_verifies_offline_and_a_changed_byte_fails(
    audit_env: AuditEnv, tmp_path: Path
) -> None:
    store = PostgresEventStore(audit_env.pools["intake"])
    for i in range(3):
        await store.append("petition", f"lc-{i}", NO_STREAM, [petition("361002")])
        await store.append("petition", f"nc-{i}", NO_STREAM, [petition("361021")])
    await store.append("petition", "lc-0", 1, [petition("361002")])
    ok(audit_env.cli("checkpoint", "--no-kafka"))
    full = tmp_path / "full"
    out = ok(audit_env.cli("export", "--out", str(full), "--no-kafka"))
    assert "complete export with 4 checkpoint(s)" in out
    manifest = json.loads((full / "manifest.json").read_text())
    assert manifest["services"]["intake"]["events"] == 7
    assert manifest["services"]["intake"]["heads"]["lc-0"]["version"] == 2
    assert len(manifest["checkpoints"]) == 4

    out = ok(audit_env.cli("verify", "--export", str(full)))
    assert "4 checkpoint(s) verified" in out
    first_line = (full / "intake.jsonl").read_text().splitlines()[0]
    row = json.loads(first_line)
    assert {"global_position", "tx_id", "hash", "prev_hash", "traceparent"} <= set(row)
    assert row["recorded_at"].endswith("Z") and len(row["recorded_at"]) == 27

    data = bytearray((full / "intake.jsonl").read_bytes())
    data[data.index(b'"361021"') + 2] = ord("9")  # 361021 -> 391021 in one byte
    (full / "intake.jsonl").write_bytes(bytes(data))
    err = broken(audit_env.cli("verify", "--export", str(full)))
    assert "intake.jsonl changed" in err
    assert "content changed" in err

    # one county's history: whole streams
    county = tmp_path / "county"
    ok(audit_env.cli("export", "--out", str(county), "--jurisdiction", "361021", "--no-kafka"))
    manifest = json.loads((county / "manifest.json").read_text())
    assert manifest["complete"] is False
    assert sorted(manifest["services"]["intake"]["heads"]) == ["nc-0", "nc-1", "nc-2"]
    out = ok(audit_env.cli("verify", "--export", str(county)))
    assert "filtered export" in out

    # a time window that cuts stream lc-0 after its first version
    since = await audit_env.pools["intake"].fetchval(
        "SELECT recorded_at FROM events WHERE stream_id = 'lc-0' AND stream_version = 2"
    )
    window = tmp_path / "window"
    ok(audit_env.cli("export", "--out", str(window), "--since", since.isoformat(), "--no-kafka"))
    manifest = json.loads((window / "manifest.json").read_text())
    assert manifest["services"]["intake"]["cut_streams"] == {"lc-0": 2}
    out = ok(audit_env.cli("verify", "--export", str(window)))
    assert "cut by the filter" in out and "lc-0 (from version 2)" in out

    # an earlier export locates a later change in the live store
    await rewrite_stream(audit_env.pools["intake"], "nc-1", 1)
    err = broken(
        audit_env.cli(
            "verify", "--service", "intake", "--no-kafka", "--compare-export", str(county)
        )
    )
    assert "stream nc-1 version 1: changed since the export" in err


async def test_history_tells_a_case_across_services(audit_env: AuditEnv) -> None:
    intake, clues = audit_env.pools["intake"], audit_env.pools["clues"]
    keys = PostgresKeyStore(intake)
    await keys.ensure_schema()
    vault = InformantVault(keys, os.urandom(32))
    sealed = await vault.seal(InformantIdentity(name="李四", phone="13800000000"))
    petition_id, clue_id = uuid.uuid4(), uuid.uuid4()
    intake_admin = Actor(principal_id="zhang.san", role="county_admin")
    city_admin = Actor(principal_id="li.si", role="city_admin")
    (received,) = await PostgresEventStore(intake).append(
        "petition",
        f"petition-{petition_id}",
        NO_STREAM,
        [
            NewEvent(
                PetitionReceived(
                    petition_id=petition_id,
                    jurisdiction="361002",
                    unit="临川区某局",
                    channel="visit",
                    summary="反映违规发放津补贴",
                    informant=sealed,
                    receipt_code_hash="0" * 64,
                ),
                "361002",
                intake_admin,
            )
        ],
    )
    await asyncio.sleep(0.01)
    clue_store = PostgresEventStore(clues)
    (registered,) = await clue_store.append(
        "clue",
        f"clue-{clue_id}",
        NO_STREAM,
        [
            NewEvent(
                ClueRegistered(
                    clue_id=clue_id,
                    jurisdiction="361002",
                    unit="临川区某局",
                    summary="违规发放津补贴",
                    source_event_id=received.event_id,
                    source_petition_id=petition_id,
                ),
                "361002",
                intake_admin,
                correlation_id=received.correlation_id,
                causation_id=received.event_id,
            )
        ],
    )
    await clue_store.append(
        "clue",
        f"clue-{clue_id}",
        1,
        [
            NewEvent(
                ClueTransferred(
                    clue_id=clue_id,
                    department=Department.DISCIPLINE,
                    reason="涉嫌违纪，按第二十八条移交",
                    jurisdiction="361002",
                    unit="临川区某局",
                    summary="违规发放津补贴",
                ),
                "361002",
                city_admin,
                correlation_id=received.correlation_id,
                causation_id=registered.event_id,
            )
        ],
    )
    await seed(intake, streams=1, per_stream=1)  # an unrelated case stays out of the story

    out = ok(audit_env.cli("history", f"clue-{clue_id}"))
    lines = out.splitlines()
    names = [n for n in ("收到信访举报", "登记问题线索", "移交线索") if n in out]
    assert names == ["收到信访举报", "登记问题线索", "移交线索"]
    assert out.index("收到信访举报") < out.index("登记问题线索") < out.index("移交线索")
    for expected in (
        "临川区委巡察办（zhang.san）",  # a county office by its county, as 案件历史 names it
        "市委巡察办（li.si）",
        "原因：涉嫌违纪，按第二十八条移交",
        "部门：纪委监委",
        "举报人信息已加密",
        "起因：第 1 条（收到信访举报）",
        "起因：第 2 条（登记问题线索）",
    ):
        assert expected in out, expected
    assert "case-0" not in out
    assert sealed.ciphertext not in out and "李四" not in out
    assert sum(1 for line in lines if line.startswith("*")) == 2  # the clue's own events

    story = json.loads(ok(audit_env.cli("history", f"petition-{petition_id}", "--json")))
    assert [e["event_name_zh"] for e in story["events"]] == [
        "收到信访举报",
        "登记问题线索",
        "移交线索",
    ]
    assert story["events"][0]["payload"]["informant"] == "举报人信息已加密"
    assert story["events"][2]["caused_by"] == 2
    assert story["events"][0]["recorded_at_beijing"]

    missing = audit_env.cli("history", "no-such-case")
    assert missing.returncode == 1 and "no stream" in missing.stderr
