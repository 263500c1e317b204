"""``xuncha-rectification [all|api|relay|consumers]``.

The console script's module: it imports nothing of the service until ``main`` runs. A process
that a service started by this script starts with multiprocessing's spawn or forkserver
(reporting's rebuild and replay workers) runs the script's module again before it works, and
would otherwise import the whole service: 0.35 s of CPU and 30 MB each
(``tests/unit/test_thin_entrypoints.py``)."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> None:
    from xuncha_shared.runtime import main as run_main

    from xuncha_rectification.bootstrap import SPEC

    run_main(SPEC, argv)


if __name__ == "__main__":
    main()
