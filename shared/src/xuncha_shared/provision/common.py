"""What every part of provisioning shares: its error and the pid probe of the wait commands."""

from __future__ import annotations

import os


class ProvisionError(RuntimeError):
    pass


def check_pid(pid: int | None) -> None:
    """Raise at once when the process ``pid`` (what a wait command waits for) has exited."""
    if pid is None:
        return
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        raise ProvisionError(f"process {pid} exited before it became ready") from None
    except PermissionError:
        pass
