"""``xuncha-reporting [all|api|relay|consumers]``."""

from __future__ import annotations

from xuncha_shared.runtime import main as run_main

from xuncha_reporting.bootstrap import SPEC


def main(argv: list[str] | None = None) -> None:
    run_main(SPEC, argv)


if __name__ == "__main__":
    main()
