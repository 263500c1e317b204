"""One concern per module: no source module of the services or shared reaches 500 lines (a
module that grows past it holds more than one concern and is split, as ``projection_writes``
was split from ``projection_tables``)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 500


def test_every_source_module_is_under_500_lines() -> None:
    sources = [*ROOT.glob("services/*/src/**/*.py"), *ROOT.glob("shared/src/**/*.py")]
    assert len(sources) > 100  # the glob found the code
    long = {
        str(p.relative_to(ROOT)): n
        for p in sources
        if (n := len(p.read_text(encoding="utf-8").splitlines())) >= LIMIT
    }
    assert long == {}, f"split these modules (lines): {long}"
