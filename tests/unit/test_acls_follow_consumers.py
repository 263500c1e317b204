"""The Kafka ACLs grant each service READ on exactly the topics its consumers subscribe to:
the ACL table (shared, which may not import a service) is checked against the services here."""

from __future__ import annotations

import ast
import inspect

import pytest
from xuncha_clues import bootstrap as clues_bootstrap
from xuncha_intake import bootstrap as intake_bootstrap
from xuncha_rectification import bootstrap as rectification_bootstrap
from xuncha_reporting.settings import PROJECTED_STREAM_TYPES
from xuncha_shared.provision.acls import CONSUMES

pytestmark = pytest.mark.unit


def _subscribed_stream_types(module: object) -> set[str]:
    """The stream types named in the ``inbox_subscriber(ctx, name, [...], ...)`` calls."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(inspect.getsource(module))):  # type: ignore[arg-type]
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", None) == "inbox_subscriber"
            and len(node.args) >= 3
            and isinstance(node.args[2], ast.List)
        ):
            found |= {ast.literal_eval(elt) for elt in node.args[2].elts}
    return found


def test_reporting_reads_what_it_projects() -> None:
    assert set(CONSUMES["reporting"]) == set(PROJECTED_STREAM_TYPES)


@pytest.mark.parametrize(
    ("service", "module"),
    [
        ("clues", clues_bootstrap),
        ("intake", intake_bootstrap),
        ("rectification", rectification_bootstrap),
    ],
)
def test_a_service_reads_what_its_consumers_subscribe_to(service: str, module: object) -> None:
    assert set(CONSUMES[service]) == _subscribed_stream_types(module)


def test_rectification_follows_the_hearings_the_clues_the_rounds_and_the_units() -> None:
    assert CONSUMES["rectification"] == ("inspection_report", "clue", "round", "unit")
