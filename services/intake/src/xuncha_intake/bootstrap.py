"""The intake service's composition: schema, HTTP routes, consumers, informant vault."""

from __future__ import annotations

from xuncha_shared.runtime import ServiceContext, ServiceSpec

from xuncha_intake.adapters.receipts import SCHEMA
from xuncha_intake.entrypoints.api import build_api
from xuncha_intake.entrypoints.consumers import build_consumers
from xuncha_intake.handlers import vault_from_context


async def on_start(ctx: ServiceContext) -> None:
    vault_from_context(ctx)  # load the KEK once, at start-up (fails fast on a bad XUNCHA_KEK)


SPEC = ServiceSpec(
    name="intake",
    title="xuncha intake: 来信来电来访与移交受理",
    schema=SCHEMA,
    build_api=build_api,
    build_consumers=build_consumers,
    on_start=on_start,
)
