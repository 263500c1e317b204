"""The reporting service's composition: schema, HTTP routes and consumers."""

from __future__ import annotations

from xuncha_shared.runtime import ServiceSpec

from xuncha_reporting.adapters.schema import LIVE_SCHEMA, ddl
from xuncha_reporting.adapters.share_tables import MIGRATIONS as SHARE_MIGRATIONS
from xuncha_reporting.adapters.share_tables import SCHEMA as SHARE_SCHEMA
from xuncha_reporting.entrypoints.api import build_api
from xuncha_reporting.entrypoints.consumers import build_consumers
from xuncha_reporting.share_publisher import run_share_publisher
from xuncha_reporting.upgrade import on_start

SPEC = ServiceSpec(
    name="reporting",
    title="xuncha reporting: 上下联动总览与成果共享",
    schema=(ddl(LIVE_SCHEMA), SHARE_SCHEMA),
    migrations=SHARE_MIGRATIONS,
    build_api=build_api,
    build_consumers=build_consumers,
    # a live projection of an older version is rebuilt from the history before serving
    on_start=on_start,
    # its /metrics serves `xuncha audit verify --metrics-file`'s outcome (alert on failure)
    serves_tool_metrics=True,
    # each receiving department's feed items on its own topic share.<department>.v1
    background=(run_share_publisher,),
)
