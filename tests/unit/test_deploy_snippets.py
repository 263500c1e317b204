"""The Python the deploy scripts run inline (`"$PY" - <<'PY' ... PY`) still compiles and every
name it imports from the project exists: a moved class would otherwise turn `make up`'s check into
a traceback and a silent fallback (the demo-token check once imported `Role` from a module it
had left)."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
HEREDOC = re.compile(r"<<'PY'[^\n]*\n(.*?)\nPY\n", re.S)


def _snippets() -> list[tuple[str, str]]:
    found = []
    for script in sorted((ROOT / "deploy").rglob("*.sh")):
        for n, body in enumerate(HEREDOC.findall(script.read_text(encoding="utf-8"))):
            found.append((f"{script.relative_to(ROOT)}#{n + 1}", body))
    return found


SNIPPETS = _snippets()


def test_the_deploy_scripts_have_inline_python() -> None:
    assert len(SNIPPETS) >= 2, "the heredoc pattern no longer finds the scripts' inline Python"


@pytest.mark.parametrize(("where", "body"), SNIPPETS, ids=[w for w, _ in SNIPPETS])
def test_an_inline_snippet_compiles_and_its_project_imports_exist(where: str, body: str) -> None:
    tree = ast.parse(body, filename=where)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("xuncha"):
            module = importlib.import_module(node.module)
            for alias in node.names:
                assert hasattr(module, alias.name), f"{where}: {node.module} has no {alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("xuncha"):
                    importlib.import_module(alias.name)
