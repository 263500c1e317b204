"""Every ``domain`` package loads without infrastructure: importing it in a fresh interpreter
pulls in none of asyncpg, FastAPI, the Kafka clients or OpenTelemetry (docs/architecture.md;
import-linter checks the same statically in ``make lint``)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.unit

INFRASTRUCTURE = (
    "asyncpg",
    "fastapi",
    "starlette",
    "aiokafka",
    "faststream",
    "opentelemetry",
    "httpx",
    "jwt",
)

DOMAIN_PACKAGES = (
    "xuncha_shared.domain",
    "xuncha_intake.domain",
    "xuncha_clues.domain",
    "xuncha_rectification.domain",
    "xuncha_reporting.domain",
)

_PROBE = """
import importlib, json, pkgutil, sys
package = importlib.import_module(sys.argv[1])
for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    importlib.import_module(info.name)
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def _top_level_modules_after_import(package: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, package], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout))


@pytest.mark.parametrize("package", DOMAIN_PACKAGES)
def test_domain_package_loads_no_infrastructure(package: str) -> None:
    loaded = _top_level_modules_after_import(package)
    assert package.split(".")[0] in loaded  # the probe did import the package
    assert sorted(loaded & set(INFRASTRUCTURE)) == []


def test_the_probe_sees_infrastructure_when_it_is_loaded() -> None:
    # the same probe on a module that does load FastAPI reports it (the check can fail)
    assert "fastapi" in _top_level_modules_after_import("xuncha_shared.http")


#: what a domain may import of the shared code (docs/architecture.md, "What each folder may
#: import"): everything else of ``xuncha_shared`` is in import-linter's forbidden list
SHARED_FOR_DOMAINS = {"domain", "contracts", "envelope"}


def test_the_lint_forbids_domains_every_other_shared_module() -> None:
    """A shared module added later is forbidden to the domains too, not by omission allowed."""
    import tomllib
    from pathlib import Path

    import xuncha_shared

    root = Path(__file__).resolve().parents[2]
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    [contract] = [
        c
        for c in config["tool"]["importlinter"]["contracts"]
        if set(DOMAIN_PACKAGES) <= set(c.get("source_modules", ()))
    ]
    forbidden = set(contract["forbidden_modules"])
    shared = Path(xuncha_shared.__file__).parent
    modules = {
        p.stem if p.is_file() else p.name
        for p in shared.iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()
    }
    missing = {m for m in modules - SHARED_FOR_DOMAINS if f"xuncha_shared.{m}" not in forbidden}
    assert not missing, f"add to the domains' forbidden modules in pyproject.toml: {missing}"
