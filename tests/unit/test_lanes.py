"""tests/lanes.py: where an xdist worker's own PostgreSQL and Kafka run, and the turns of the
modules (one marked ``alone`` runs with nothing beside it)."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests import lanes


@pytest.fixture(autouse=True)
def _environment_back() -> Iterator[None]:
    """enter() changes os.environ directly: every variable comes back as it was."""
    before = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(before)


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
        turns = lanes.Turns(folder)
        turns.take(alone=alone)
        try:
            events.append(f"{name} in")
            time.sleep(seconds)
            events.append(f"{name} out")
        finally:
            turns.give_back()

    thread = threading.Thread(target=run, daemon=True)  # a regression must not hang the run
    thread.start()
    return thread


def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "not within 10 s"
        time.sleep(0.01)


def _gate_closed(folder: Path) -> bool:
    """True while a turn alone holds the gate (waiting for its turn or running)."""
    with (folder / "xuncha-lanes" / "gate.lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def test_a_module_alone_waits_for_the_running_one_and_holds_back_the_next(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    events: list[str] = []
    shared = _hold(events, "shared", tmp_path, alone=False, seconds=0.6)
    _until(lambda: events == ["shared in"])
    alone = _hold(events, "alone", tmp_path, alone=True, seconds=0.6)
    _until(lambda: _gate_closed(tmp_path))  # it waits for the running module, gate closed
    later = _hold(events, "later", tmp_path, alone=False, seconds=0.1)
    for thread in (shared, alone, later):
        thread.join(10)
    assert events == ["shared in", "shared out", "alone in", "alone out", "later in", "later out"]
    assert not _gate_closed(tmp_path)


def test_modules_of_two_workers_run_side_by_side(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    events: list[str] = []
    first = _hold(events, "a", tmp_path, alone=False, seconds=0.5)
    _until(lambda: bool(events))
    second = _hold(events, "b", tmp_path, alone=False, seconds=0.1)
    for thread in (first, second):
        thread.join(10)
    assert events == ["a in", "b in", "b out", "a out"]


def test_a_turn_is_given_back_when_its_holder_is_gone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Held with flock only: whatever ends the holder (here its files closed, as at a crash), the
    next module gets its turn; nothing left behind keeps the others waiting."""
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    crashed = lanes.Turns(tmp_path)
    crashed.take(alone=True)
    for handle in crashed._held:  # the kernel closes a dead process's files
        handle.close()
    events: list[str] = []
    _hold(events, "next", tmp_path, alone=False, seconds=0).join(10)
    assert events == ["next in", "next out"]


def test_serialized_lets_one_worker_in_at_a_time(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    events: list[str] = []

    def start(name: str) -> None:
        with lanes.serialized(tmp_path, "infra-start"):
            events.append(f"{name} in")
            time.sleep(0.3)
            events.append(f"{name} out")

    threads = [threading.Thread(target=start, args=(n,), daemon=True) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert [e.split()[1] for e in events] == ["in", "out", "in", "out"]


def test_the_last_session_on_a_lane_stops_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XUNCHA_LOCAL_STATE", str(tmp_path))
    stopped: list[str] = []
    monkeypatch.setattr(lanes, "run_scripts", lambda command, check: stopped.append(command))
    first, second = lanes.hold_lane(), lanes.hold_lane()  # two runs on one lane
    assert lanes.release_lane(first) is False  # the other still uses it
    assert stopped == []
    assert lanes.release_lane(second) is True
    assert stopped == ["stop"]
    assert lanes.release_lane() is True  # `python -m tests.lanes stop N` when nobody uses it


def test_a_module_is_one_unit_of_work_and_a_group_one_for_all_its_modules() -> None:
    unit = lanes.unit_of_work
    assert unit("tests/e2e/test_a.py::test_x", "shared-stack") == "tests/e2e/test_a.py"
    assert unit("tests/e2e/test_a.py::test_x@shared-stack", "shared-stack") == "@shared-stack"
    assert unit("tests/e2e/test_b.py::T::test_y@shared-stack", "shared-stack") == "@shared-stack"
    # an @ of a parameter's id is no group
    assert unit("tests/unit/test_c.py::test_z[a@b]", "shared-stack") == "tests/unit/test_c.py"


def test_without_xdist_a_turn_takes_no_lock(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    turns = lanes.Turns(tmp_path)
    turns.take(alone=True)
    assert not turns.holding  # nothing to hold: no other worker
    with lanes.serialized(tmp_path, "x"):
        assert list(tmp_path.iterdir()) == []  # no lock file either
    turns.give_back()
