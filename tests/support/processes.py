"""Child processes the tests start (nginx, Prometheus): stopped the same way everywhere."""

from __future__ import annotations

import subprocess


def stop(proc: subprocess.Popen[bytes], grace: float = 10) -> None:
    """SIGTERM ``proc``, wait up to ``grace`` seconds, then SIGKILL it and reap it."""
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
