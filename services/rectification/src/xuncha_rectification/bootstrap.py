"""The rectification service's composition: schema and HTTP routes (no consumers yet)."""

from __future__ import annotations

from xuncha_shared.runtime import ServiceSpec

from xuncha_rectification.adapters.views import SCHEMA
from xuncha_rectification.entrypoints.api import build_api

SPEC = ServiceSpec(
    name="rectification",
    title="xuncha rectification: 反馈问题与整改",
    schema=SCHEMA,
    build_api=build_api,
)
