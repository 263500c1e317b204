"""The local deployment's topology (deploy/local/lib.sh, nginx.sh): `make up REPLICAS=2` puts a
second copy of each service 100 ports above the first and nginx balances over both; `make up
KAFKA_BROKERS=3` lists three brokers with the controllers clear of their ports; the choice is
remembered for the next command."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


def _bash(script: str, state: Path, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("XUNCHA_", "KAFKA_"))}
    clean.pop("REPLICAS", None)
    clean.update({"XUNCHA_LOCAL_STATE": str(state), **env})
    out = subprocess.run(
        ["bash", "-c", f"set -euo pipefail; source deploy/local/lib.sh; {script}"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def test_two_copies_use_the_ports_100_above(tmp_path: Path) -> None:
    out = _bash(
        'for s in "${SERVICES[@]}"; do for i in $(instances_of "$s"); do '
        'echo "$i $(port_of "$i")"; done; done',
        tmp_path,
        REPLICAS="2",
    )
    assert dict(line.split() for line in out.splitlines()) == {
        "reporting": "8000",
        "reporting-2": "8100",
        "intake": "8001",
        "intake-2": "8101",
        "clues": "8002",
        "clues-2": "8102",
        "rectification": "8003",
        "rectification-2": "8103",
    }
    # one copy by default
    assert _bash("instances_of intake", tmp_path) == "intake"


def test_three_brokers_and_the_topology_is_remembered(tmp_path: Path) -> None:
    out = _bash(
        'save_topology; echo "$KAFKA_BOOTSTRAP $KAFKA_CONTROLLER_PORT"', tmp_path, KAFKA_BROKERS="3"
    )
    assert out == "127.0.0.1:19092,127.0.0.1:19093,127.0.0.1:19094 19192"
    # the next command without arguments keeps three brokers
    assert _bash('echo "$KAFKA_BROKERS $REPLICAS"', tmp_path) == "3 1"
    # with explicit ports both ranges move (the controllers must not overlap the brokers)
    out = _bash(
        'echo "$KAFKA_BOOTSTRAP $KAFKA_CONTROLLER_PORT"',
        tmp_path,
        XUNCHA_KAFKA_PORT="29110",
        XUNCHA_KAFKA_CONTROLLER_PORT="29120",
    )
    assert out == "127.0.0.1:29110,127.0.0.1:29111,127.0.0.1:29112 29120"
    with pytest.raises(subprocess.CalledProcessError):
        _bash("true", tmp_path, XUNCHA_KAFKA_PORT="29110", XUNCHA_KAFKA_CONTROLLER_PORT="29111")
    with pytest.raises(subprocess.CalledProcessError):
        _bash("true", tmp_path, REPLICAS="5")


def test_nginx_balances_over_every_copy(tmp_path: Path) -> None:
    conf = tmp_path / "workbench.conf"
    _bash(f"deploy/local/nginx.sh render {conf}", tmp_path, REPLICAS="2")
    text = conf.read_text()
    upstreams = dict(re.findall(r"upstream xuncha_(\w+) \{\s*([^}]*?)\s*keepalive", text))
    assert set(upstreams) == {"reporting", "intake", "clues", "rectification"}
    assert re.findall(r"server (\S+) ", upstreams["intake"]) == ["127.0.0.1:8001", "127.0.0.1:8101"]
    assert "proxy_next_upstream error timeout;" in text
    assert "proxy_pass http://xuncha_intake;" in text
    # explicit upstreams (docker-compose, tests) still work, one URL or several
    _bash(
        f"deploy/local/nginx.sh render {conf}",
        tmp_path,
        XUNCHA_UPSTREAM_INTAKE="http://intake:8001,http://intake-2:8001",
    )
    text = conf.read_text()
    upstreams = dict(re.findall(r"upstream xuncha_(\w+) \{\s*([^}]*?)\s*keepalive", text))
    assert re.findall(r"server (\S+) ", upstreams["intake"]) == ["intake:8001", "intake-2:8001"]
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if Path(nginx).exists():
        _bash(f"deploy/local/nginx.sh render {conf}", tmp_path, REPLICAS="2")
        subprocess.run(
            [nginx, "-t", "-q", "-p", str(tmp_path / "nginx"), "-c", str(conf), "-e", "stderr"],
            check=True,
        )


def _render(*args: str, password: str | None = "s3cret") -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XUNCHA_", "KAFKA_"))}
    if password is not None:
        env["KAFKA_ADMIN_PASSWORD"] = password
    return subprocess.run(
        ["deploy/local/kafka-properties.sh", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _properties(text: str) -> dict[str, str]:
    """The keys of a rendered server.properties, the last one winning (as Kafka reads it)."""
    lines = (line for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return dict(line.split("=", 1) for line in lines)


def test_kafka_nodes_are_rendered_by_one_script_for_make_up_and_the_tests() -> None:
    """deploy/local/kafka-properties.sh renders every node of `make up` (kafka.sh) and of the
    tests' private clusters (tests/support/kafka_broker.py): one node as the template, three
    as a static quorum replicated three times, acknowledged by two, no unclean election."""
    one = _properties(_render("1", "/d", "19092", "19093"))
    assert one["node.id"] == "1"
    assert one["controller.quorum.bootstrap.servers"] == "127.0.0.1:19093"
    assert one["listeners"] == "CLIENT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert one["log.dirs"] == "/d"
    assert one["min.insync.replicas"] == "1"
    assert "s3cret" in one["listener.name.client.plain.sasl.jaas.config"]
    assert "controller.quorum.voters" not in one
    three = _properties(_render("2", "/d2", "21001,21002,21003", "22001,22002,22003"))
    assert three["node.id"] == "2"
    assert three["listeners"] == "CLIENT://127.0.0.1:21002,CONTROLLER://127.0.0.1:22002"
    assert three["controller.quorum.voters"] == (
        "1@127.0.0.1:22001,2@127.0.0.1:22002,3@127.0.0.1:22003"
    )
    assert "controller.quorum.bootstrap.servers" not in three
    assert {k: three[k] for k in ("default.replication.factor", "min.insync.replicas")} == {
        "default.replication.factor": "3",
        "min.insync.replicas": "2",
    }
    assert three["unclean.leader.election.enable"] == "false"
    assert three["offsets.topic.replication.factor"] == "3"
    assert three["transaction.state.log.min.isr"] == "2"
    assert three["authorizer.class.name"].endswith("StandardAuthorizer")
    # kafka.sh renders with it, nothing else
    kafka_sh = (ROOT / "deploy/local/kafka.sh").read_text("utf-8")
    assert '"$DEPLOY_DIR/kafka-properties.sh"' in kafka_sh
    assert "server.properties.template" not in kafka_sh
    for bad in (("1", "/d", "1,2", "3"), ("4", "/d", "1,2,3", "4,5,6"), ("1", "/d", "1,2", "3,4")):
        with pytest.raises(subprocess.CalledProcessError):
            _render(*bad)
    with pytest.raises(subprocess.CalledProcessError):
        _render("1", "/d", "19092", "19093", password=None)
