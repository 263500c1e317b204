"""The rectification service's composition root: schema, handlers and HTTP routes."""

from __future__ import annotations

from fastapi import FastAPI
from xuncha_shared import clocks
from xuncha_shared.clocks.http import rules_router
from xuncha_shared.http.dependencies import AuthDependencies
from xuncha_shared.http.gate import guard
from xuncha_shared.runtime import ServiceContext, ServiceSpec

from xuncha_rectification.adapters import deadlines
from xuncha_rectification.adapters.read_model import SCHEMA, SqlIssueReadModel
from xuncha_rectification.domain.model import ISSUE
from xuncha_rectification.entrypoints.api import build_router
from xuncha_rectification.handlers import RectificationHandlers


def handlers(ctx: ServiceContext) -> RectificationHandlers:
    read_model = SqlIssueReadModel(ctx.pool)
    issues = ctx.aggregates(ISSUE, read_model, [deadlines.reactions(ctx.clocks())])
    return RectificationHandlers(issues, read_model, now=lambda: ctx.now())


def build_api(app: FastAPI, ctx: ServiceContext) -> None:
    guard(app, ctx.authenticator)
    app.include_router(build_router(handlers(ctx), AuthDependencies(ctx.authenticator)))
    app.include_router(rules_router(deadlines.RULE_IDS))


SPEC = ServiceSpec(
    name="rectification",
    title="xuncha rectification: 反馈问题与整改",
    schema=(*SCHEMA, clocks.SCHEMA),
    build_api=build_api,
    deadline_kinds=deadlines.KINDS,
)
