"""``GET /api/v1/rules``: the deadline rules a service runs, every version (one line per
service: ``app.include_router(rules_router([...]))``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, params

from xuncha_shared.clocks.rules import RULES, RuleBook, describe


def rules_router(
    rule_ids: Sequence[str],
    *,
    rules: RuleBook = RULES,
    dependencies: Sequence[params.Depends] | None = None,
) -> APIRouter:
    """A router listing ``rule_ids`` (unknown ids fail here, at start-up, not per request)."""
    listing = describe(rules, rule_ids)
    router = APIRouter(dependencies=list(dependencies or ()))

    @router.get("/api/v1/rules", tags=["rules"], summary="期限规则 (deadline rules)")
    async def list_rules() -> dict[str, Any]:
        return {"rules": listing}

    return router
