"""deploy/local/supervise.py, the local deployment's supervisor: a killed child is started again,
a crashing one with growing back-off, and stopping the supervisor stops the child for good."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.unit

SUPERVISE = Path(__file__).resolve().parents[2] / "deploy/local/supervise.py"


def _status(run_dir: Path, name: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads((run_dir / f"{name}.supervisor.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return data


def _until(check: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purpose
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def _start(
    run_dir: Path, name: str, *child: str, **options: float | str
) -> subprocess.Popen[bytes]:
    args = [sys.executable, str(SUPERVISE), "--name", name, "--run-dir", str(run_dir)]
    for key, value in options.items():
        args += [f"--{key.replace('_', '-')}", str(value)]
    return subprocess.Popen([*args, "--", *child], stdout=subprocess.DEVNULL)


def test_a_killed_child_is_restarted_and_counted(tmp_path: Path) -> None:
    sup = _start(tmp_path, "svc", sys.executable, "-c", "import time; time.sleep(600)")
    try:
        _until(lambda: bool(_status(tmp_path, "svc").get("child_pid")), "the first child")
        first = _status(tmp_path, "svc")["child_pid"]
        os.kill(first, signal.SIGKILL)
        _until(
            lambda: _status(tmp_path, "svc").get("child_pid") not in (None, first),
            "a new child",
        )
        status = _status(tmp_path, "svc")
        assert status["restarts"] == 1
        assert status["last_exit"] == "signal 9 (SIGKILL)"
        assert status["state"] == "running"
        second = status["child_pid"]
        assert _alive(second)
    finally:
        sup.send_signal(signal.SIGTERM)
        sup.wait(30)
    # stopped for good: the child ended with the supervisor and nothing started again
    assert not _alive(second)
    assert _status(tmp_path, "svc")["state"] == "stopped"
    assert _status(tmp_path, "svc")["restarts"] == 1


def test_a_crashing_child_is_restarted_with_growing_back_off(tmp_path: Path) -> None:
    sup = _start(
        tmp_path, "crash", sys.executable, "-c", "raise SystemExit(3)", min_delay=0.1, stable=60
    )
    try:
        _until(lambda: _status(tmp_path, "crash").get("restarts", 0) >= 4, "four restarts")
        status = _status(tmp_path, "crash")
        assert status["last_exit"] == "exit code 3"
        # 0.1, 0.2, 0.4, 0.8, ...: the delay doubles while the child keeps crashing
        assert status["next_delay_s"] >= 0.1 * 2 ** (status["restarts"] - 1) - 1e-9
    finally:
        sup.send_signal(signal.SIGTERM)
        sup.wait(30)
    assert _status(tmp_path, "crash")["state"] == "stopped"


def test_a_child_ignoring_sigterm_is_killed_after_the_grace(tmp_path: Path) -> None:
    ready = tmp_path / "ignoring"
    code = (
        "import pathlib, signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "pathlib.Path(sys.argv[1]).touch(); time.sleep(600)"
    )
    sup = _start(tmp_path, "stubborn", sys.executable, "-c", code, str(ready), grace=1)
    _until(lambda: bool(_status(tmp_path, "stubborn").get("child_pid")), "the child")
    child = _status(tmp_path, "stubborn")["child_pid"]
    _until(ready.exists, "the child ignoring SIGTERM")
    sup.send_signal(signal.SIGTERM)
    assert sup.wait(30) == 0
    assert not _alive(child)
    assert _status(tmp_path, "stubborn")["last_exit"] == "signal 9 (SIGKILL)"


def test_the_stop_signal_is_the_one_asked_for(tmp_path: Path) -> None:
    """PostgreSQL's postmaster is stopped with SIGINT (fast shutdown): SIGTERM would be its smart
    shutdown, which waits for every client to leave."""
    got = tmp_path / "got"
    code = (
        "import pathlib, signal, sys, time\n"
        "def on(signum, _):\n"
        "    pathlib.Path(sys.argv[1]).write_text(signal.Signals(signum).name)\n"
        "    sys.exit(0)\n"
        "signal.signal(signal.SIGINT, on)\n"
        "signal.signal(signal.SIGTERM, on)\n"
        "pathlib.Path(sys.argv[1] + '.ready').touch()\n"
        "time.sleep(600)\n"
    )
    sup = _start(tmp_path, "pg", sys.executable, "-c", code, str(got), stop_signal="INT")
    _until(Path(f"{got}.ready").exists, "the child's handlers")
    sup.send_signal(signal.SIGTERM)
    assert sup.wait(30) == 0
    assert got.read_text() == "SIGINT"
    assert _status(tmp_path, "pg")["last_exit"] == "exit code 0"
