"""The ``xuncha`` command line (its commands: ``xuncha_shared.cli.commands``).

The console script's module: it imports nothing until ``main`` runs. A process that the command
starts with multiprocessing's spawn or forkserver (the workers of ``xuncha projections rebuild``
and ``xuncha audit replay``) runs the script's module again before it works, and would
otherwise import every command (0.26 s of CPU each; ``tests/unit/test_thin_entrypoints.py``).
"""

from __future__ import annotations


def main() -> None:
    from xuncha_shared.cli.commands import main as run

    run()
