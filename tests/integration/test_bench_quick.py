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
from bench.term import TermParams


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
        assert metric["unit"] in {"events/s", "ms", "% of a core"}
        if metric["unit"] == "% of a core":  # idle: CPU shares (a component may be near 0)
            assert isinstance(metric["subject"], int | float) and metric["subject"] >= 0, metric
            if metric["key"] == "idle_total":  # the stack, against Kafka + PostgreSQL alone
                assert _positive(metric["baseline"]), metric
                assert metric["goal"], metric
            continue
        assert _positive(metric["subject"]), metric
        assert _positive(metric["baseline"]), metric
        assert _positive(metric["ratio"]), metric
        assert metric["subject_rounds"]
        assert all(_positive(v) for v in metric["subject_rounds"] + metric["baseline_rounds"])


@pytest.mark.parametrize("name", [n for n in BENCHMARKS if n != "term"])  # term: see below
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
        assert result.info["poll_errors"] == 0  # never refused: the poll is the instrument


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


#: the reads the term benchmark measures under its readers
TERM_READS = ("linked", "coverage", "deadlines_summary", "deadlines", "deadlines_open", "ledger")

#: the linked view's figures the term generator counts itself
TERM_FIGURES = (
    "petitions_received", "clues_registered", "clues_escalated", "clues_transferred",
    "clues_verified", "clues_acknowledged", "clue_results", "clues_disposed", "clues_overdue",
    "issues_fed_back", "rectification_reports", "issues_completed", "issues_closed_out",
)  # fmt: skip


async def test_term_benchmark_at_a_tiny_size(infra) -> None:
    """The term benchmark end to end at about 1,500 events: the rebuilt (and swapped-in) linked
    view and the as-of replay count, per county, exactly what the generator generated; verify
    passed; every read answered."""
    env = Env(pg_admin_url=infra.pg_admin_url, kafka_bootstrap=infra.kafka_bootstrap)
    params = TermParams(events=1500, readers=5, read_seconds=0.3, workers=1, parts=("api",))
    lines: list[str] = []
    result = await run_one("term", env, params, lines.append)
    info = result.info
    assert info["verify_intact"] is True
    assert info["events"] == sum(info["events_per_service"].values()) >= 1500
    assert set(info["events_per_service"]) == {"intake", "clues", "rectification", "reporting"}
    for view in ("linked_view", "replayed_linked_view"):
        for code, expected in info["expected"].items():
            if code == "361000":
                continue  # the city's row sums its counties (checked below)
            got = info[view][code]
            assert {k: got[k] for k in TERM_FIGURES} == {
                k: expected.get(k, 0) for k in TERM_FIGURES
            }, (view, code)
        city = info[view]["361000"]
        assert city["petitions_received"] == sum(
            c.get("petitions_received", 0) for c in info["expected"].values()
        )
    assert info["coverage_city"]["inspected"] == info["coverage_city"]["planned"] > 0
    metrics = {m.key: m for m in result.metrics}
    for name in TERM_READS:
        for q in ("p50", "p99"):
            for key in (f"read_{name}_{q}", f"read_2_copies_{name}_{q}"):  # one copy; two, nginx
                m = metrics[key]
                assert m.subject > 0 and m.baseline and m.baseline > 0, key
    whole = info["deadlines_whole_list"]  # written as it is read: its size and the memory
    assert whole["items"] > 0 and whole["bytes"] > 0 and whole["rss_before_mb"] > 0
    assert metrics["deadlines_whole_list_rss_rise"].subject >= 0
    assert info["read_copies"] == 2
    # every view asked of each copy once before the readers (the second copy computes them)
    assert set(info["first_read_ms"]) == set(TERM_READS)
    assert all(len(ms) == 2 and min(ms) > 0 for ms in info["first_read_ms"].values())
    assert info["share_items_published_already"] > 0  # as in a deployment that ran the term
    assert all(n > 0 for n in info["views_served_per_copy"]), info["views_served_per_copy"]
    assert all(r["errors"] == 0 and r["requests"] > 0 for r in info["reads"].values())
    # the kept views answered the readers: each computed once per generation (and TTL) at most
    # a few times, the other lookups kept or shared
    for view in ("linked", "coverage", "deadlines"):
        lookups = info["view_cache"][view]
        assert 1 <= lookups.get("computed", 0) < lookups.get("hit", 0), (view, lookups)
    assert metrics["rebuild"].subject > 0 and metrics["replay"].subject > 0
    assert info["ledger_xlsx"]["rows"] > info["ledger_xlsx"]["issues"] > 0
    assert info["disk_bytes"]["intake"] > 0 and info["disk_mb_per_million_events_total"] > 0
