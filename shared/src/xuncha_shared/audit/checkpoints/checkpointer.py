"""The checkpointer a service runs beside its relay: a signed checkpoint whenever the final
history grew, then publish."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg

from xuncha_shared.audit.checkpoints.digest import HistoryDigest
from xuncha_shared.audit.checkpoints.document import sign_checkpoint
from xuncha_shared.audit.checkpoints.errors import SigningKeyError
from xuncha_shared.audit.checkpoints.keys import Signer, load_signer
from xuncha_shared.audit.checkpoints.publish import publish_pending
from xuncha_shared.audit.checkpoints.table import ensure_schema, history_digest, store_checkpoint
from xuncha_shared.eventstore.base import START, Position
from xuncha_shared.settings import Settings

log = logging.getLogger("xuncha.checkpoints")

DEFAULT_INTERVAL_S = 300.0


async def run_checkpointer(
    pool: asyncpg.Pool,
    service: str,
    settings: Settings,
    stop: asyncio.Event,
    interval_s: float = DEFAULT_INTERVAL_S,
) -> None:
    """Every ``interval_s``: a signed checkpoint when the final history grew since the last
    one, then publish what is not yet on Kafka. Runs until ``stop``; failures are logged and
    retried at the next tick (they never stop the service).

    The digest is kept in memory between ticks, so each tick reads only the new events; the
    first tick after a start reads the whole history once. It returns only when ``stop`` is
    set (a bad key is logged and retried), so a service can run it beside its relay."""
    signer: Signer | None = None
    digest: HistoryDigest | None = None
    last_head: Position | None = None
    while not stop.is_set():
        try:
            signer = signer or load_signer(service, settings, own_process=True)
            async with pool.acquire() as conn:
                await ensure_schema(conn)
                if last_head is None:
                    row = await conn.fetchrow(
                        "SELECT head_tx_id, head_global_position FROM checkpoints "
                        "WHERE service = $1 ORDER BY id DESC LIMIT 1",
                        service,
                    )
                    last_head = Position(row[0], row[1]) if row else START
                digest = await history_digest(conn, digest)
                if digest.count and digest.head != last_head:
                    database = str(await conn.fetchval("SELECT current_database()"))
                    checkpoint = sign_checkpoint(signer, database=database, digest=digest)
                    await store_checkpoint(conn, checkpoint)
                    last_head = digest.head
                    log.info(
                        "checkpoint %s: head %s/%s, %d events, digest %s",
                        service,
                        digest.head.tx_id,
                        digest.head.global_position,
                        digest.count,
                        checkpoint.digest[:16],
                    )
            await publish_pending(
                pool,
                settings.kafka_bootstrap,
                settings.topic_prefix,
                client_id=f"{service}.checkpointer",
            )
        except asyncio.CancelledError:
            raise
        except SigningKeyError as exc:
            log.error("checkpointer %s: %s; no checkpoint signed, retrying", service, exc)
        except Exception as exc:
            log.warning("checkpointer %s: %r; retrying in %.0fs", service, exc, interval_s)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_s)
