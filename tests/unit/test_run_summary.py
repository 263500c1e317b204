"""The run's closing summary (``record_summary`` and ``pytest_terminal_summary`` in
tests/conftest.py): a line a test records is shown at the end of the run, also when the run
writes JUnit XML as CI does (pytest's ``record_property`` warns there, and warnings are errors)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
LINE = "a line recorded by tests/unit/test_run_summary.py (a check of the summary, no figure)"


def test_a_recorded_line_is_a_user_property(record_summary, request: pytest.FixtureRequest) -> None:
    record_summary(LINE)
    assert request.node.user_properties == [("summary", LINE)]


def test_a_recorded_line_survives_junit_xml_and_ends_the_run(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            f"{Path(__file__).relative_to(ROOT)}::test_a_recorded_line_is_a_user_property",
            f"--junitxml={junit}",
            "-p",
            "no:cacheprovider",
            "-q",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "test summaries" in done.stdout
    assert LINE in done.stdout.split("test summaries", 1)[1]
    assert 'tests="1"' in junit.read_text() and LINE in junit.read_text()
