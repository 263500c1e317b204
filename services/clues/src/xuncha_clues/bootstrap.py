"""The clues service's composition: schema, HTTP routes and consumers."""

from __future__ import annotations

from xuncha_shared.runtime import ServiceSpec

from xuncha_clues.adapters.views import SCHEMA
from xuncha_clues.entrypoints.api import build_api
from xuncha_clues.entrypoints.consumers import build_consumers

SPEC = ServiceSpec(
    name="clues",
    title="xuncha clues: 问题线索登记、分类、上报与移交",
    schema=SCHEMA,
    build_api=build_api,
    build_consumers=build_consumers,
)
