"""Shared pytest fixtures and markers.

- tests/unit -> ``unit`` (no infrastructure: never requests the fixtures below),
  tests/integration -> ``integration``, tests/e2e -> ``e2e`` (marked by folder, automatically).
- ``infra`` (session): real PostgreSQL + Kafka (testcontainers when a Docker engine answers,
  otherwise deploy/local, started if needed), with this session's prefixed per-service roles,
  databases (core schema) and topics; all dropped at the end. Started lazily: only when an
  integration or e2e test asks for it.
- ``fresh_db`` (function): a brand-new migrated database with ``.url`` and ``.pool``.
- ``fresh_topics`` (function): every topic under a new unique prefix; yields the prefix.

`XUNCHA_TEST_WORKERS=2 make test` runs two pytest-xdist workers (tests/lanes.py): each worker
gets its own PostgreSQL and Kafka, a test module runs whole on one worker, the modules of the
shared e2e stack (tests/e2e/conftest.py) run together on one, and a module marked ``alone`` runs
while the other worker waits.
"""

from __future__ import annotations

# first of all: an xdist worker moves onto its lane before xuncha_shared reads its settings
from tests import lanes

lanes.enter()

import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from xuncha_shared import provision
from xuncha_shared.contracts.topics import all_topics

from tests.infra import FreshDb, Infra, create_fresh_db, drop_fresh_db, start_infra, stop_infra

TESTS_DIR = Path(__file__).resolve().parent
FOLDER_MARKERS = {"unit": "unit", "integration": "integration", "e2e": "e2e"}


#: the xdist group of the modules that share one service stack (tests/e2e/conftest.py)
SHARED_STACK_GROUP = "shared-stack"


@pytest.hookimpl(tryfirst=True)  # before xdist's own, which reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "default_stack" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group(SHARED_STACK_GROUP))
        try:
            folder = item.path.resolve().relative_to(TESTS_DIR).parts[0]
        except ValueError:
            continue
        marker = FOLDER_MARKERS.get(folder)
        if marker and not item.get_closest_marker(marker):
            item.add_marker(getattr(pytest.mark, marker))
    # a module that runs alone first (it is the first e2e module anyway), then the rest in their
    # order (a stable sort)
    items.sort(key=lambda item: 0 if item.get_closest_marker("alone") else 1)


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadgroup``: a module is one unit of work (its module-scoped fixtures are set up
    once), and the modules of one ``xdist_group`` are one unit together. Units are handed out in
    xdist's order, the units with the most tests first (the chaos test, marked ``alone``, is
    collected first and keeps its place among the units of one test). Handing them out in the
    order of collection instead put the heavy e2e modules, two service stacks and two browsers,
    side by side on two cores, and the suite took longer (docs/performance.md)."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModuleOrGroup(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return lanes.unit_of_work(nodeid, SHARED_STACK_GROUP)

    return ModuleOrGroup(config, log)


_TURNS = pytest.StashKey[lanes.Turns]()


@pytest.hookimpl(wrapper=True, tryfirst=True)  # around pytest-timeout's: a wait is no test time
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    """Under xdist, a module's turn (tests/lanes.py) is taken before its first test and given back
    after its last one's teardown (the module's fixtures torn down): a module marked ``alone``
    runs with no other worker's module beside it."""
    # a worker's base temp is <the run's>/gwN (xdist): the run's folder is shared by the workers
    basetemp = item.config.option.basetemp
    run_folder = Path(basetemp).parent if basetemp else TESTS_DIR
    turns = item.config.stash.setdefault(_TURNS, lanes.Turns(run_folder))
    module = item.getparent(pytest.Module)
    if not turns.holding:
        turns.take(alone=module is not None and module.get_closest_marker("alone") is not None)
    try:
        return (yield)
    finally:
        if nextitem is None or nextitem.getparent(pytest.Module) is not module:
            turns.give_back()


@pytest.fixture
def record_summary(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Records a line for the run's closing summary (``pytest_terminal_summary`` below).

    It appends to the test's ``user_properties`` itself: pytest's ``record_property`` warns that
    it is incompatible with the ``xunit2`` JUnit XML that CI writes, and warnings are errors."""

    def record(line: str) -> None:
        request.node.user_properties.append(("summary", line))

    return record


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """What a test recorded with ``record_summary``, e.g. the chaos
    test's kills and refused requests: shown at the end of every run, also from xdist workers
    (whose printed output is not)."""
    lines = [
        f"{report.nodeid}: {value}"
        for outcome in ("passed", "failed")
        for report in terminalreporter.stats.get(outcome, [])
        if getattr(report, "when", "call") == "call"
        for name, value in getattr(report, "user_properties", [])
        if name == "summary"
    ]
    if lines:
        terminalreporter.write_sep("-", "test summaries")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
async def infra(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Infra]:
    state_dir = str(tmp_path_factory.mktemp("xuncha-state"))
    session, backend = await start_infra(state_dir, tmp_path_factory.getbasetemp().parent)
    try:
        yield session
    finally:
        await stop_infra(session, backend)


@pytest.fixture
async def fresh_db(infra: Infra) -> AsyncIterator[FreshDb]:
    db = await create_fresh_db(infra)
    try:
        yield db
    finally:
        await drop_fresh_db(infra, db)


@pytest.fixture
async def fresh_topics(infra: Infra) -> AsyncIterator[str]:
    prefix = f"{infra.topic_prefix}{uuid.uuid4().hex[:6]}."
    names = all_topics(prefix)
    await provision.create_topics(infra.kafka_bootstrap, names)
    try:
        yield prefix
    finally:
        await provision.delete_topics(infra.kafka_bootstrap, names)
