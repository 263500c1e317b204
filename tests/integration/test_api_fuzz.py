"""Property-based fuzzing of every operation of each service's OpenAPI document (schemathesis,
every check it has), against the real composition of the service on real databases, served by
uvicorn on a free port, with a valid token: no 500, only documented statuses and content types,
responses that match their schemas, invalid input refused, valid input not refused.

Bounded: ``FUZZ_EXAMPLES`` examples per operation (env ``XUNCHA_FUZZ_EXAMPLES``, default 12 to
keep the suite's time; a deeper run: ``XUNCHA_FUZZ_EXAMPLES=100``), no per-example deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
import schemathesis.checks
from hypothesis import HealthCheck, given, settings
from xuncha_clues.bootstrap import SPEC as CLUES
from xuncha_intake.bootstrap import SPEC as INTAKE
from xuncha_rectification.bootstrap import SPEC as RECTIFICATION
from xuncha_reporting.bootstrap import SPEC as REPORTING
from xuncha_shared import provision
from xuncha_shared.auth.tokens import TokenStore
from xuncha_shared.http.app import create_app
from xuncha_shared.http.config import HttpSettings
from xuncha_shared.http.server import run_uvicorn
from xuncha_shared.runtime import ServiceSpec, service_context

from bench.ports import free_port
from tests.support.principals import OFFICES
from tests.support.service_api import service_settings

pytestmark = pytest.mark.integration

FUZZ_EXAMPLES = int(os.environ.get("XUNCHA_FUZZ_EXAMPLES", "12"))
SERVICES = ["intake", "clues", "rectification", "reporting"]
#: schema-valid input the services refuse for a reason no schema can say (an unknown
#: jurisdiction code, a state that forbids the action): statuses positive data may get
EXPECTED_FOR_VALID = ["2xx", "400", "401", "403", "404", "409", "410", "422", "429", "503"]


#: the event stream answers for up to ``max_seconds`` (an hour): a fuzzer would wait on it;
#: its limits are tested in tests/unit/test_http_gate.py and test_reporting_service.py
UNFUZZED = {"/api/v1/events/stream"}


@dataclass
class Served:
    base_url: str
    token: str


@contextlib.contextmanager
def serve(infra: Any, spec: ServiceSpec, who: str) -> Iterator[Served]:
    """``spec`` on fresh databases (all four for reporting), served by uvicorn in a thread with
    its own event loop, with a token of ``who``; everything dropped afterwards."""
    port = free_port()
    ready = threading.Event()
    stop_holder: dict[str, Any] = {}
    result: dict[str, Any] = {}
    prefix = f"{infra.db_prefix}fz{uuid.uuid4().hex[:6]}_"
    services = SERVICES if spec.name == "reporting" else [spec.name]

    async def main() -> None:
        stop = asyncio.Event()
        stop_holder["stop"] = stop
        stop_holder["loop"] = asyncio.get_running_loop()
        try:
            dbs = await provision.create_service_databases(infra.pg_admin_url, prefix, services)
            settings_ = service_settings(spec.name, infra, dbs, prefix, infra.topic_prefix)
            async with service_context(spec, settings_) as ctx:
                limits = HttpSettings(
                    rate_limit="1000000/minute", receipt_rate_limit="1000000/minute"
                )
                app = create_app(spec.name, title=spec.title, http_settings=limits)
                assert spec.build_api is not None
                spec.build_api(app, ctx)
                result["token"] = await TokenStore(ctx.pool).create(OFFICES[who], label="fuzz")
                started = asyncio.Event()
                server = asyncio.create_task(
                    run_uvicorn(app, "127.0.0.1", port, stop=stop, started=started)
                )
                await started.wait()
                ready.set()
                await server
        except BaseException as exc:
            result["error"] = exc
            ready.set()
            raise
        finally:
            await provision.drop_prefixed_databases(infra.pg_admin_url, prefix)

    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    thread.start()
    try:
        assert ready.wait(120), "the service did not start"
        if "error" in result:
            raise result["error"]
        yield Served(f"http://127.0.0.1:{port}", result["token"])
    finally:
        loop, stop = stop_holder.get("loop"), stop_holder.get("stop")
        if loop is not None and stop is not None:
            loop.call_soon_threadsafe(stop.set)
        thread.join(60)


def fuzz(served: Served) -> tuple[list[str], dict[str, int]]:
    """Every operation, ``FUZZ_EXAMPLES`` examples each, every check; the failures and how
    many requests each operation got."""
    config = schemathesis.Config.from_dict(
        {"checks": {"positive_data_acceptance": {"expected-statuses": EXPECTED_FOR_VALID}}}
    )
    schema = schemathesis.openapi.from_url(f"{served.base_url}/openapi.json", config=config)
    schema.config.update(base_url=served.base_url)
    checks = schemathesis.checks.CHECKS.get_all()
    auth = {"Authorization": f"Bearer {served.token}"}
    failures: list[str] = []
    calls: dict[str, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in UNFUZZED:
            continue

        @given(case=operation.as_strategy())
        @settings(
            max_examples=FUZZ_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
        def run(case: schemathesis.Case) -> None:
            calls[case.operation.label] = calls.get(case.operation.label, 0) + 1
            case.call_and_validate(base_url=served.base_url, headers=auth, checks=checks)

        try:
            run()
        except Exception as exc:
            failures.append(f"{operation.label}: {exc}")
    return failures, calls


@pytest.mark.parametrize(
    ("spec", "who"),
    [(INTAKE, "county"), (CLUES, "county"), (RECTIFICATION, "county"), (REPORTING, "auditor")],
    ids=lambda v: getattr(v, "name", v),
)
def test_every_operation_survives_fuzzing(infra: Any, spec: ServiceSpec, who: str) -> None:
    with serve(infra, spec, who) as served:
        failures, calls = fuzz(served)
    assert calls and all(n >= 1 for n in calls.values()), (calls, failures)
    print(f"{spec.name}: {sum(calls.values())} requests over {len(calls)} operations")
    assert not failures, "\n\n".join(failures)
