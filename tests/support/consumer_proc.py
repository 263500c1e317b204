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
from xuncha_shared.db import create_pool
from xuncha_shared.kafka import client_security

from tests.support.inbox import EFFECTS_DDL, record_effect, start_consumer


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
        await record_effect(conn, envelope, payload)
        handled += 1
        if args.crash_at and handled == args.crash_at:
            os.kill(os.getpid(), signal.SIGKILL)  # the effect is written but not committed

    broker = KafkaBroker(
        args.bootstrap.split(","),
        enable_idempotence=True,
        acks="all",
        security=client_security().faststream(),
    )
    await start_consumer(broker, args.topic, args.group, pool, handler)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await broker.stop()
    await pool.close()


if __name__ == "__main__":
    asyncio.run(main())
