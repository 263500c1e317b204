#!/usr/bin/env python3
"""A small process supervisor for the local deployment (standard library only).

    supervise.py --name NAME --run-dir DIR [--min-delay S] [--max-delay S] [--stable S]
                 [--grace S] [--stop-signal SIG] [--user USER] -- CMD...

Runs CMD as its child and starts it again whenever it exits, as docker-compose's
``restart: unless-stopped`` does: the first restart comes after ``--min-delay`` (1 s), each
further crash within ``--stable`` seconds (30 s) of its start doubles the delay up to
``--max-delay`` (30 s), and a child that ran for ``--stable`` seconds resets it. SIGTERM or
SIGINT to the supervisor stops it: the child gets ``--stop-signal`` (SIGTERM; PostgreSQL's
postmaster gets SIGINT, its fast shutdown), then SIGKILL after ``--grace`` seconds (20 s), and
nothing is restarted any more. ``--user`` runs the child as that user (the supervisor runs as
root, PostgreSQL refuses to).

It keeps ``DIR/NAME.supervisor.json`` current (written atomically): the child's pid, how many
times it was restarted, how and when the last one ended, the delay of the next restart
(``make status`` prints it). Each start and each exit is a line in the child's log (stdout).

Why this and not systemd, supervisord or runit: the local deployment runs as an unprivileged
project-local process tree (no system service manager in containers, nothing to install); a
hundred lines of Python that the tests drive directly are easier to trust than a configuration
of a general tool. The child dies with the supervisor (PR_SET_PDEATHSIG), so a SIGKILLed
supervisor never leaves an orphan holding the port.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL when the supervisor dies (Linux; no-op elsewhere)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except OSError:
        pass


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _describe(code: int) -> str:
    return f"signal {-code} ({signal.Signals(-code).name})" if code < 0 else f"exit code {code}"


class Supervisor:
    def __init__(self, args: argparse.Namespace) -> None:
        self.name: str = args.name
        self.cmd: list[str] = args.cmd
        self.min_delay: float = args.min_delay
        self.max_delay: float = args.max_delay
        self.stable: float = args.stable
        self.grace: float = args.grace
        self.stop_signal = signal.Signals[f"SIG{args.stop_signal.upper().removeprefix('SIG')}"]
        self.user: str | None = args.user
        self.status_file = Path(args.run_dir) / f"{self.name}.supervisor.json"
        self.stopping = False
        self.child: subprocess.Popen[bytes] | None = None
        self.status: dict[str, Any] = {
            "name": self.name,
            "supervisor_pid": os.getpid(),
            "child_pid": None,
            "restarts": 0,
            "exits": {},  # how the child ended, by kind ("signal 9 (SIGKILL)": 2, ...)
            "started_at": _now(),
            "child_started_at": None,
            "last_exit": None,
            "last_exit_at": None,
            "next_delay_s": 0.0,
            "state": "starting",
        }

    def _write(self) -> None:
        tmp = self.status_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.status) + "\n", encoding="utf-8")
        os.replace(tmp, self.status_file)

    def _say(self, text: str) -> None:
        print(f"===== {_now()} supervisor {self.name}: {text}", flush=True)

    def _on_signal(self, signum: int, _frame: Any) -> None:
        self.stopping = True
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(self.stop_signal)
            signal.alarm(max(1, round(self.grace)))  # then SIGKILL (_on_alarm)

    def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < end:
            time.sleep(min(0.1, end - time.monotonic()))

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGALRM, self._on_alarm)
        delay = self.min_delay
        code = 0
        while not self.stopping:
            started = time.monotonic()
            self.child = self._spawn()
            self.status.update(
                child_pid=self.child.pid, child_started_at=_now(), state="running", next_delay_s=0
            )
            self._write()
            self._say(f"started {self.cmd[0]} (pid {self.child.pid})")
            code = self._wait_child()
            lived = time.monotonic() - started
            self.status.update(last_exit=_describe(code), last_exit_at=_now(), child_pid=None)
            exits = self.status["exits"]
            exits[_describe(code)] = exits.get(_describe(code), 0) + 1
            if self.stopping:
                self._say(f"stopped ({_describe(code)})")
                break
            delay = self.min_delay if lived >= self.stable else delay
            self.status.update(
                restarts=self.status["restarts"] + 1, state="restarting", next_delay_s=delay
            )
            self._write()
            self._say(
                f"child exited with {_describe(code)} after {lived:.1f} s; "
                f"restart {self.status['restarts']} in {delay:.1f} s"
            )
            self._sleep(delay)
            delay = min(delay * 2, self.max_delay)
        self.status.update(state="stopped", child_pid=None)
        self._write()
        return 0

    def _spawn(self) -> subprocess.Popen[bytes]:
        if self.user is None:
            return subprocess.Popen(self.cmd, preexec_fn=_die_with_parent)
        import pwd

        entry = pwd.getpwnam(self.user)
        env = dict(os.environ, HOME=entry.pw_dir, USER=self.user, LOGNAME=self.user)
        # the user is switched before preexec_fn runs, so the parent-death signal (cleared by a
        # change of credentials) is set after it and holds
        return subprocess.Popen(
            self.cmd,
            preexec_fn=_die_with_parent,
            user=entry.pw_uid,
            group=entry.pw_gid,
            extra_groups=[],
            env=env,
            cwd="/",
        )

    def _wait_child(self) -> int:
        """Block until the child exits (no polling: an idle supervisor costs nothing)."""
        assert self.child is not None
        return self.child.wait()

    def _on_alarm(self, _signum: int, _frame: Any) -> None:
        if self.child is not None and self.child.poll() is None:
            self._say(f"child did not stop within {self.grace:.0f} s; SIGKILL")
            self.child.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--name", required=True)
    parser.add_argument("--run-dir", required=True)
    parser.add_argument("--min-delay", type=float, default=1.0)
    parser.add_argument("--max-delay", type=float, default=30.0)
    parser.add_argument("--stable", type=float, default=30.0)
    parser.add_argument("--grace", type=float, default=20.0)
    parser.add_argument("--stop-signal", default="TERM")
    parser.add_argument("--user", default=None)
    parser.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.cmd and args.cmd[0] == "--":
        args.cmd = args.cmd[1:]
    if not args.cmd:
        parser.error("no command to supervise")
    return Supervisor(args).run()


if __name__ == "__main__":
    sys.exit(main())
