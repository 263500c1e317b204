"""A console script's module imports nothing heavy until its ``main`` runs.

multiprocessing's spawn and forkserver make each new process run the parent's main module again
when the parent was started as a script: a console script (``xuncha``, ``xuncha-reporting``)
is such a script, and its module is one line, ``from <module> import main``. So every worker of
a rebuild or an as-of replay (``projection_chunks``) imports ``<module>`` before it projects:
the whole service or every command of the CLI, 0.26–0.35 s of CPU and about 30 MB each, unless
``<module>`` imports them only inside ``main``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

import pytest

#: console script -> the module its file imports ``main`` from
SCRIPTS = {
    "xuncha": "xuncha_shared.cli",
    "xuncha-intake": "xuncha_intake.entrypoints.main",
    "xuncha-clues": "xuncha_clues.entrypoints.main",
    "xuncha-rectification": "xuncha_rectification.entrypoints.main",
    "xuncha-reporting": "xuncha_reporting.entrypoints.main",
}
#: what none of them may import before ``main`` runs
HEAVY = ("typer", "fastapi", "faststream", "aiokafka", "asyncpg", "xuncha_shared.runtime")


def _loaded_after_import(module: str) -> set[str]:
    code = f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(done.stdout))


def test_every_console_script_is_held_to_it() -> None:
    installed = {
        ep.name: ep.module for ep in entry_points(group="console_scripts") if ep.name in SCRIPTS
    }
    assert installed == SCRIPTS
    xuncha_scripts = {
        ep.name for ep in entry_points(group="console_scripts") if ep.name.startswith("xuncha")
    }
    assert xuncha_scripts == set(SCRIPTS)


@pytest.mark.parametrize("module", sorted(SCRIPTS.values()))
def test_a_console_scripts_module_imports_nothing_heavy(module: str) -> None:
    assert not _loaded_after_import(module) & set(HEAVY)


def test_a_worker_of_a_service_started_by_its_script_does_not_import_the_service(
    tmp_path: Path,
) -> None:
    """A script shaped like ``xuncha-reporting`` starts the projection's workers as a rebuild
    does (``projection_chunks.forkserver``): a worker has the projection's modules, not the
    service's app."""
    script = tmp_path / "xuncha-reporting-like"
    script.write_text(
        textwrap.dedent(
            """
            import json, sys
            from xuncha_reporting.entrypoints.main import main

            if __name__ == "__main__":
                from concurrent.futures import ProcessPoolExecutor
                from xuncha_reporting import projection_chunks

                context = projection_chunks.forkserver()
                with ProcessPoolExecutor(1, mp_context=context) as pool:
                    modules = pool.submit(eval, "sorted(__import__('sys').modules)").result()
                print(json.dumps(modules))
            """
        )
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True, timeout=120
    )
    in_worker = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "xuncha_reporting.projection_chunks" in in_worker
    assert "__mp_main__" in in_worker  # the script's module was run again, as described
    assert not in_worker & {"fastapi", "faststream", "xuncha_shared.runtime"}
