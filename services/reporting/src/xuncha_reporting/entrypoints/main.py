"""``xuncha-reporting [all|api|relay|consumers]``: imports the service only when run (why:
``tests/unit/test_thin_entrypoints.py``)."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> None:
    from xuncha_shared.runtime import main as run_main

    from xuncha_reporting.bootstrap import SPEC

    run_main(SPEC, argv)


if __name__ == "__main__":
    main()
