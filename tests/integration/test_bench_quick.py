"""The benchmarks (bench/) in quick mode against the real PostgreSQL and Kafka.

Only the shape of the results is checked, and that every figure is a positive number: speed
goals belong to docs/performance.md, never to tests (the machines running tests vary too much).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bench import BENCHMARKS
from bench.__main__ import default_params, main, run_one
from bench.common import BenchResult, Env


def _positive(x: object) -> bool:
    return isinstance(x, int | float) and math.isfinite(x) and x > 0


def _check(result: BenchResult, name: str) -> None:
    doc = result.to_json()
    assert doc["name"] == name
    assert doc["title"]
    assert doc["params"]
    assert doc["metrics"]
    json.dumps(doc)  # what the CLI writes must serialise
    for metric in doc["metrics"]:
        assert set(metric) >= {"key", "label", "unit", "subject", "baseline", "ratio", "goal"}
        assert metric["unit"] in {"events/s", "ms"}
        assert _positive(metric["subject"]), metric
        assert _positive(metric["baseline"]), metric
        assert _positive(metric["ratio"]), metric
        assert metric["subject_rounds"]
        assert all(_positive(v) for v in metric["subject_rounds"] + metric["baseline_rounds"])


@pytest.mark.parametrize("name", BENCHMARKS)
async def test_quick_benchmark(infra, name: str) -> None:
    env = Env(pg_admin_url=infra.pg_admin_url, kafka_bootstrap=infra.kafka_bootstrap)
    lines: list[str] = []
    result = await run_one(name, env, default_params(name, quick=True), lines.append)
    _check(result, name)
    assert lines  # progress is reported
    if name == "latency":  # plain, then beside the CPU-bound competitor
        assert {m.key for m in result.metrics} >= {"latency_p99", "latency_competitor_p99"}
        for phase in ("plain", "competitor"):
            assert result.info[phase]["lost"] == {"subject": 0, "baseline": 0}
            assert result.info[phase]["samples"]["subject"] > 0
            assert set(result.info[phase]["stages"]) == {
                "appended", "read", "acked", "received", "handled", "committed"
            }  # fmt: skip
    if name == "dashboard":  # the four services as processes: ~10 s
        assert result.info["lost"] == 0
        assert result.info["petitions"] > 0


def test_cli_quick_writes_results(infra, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XUNCHA_PG_ADMIN_URL", infra.pg_admin_url)
    monkeypatch.setenv("XUNCHA_KAFKA_BOOTSTRAP", infra.kafka_bootstrap)
    assert main(["--quick", "--only", "append", "--results-dir", str(tmp_path)]) == 0
    files = sorted(tmp_path.glob("*.json"))
    assert [f.name for f in files if f.name == "latest.json"] == []  # only full runs update it
    assert len(files) == 1
    doc = json.loads(files[0].read_text(encoding="utf-8"))
    assert doc["mode"] == "quick"
    assert list(doc["benchmarks"]) == ["append"]
    assert doc["environment"]["postgres"]["synchronous_commit"]
