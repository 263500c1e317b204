"""A consumer process for tests: records each event in ``effects`` through an InboxConsumer.

python -m tests.support.consumer_proc --dsn DSN --bootstrap HOST:PORT --topic T --group G
    [--crash-at N]   # SIGKILL itself inside the transaction of the N-th effect (before commit)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal

from faststream.kafka import KafkaBroker
from xuncha_shared.consumer import InboxConsumer, broker_dead_letter_sink, subscribe
from xuncha_shared.contracts import REGISTRY
from xuncha_shared.db import create_pool
from xuncha_shared.kafka import client_security

EFFECTS_DDL = (
    "CREATE TABLE IF NOT EXISTS effects (event_id uuid NOT NULL, at timestamptz DEFAULT now())"
)


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--dsn", required=True)
    p.add_argument("--bootstrap", required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--group", required=True)
    p.add_argument("--crash-at", type=int, default=0)
    args = p.parse_args()
    pool = await create_pool(args.dsn)
    await pool.execute(EFFECTS_DDL)
    handled = 0

    async def handler(conn, envelope, payload) -> None:  # type: ignore[no-untyped-def]
        nonlocal handled
        await conn.execute("INSERT INTO effects (event_id) VALUES ($1)", envelope.event_id)
        handled += 1
        if args.crash_at and handled == args.crash_at:
            os.kill(os.getpid(), signal.SIGKILL)  # the effect is written but not committed

    broker = KafkaBroker(
        args.bootstrap.split(","),
        enable_idempotence=True,
        acks="all",
        security=client_security().faststream(),
    )
    consumer = InboxConsumer(
        name=args.group,
        pool=pool,
        registry=REGISTRY,
        handler=handler,
        dead_letter=broker_dead_letter_sink(broker),
    )
    subscribe(broker, [args.topic], consumer)
    await broker.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await broker.stop()
    await pool.close()


if __name__ == "__main__":
    asyncio.run(main())
