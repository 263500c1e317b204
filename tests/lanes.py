"""Test lanes: what lets `XUNCHA_TEST_WORKERS=2 make test` run pytest in two processes
(pytest-xdist) on one machine.

The first worker (``gw0``) and a plain ``pytest`` use the local deployment's PostgreSQL and Kafka
(``XUNCHA_LOCAL_STATE``, default <repo>/.xuncha). Every other worker ``gwN`` gets a *lane*: a
PostgreSQL and a Kafka of the same kind (the same deploy/local scripts), with their state under
``<state>/test-lanes/gwN`` and their ports 10 x N above the deployment's (15442, 19102, 19103 for
``gw1`` by default). Why not share one cluster: the relays' commit-safe order waits for the
cluster-wide snapshot xmin (docs/domain.md, docs/performance.md), so a long transaction of one
worker's test (a bulk load, a lock held on purpose) would hold back the other worker's relays;
and the chaos test kills PostgreSQL. A lane keeps its data between runs; its servers are stopped
at the end of its worker's session (`make down` stops any left behind; `make clean` wipes them).

``enter()`` runs in tests/conftest.py before anything imports ``xuncha_shared`` (whose settings
read the ports at import); it moves this process and its subprocesses onto the lane.

Two more things the workers share, through files in the run's temporary folder:
- ``serialized(name)``: one worker at a time (starting infrastructure: the first fetch of the
  Kafka jars or of the PostgreSQL package must not run twice at once);
- ``Turns``: a test module marked ``alone`` (the chaos test: it kills servers under load and
  bounds how long an answer may take) runs while no other worker runs a module; the others wait
  for it, and it waits for their current module to end. (Unit tests beside it were tried: on two
  cores they starved it, 1 petition/s and an answer after 10.7 s.) The turn is taken outside the
  tests' timeouts (a hook around each test's run, tests/conftest.py), and only with flock: a
  worker that dies lets go of its turn with its last file.
Without xdist both are no-ops.

Two runs at once (a `make test` and a `pytest -n 2` in the same checkout) share a lane, as they
share the deployment's servers, each with its own databases and topics: each session holds the
lane's ``users.lock`` shared, and the last one to finish stops it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import IO

REPO_ROOT = Path(__file__).resolve().parents[1]
PORT_STEP = 10
#: the environment a lane replaces (pointing at the deployment's servers, or derived from them)
_DERIVED = (
    "XUNCHA_SECRETS_DIR",
    "XUNCHA_PG_ADMIN_URL",
    "XUNCHA_DATABASE_URL",
    "XUNCHA_AUDIT_DATABASE_URL",
    "XUNCHA_KAFKA_BOOTSTRAP",
    "XUNCHA_KAFKA_SECURITY_PROTOCOL",
    "XUNCHA_KAFKA_USERNAME",
    "XUNCHA_KAFKA_PASSWORD",
    "XUNCHA_STATE_DIR",
)


def worker() -> str:
    """``gw0``, ``gw1``, ... under pytest-xdist; empty otherwise."""
    return os.environ.get("PYTEST_XDIST_WORKER", "")


def lane_number() -> int:
    name = worker()
    return int(name[2:]) if name.startswith("gw") and name[2:].isdigit() else 0


def base_state() -> Path:
    """The local deployment's state folder (not a lane's)."""
    return Path(os.environ.get("XUNCHA_BASE_STATE") or _state())


def _state() -> str:
    return os.environ.get("XUNCHA_LOCAL_STATE") or str(REPO_ROOT / ".xuncha")


def _saved_brokers(state: Path) -> str:
    topology = state / "topology"
    if topology.is_file():
        for line in topology.read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "KAFKA_BROKERS" and value.strip() in ("1", "3"):
                return value.strip()
    return "1"


def lane_environment(number: int, environ: dict[str, str]) -> dict[str, str]:
    """The variables that put lane ``number`` (>= 1) of ``environ``'s deployment in place."""
    base = Path(environ.get("XUNCHA_LOCAL_STATE") or REPO_ROOT / ".xuncha")
    brokers = environ.get("KAFKA_BROKERS") or _saved_brokers(base)
    pg = int(environ.get("XUNCHA_PG_PORT") or 15432)
    kafka = int(environ.get("XUNCHA_KAFKA_PORT") or 19092)
    # lib.sh's defaults: the controller next to a single broker, 100 above three of them
    default_controller = kafka + 1 if brokers == "1" else kafka + 100
    controller = int(environ.get("XUNCHA_KAFKA_CONTROLLER_PORT") or default_controller)
    shift = PORT_STEP * number
    return {
        "XUNCHA_BASE_STATE": str(base),
        "XUNCHA_LOCAL_STATE": str(base / "test-lanes" / f"gw{number}"),
        "XUNCHA_PG_PORT": str(pg + shift),
        "XUNCHA_KAFKA_PORT": str(kafka + shift),
        "XUNCHA_KAFKA_CONTROLLER_PORT": str(controller + shift),
        "KAFKA_BROKERS": brokers,
    }


def enter() -> None:
    """Move this worker onto its lane (nothing for ``gw0`` or without xdist)."""
    number = lane_number()
    if number == 0:
        return
    _enter_lane(number)


def in_lane() -> bool:
    return "XUNCHA_BASE_STATE" in os.environ


def prepare_lane() -> None:
    """Before the deploy scripts start the lane: its topology (what `make up` records) and its
    Kafka jars, hard links to the deployment's when those are complete (no second download), and
    ``lane.env``, which `make down` reads to stop the lane."""
    state = Path(os.environ["XUNCHA_LOCAL_STATE"])
    state.mkdir(parents=True, exist_ok=True)
    brokers = os.environ.get("KAFKA_BROKERS", "1")
    (state / "topology").write_text(f"REPLICAS=1\nKAFKA_BROKERS={brokers}\n")
    keys = (
        "XUNCHA_LOCAL_STATE",
        "XUNCHA_PG_PORT",
        "XUNCHA_KAFKA_PORT",
        "XUNCHA_KAFKA_CONTROLLER_PORT",
    )
    lines = (f"{key}={shlex.quote(os.environ[key])}\n" for key in keys)
    (state / "lane.env").write_text("".join(lines))
    libs, base_libs = state / "kafka" / "libs", base_state() / "kafka" / "libs"
    marker, base_marker = libs / ".complete", base_libs / ".complete"
    if base_marker.is_file() and (
        not marker.is_file() or marker.read_text() != base_marker.read_text()
    ):
        shutil.rmtree(libs, ignore_errors=True)
        libs.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(base_libs, libs, copy_function=os.link)


def deploy_script(
    script: str, command: str, *, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """deploy/local ``script`` ``command`` (``pg.sh start``...), output captured, with ``env``
    (default: this process's environment)."""
    return subprocess.run(
        [str(REPO_ROOT / "deploy" / "local" / script), command],
        env=env,
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_scripts(command: str, *, check: bool = True) -> None:
    """deploy/local ``pg.sh`` and ``kafka.sh`` ``start`` (in that order) or ``stop`` (the other
    way round) with this process's environment: the deployment's, or a lane's. The scripts are
    idempotent: a quick check when the servers already run (or are already stopped)."""
    order = ("pg.sh", "kafka.sh") if command == "start" else ("kafka.sh", "pg.sh")
    for script in order:
        proc = deploy_script(script, command)
        if check and proc.returncode != 0:
            raise RuntimeError(
                f"deploy/local/{script} {command} failed ({proc.returncode}):\n"
                f"{proc.stdout}\n{proc.stderr}"
            )


def hold_lane() -> IO[str]:
    """This session uses the lane: ``users.lock`` held shared until ``release_lane``."""
    state = Path(os.environ["XUNCHA_LOCAL_STATE"])
    state.mkdir(parents=True, exist_ok=True)
    handle = (state / "users.lock").open("a")
    fcntl.flock(handle, fcntl.LOCK_SH)
    return handle


def release_lane(handle: IO[str] | None = None) -> bool:
    """Stop the lane's servers unless another session still uses it (its data stays); True when
    stopped."""
    state = Path(os.environ["XUNCHA_LOCAL_STATE"])
    if handle is None:
        if not state.is_dir():
            return False
        handle = (state / "users.lock").open("a")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        run_scripts("stop", check=False)
        return True
    finally:
        handle.close()


def _shared_folder(run_folder: Path) -> Path:
    folder = run_folder / "xuncha-lanes"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _locked(path: Path, how: int) -> IO[str]:
    handle = path.open("a")
    try:
        fcntl.flock(handle, how)
    except BaseException:
        handle.close()
        raise
    return handle


def _unlock(handle: IO[str]) -> None:
    fcntl.flock(handle, fcntl.LOCK_UN)
    handle.close()


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    handle = _locked(path, fcntl.LOCK_EX)
    try:
        yield
    finally:
        _unlock(handle)


def serialized(run_folder: Path, name: str) -> contextlib.AbstractContextManager[None]:
    """One worker of this run at a time (nothing to wait for without xdist)."""
    if not worker():
        return contextlib.nullcontext()
    return _exclusive(_shared_folder(run_folder) / f"{name}.lock")


def machine_lock(name: str) -> contextlib.AbstractContextManager[None]:
    """One process at a time on this machine's deployment (every run and worker): e.g. building
    web/dist, which the other worker's browser tests may be serving."""
    folder = base_state() / "test-lanes"
    folder.mkdir(parents=True, exist_ok=True)
    return _exclusive(folder / f"{name}.lock")


class Turns:
    """This worker's turns (see the module's docstring). A turn ``alone`` holds ``gate.lock``
    exclusively while it waits for ``turn.lock`` and while its module runs; any other turn passes
    the gate (shared, for a moment) before it takes ``turn.lock`` shared. So nobody starts beside
    a module that runs alone, nor while one waits for the modules already running to end."""

    def __init__(self, run_folder: Path) -> None:
        self.run_folder = run_folder
        self._held: list[IO[str]] = []

    @property
    def holding(self) -> bool:
        return bool(self._held)

    def take(self, *, alone: bool) -> None:
        assert not self._held, "a turn is already held"
        if not worker():
            return
        folder = _shared_folder(self.run_folder)
        if alone:
            gate = _locked(folder / "gate.lock", fcntl.LOCK_EX)
            try:
                self._held = [_locked(folder / "turn.lock", fcntl.LOCK_EX), gate]
            except BaseException:
                _unlock(gate)
                raise
        else:
            gate = _locked(folder / "gate.lock", fcntl.LOCK_SH)
            try:
                self._held = [_locked(folder / "turn.lock", fcntl.LOCK_SH)]
            finally:
                _unlock(gate)

    def give_back(self) -> None:
        held, self._held = self._held, []
        for handle in held:
            _unlock(handle)


def unit_of_work(nodeid: str, group: str) -> str:
    """The unit of work of a test under xdist: its module, or ``@group`` for the tests that xdist
    marked with that group (``<nodeid>@<group>``)."""
    module, _, rest = nodeid.partition("::")
    return f"@{group}" if "@" in rest and rest.rpartition("@")[2] == group else module


def _enter_lane(number: int) -> None:
    os.environ.update(lane_environment(number, dict(os.environ)))
    for key in _DERIVED:
        os.environ.pop(key, None)


def start(number: int) -> None:
    """Start lane ``number`` now (``python -m tests.lanes start N``: `make test` with workers
    starts the lanes while it builds the workbench, so the workers find them running)."""
    _enter_lane(number)
    prepare_lane()
    run_scripts("start")


def stop(number: int) -> None:
    """Stop lane ``number`` unless a session uses it (``python -m tests.lanes stop N``: the end of
    `make test`, also when pytest never reached the lane's worker)."""
    _enter_lane(number)
    release_lane()


if __name__ == "__main__":
    import sys

    commands = {"start": start, "stop": stop}
    if len(sys.argv) != 3 or sys.argv[1] not in commands or not sys.argv[2].isdigit():
        sys.exit("usage: python -m tests.lanes start|stop N   (N >= 1: the lane of worker gwN)")
    commands[sys.argv[1]](int(sys.argv[2]))
