"""tests/lanes.py: where an xdist worker's own PostgreSQL and Kafka run, and the turns of the
modules (one marked ``alone`` runs with nothing beside it)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from tests import lanes


def test_a_lane_sits_ten_ports_per_worker_above_the_deployment(tmp_path: Path) -> None:
    env = {"XUNCHA_LOCAL_STATE": str(tmp_path), "XUNCHA_PG_PORT": "25432"}
    env["XUNCHA_KAFKA_PORT"] = "29092"
    lane = lanes.lane_environment(2, env)
    assert lane == {
        "XUNCHA_BASE_STATE": str(tmp_path),
        "XUNCHA_LOCAL_STATE": str(tmp_path / "test-lanes" / "gw2"),
        "XUNCHA_PG_PORT": "25452",
        "XUNCHA_KAFKA_PORT": "29112",
        "XUNCHA_KAFKA_CONTROLLER_PORT": "29113",  # next to its one broker, as lib.sh
        "KAFKA_BROKERS": "1",
    }


def test_a_lane_of_a_three_broker_deployment_has_three_brokers_too(tmp_path: Path) -> None:
    (tmp_path / "topology").write_text("REPLICAS=2\nKAFKA_BROKERS=3\n")
    lane = lanes.lane_environment(1, {"XUNCHA_LOCAL_STATE": str(tmp_path)})
    assert lane["KAFKA_BROKERS"] == "3"
    assert lane["XUNCHA_PG_PORT"] == "15442"
    assert lane["XUNCHA_KAFKA_PORT"] == "19102"  # 19102-19104
    assert lane["XUNCHA_KAFKA_CONTROLLER_PORT"] == "19202"  # 100 above, as lib.sh, shifted


def test_the_first_worker_and_a_plain_run_stay_on_the_deployment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XUNCHA_LOCAL_STATE", str(tmp_path))
    monkeypatch.delenv("XUNCHA_BASE_STATE", raising=False)
    for name in ("gw0", ""):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", name)
        lanes.enter()
        assert not lanes.in_lane()
        assert Path(lanes.base_state()) == tmp_path


def test_a_worker_enters_its_lane_and_forgets_the_deployments_addresses(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for key in lanes._DERIVED:  # what enter() drops comes back after the test
        if key in os.environ:
            monkeypatch.setenv(key, os.environ[key])
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    monkeypatch.setenv("XUNCHA_LOCAL_STATE", str(tmp_path))
    monkeypatch.setenv("XUNCHA_PG_ADMIN_URL", "postgresql://postgres:x@127.0.0.1:15432/postgres")
    monkeypatch.setenv("XUNCHA_SECRETS_DIR", str(tmp_path / "secrets"))
    for key in ("XUNCHA_BASE_STATE", "XUNCHA_PG_PORT", "XUNCHA_KAFKA_PORT", "KAFKA_BROKERS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.delenv("XUNCHA_KAFKA_CONTROLLER_PORT", raising=False)
    lanes.enter()
    assert lanes.in_lane()
    assert os.environ["XUNCHA_LOCAL_STATE"] == str(tmp_path / "test-lanes" / "gw1")
    assert os.environ["XUNCHA_PG_PORT"] == "15442"
    assert "XUNCHA_PG_ADMIN_URL" not in os.environ
    assert "XUNCHA_SECRETS_DIR" not in os.environ
    assert lanes.base_state() == tmp_path


def test_a_lane_links_the_deployments_kafka_jars_and_says_where_it_runs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    base_libs = tmp_path / "kafka" / "libs"
    base_libs.mkdir(parents=True)
    (base_libs / "kafka_2.13-4.2.0.jar").write_bytes(b"jar")
    (base_libs / ".complete").write_text("abc\n")
    lane = lanes.lane_environment(1, {"XUNCHA_LOCAL_STATE": str(tmp_path)})
    for key, value in lane.items():
        monkeypatch.setenv(key, value)
    lanes.prepare_lane()
    state = Path(lane["XUNCHA_LOCAL_STATE"])
    jar = state / "kafka" / "libs" / "kafka_2.13-4.2.0.jar"
    assert jar.stat().st_ino == (base_libs / jar.name).stat().st_ino  # a hard link, no copy
    assert (state / "topology").read_text() == "REPLICAS=1\nKAFKA_BROKERS=1\n"
    assert "XUNCHA_PG_PORT=15442\n" in (state / "lane.env").read_text()


def _hold(
    events: list[str], name: str, folder: Path, *, alone: bool, seconds: float
) -> threading.Thread:
    def run() -> None:
        with lanes.turn(folder, alone=alone):
            events.append(f"{name} in")
            time.sleep(seconds)
            events.append(f"{name} out")

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_module_alone_waits_for_the_running_one_and_holds_back_the_next(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    events: list[str] = []
    shared = _hold(events, "shared", tmp_path, alone=False, seconds=0.6)
    while events != ["shared in"]:
        time.sleep(0.01)
    alone = _hold(events, "alone", tmp_path, alone=True, seconds=0.6)
    time.sleep(0.2)  # it has said it wants the machine to itself
    later = _hold(events, "later", tmp_path, alone=False, seconds=0.1)
    for thread in (shared, alone, later):
        thread.join(10)
    assert events == ["shared in", "shared out", "alone in", "alone out", "later in", "later out"]
    assert not list((tmp_path / "xuncha-lanes").glob("alone.wanted.*"))


def test_modules_of_two_workers_run_side_by_side(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    events: list[str] = []
    first = _hold(events, "a", tmp_path, alone=False, seconds=0.5)
    while not events:
        time.sleep(0.01)
    second = _hold(events, "b", tmp_path, alone=False, seconds=0.1)
    for thread in (first, second):
        thread.join(10)
    assert events == ["a in", "b in", "b out", "a out"]


def test_without_xdist_a_turn_takes_no_lock(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    with lanes.turn(tmp_path, alone=True), lanes.serialized(tmp_path, "x"):
        pass
    assert list(tmp_path.iterdir()) == []
