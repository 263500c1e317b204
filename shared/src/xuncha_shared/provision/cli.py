"""The command line: ``python -m xuncha_shared.provision ...`` (see the package docstring)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence

import asyncpg

from xuncha_shared.provision import acls
from xuncha_shared.provision.common import ProvisionError
from xuncha_shared.provision.http import wait_for_http
from xuncha_shared.provision.kafka import delete_prefixed_topics, provision_topics, wait_for_kafka
from xuncha_shared.provision.postgres import (
    create_service_databases,
    drop_prefixed_databases,
    wait_for_postgres,
)
from xuncha_shared.settings import SERVICES, Settings

log = logging.getLogger("xuncha.provision")


def _parser() -> argparse.ArgumentParser:
    settings = Settings()
    p = argparse.ArgumentParser(
        prog="python -m xuncha_shared.provision",
        description=_doc(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    sub = p.add_subparsers(dest="command", required=True)
    p.set_defaults(quiet=False)

    def pg(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--admin-url", default=settings.pg_admin_url)

    def kafka(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--bootstrap", default=settings.kafka_bootstrap)

    def brokers(sp: argparse.ArgumentParser) -> None:
        # the topics' replication follows the live brokers: wait for all of them first
        sp.add_argument(
            "--brokers",
            type=int,
            default=int(os.environ.get("XUNCHA_KAFKA_BROKERS") or 1),
            help="wait until this many brokers live before creating topics "
            "(XUNCHA_KAFKA_BROKERS; default 1)",
        )

    s = sub.add_parser(
        "databases", parents=[common], help="create the per-service roles and databases"
    )
    pg(s)
    s.add_argument("--prefix", default=settings.db_name_prefix)
    s.add_argument("--service", action="append", choices=SERVICES, help="only these services")

    s = sub.add_parser("topics", parents=[common], help="create every topic (retention.ms=-1)")
    kafka(s)
    brokers(s)
    s.add_argument("--prefix", default=settings.topic_prefix)

    s = sub.add_parser("acls", parents=[common], help="the Kafka ACLs of every service principal")
    kafka(s)
    s.add_argument("--prefix", default=settings.topic_prefix)

    s = sub.add_parser("all", parents=[common], help="databases, topics and ACLs")
    pg(s)
    kafka(s)
    brokers(s)
    s.add_argument("--db-prefix", default=settings.db_name_prefix)
    s.add_argument("--topic-prefix", default=settings.topic_prefix)

    s = sub.add_parser(
        "drop",
        parents=[common],
        help="drop databases, roles and topics whose names start with PREFIX",
    )
    pg(s)
    kafka(s)
    s.add_argument("--prefix", required=True)
    s.add_argument("--topic-prefix", help="default: the same as --prefix")

    s = sub.add_parser(
        "wait-pg", parents=[common], help="wait until PostgreSQL accepts the admin URL"
    )
    pg(s)
    s.add_argument("--timeout", type=float, default=60)
    s.add_argument("--pid", type=int)

    s = sub.add_parser(
        "wait-kafka", parents=[common], help="wait until the broker answers a metadata request"
    )
    kafka(s)
    s.add_argument("--timeout", type=float, default=120)
    s.add_argument("--pid", type=int, help="fail at once if this process exits")
    s.add_argument("--brokers", type=int, default=1, help="wait until this many brokers live")

    s = sub.add_parser("wait-http", parents=[common], help="wait until URL answers HTTP 200")
    s.add_argument("url")
    s.add_argument("--timeout", type=float, default=60)
    s.add_argument("--pid", type=int, help="fail at once if this process exits")
    return p


async def _run(args: argparse.Namespace) -> None:
    cmd = args.command
    if cmd == "databases":
        await create_service_databases(args.admin_url, args.prefix, args.service or SERVICES)
    elif cmd == "topics":
        if args.brokers > 1:
            await wait_for_kafka(args.bootstrap, 180, brokers=args.brokers)
        await provision_topics(args.bootstrap, args.prefix)
    elif cmd == "acls":
        await acls.ensure_service_acls(args.bootstrap, args.prefix)
    elif cmd == "all":
        await create_service_databases(args.admin_url, args.db_prefix)
        if args.brokers > 1:
            await wait_for_kafka(args.bootstrap, 180, brokers=args.brokers)
        await provision_topics(args.bootstrap, args.topic_prefix)
        await acls.ensure_service_acls(args.bootstrap, args.topic_prefix)
    elif cmd == "drop":
        dbs = await drop_prefixed_databases(args.admin_url, args.prefix)
        topic_prefix = args.topic_prefix or args.prefix
        topics = await delete_prefixed_topics(args.bootstrap, topic_prefix)
        await acls.remove_acls(args.bootstrap, acls.all_service_acls(topic_prefix))
        log.info("dropped %d databases, %d topics", len(dbs), len(topics))
    elif cmd == "wait-pg":
        await wait_for_postgres(args.admin_url, args.timeout, pid=args.pid)
    elif cmd == "wait-kafka":
        await wait_for_kafka(args.bootstrap, args.timeout, pid=args.pid, brokers=args.brokers)
    elif cmd == "wait-http":
        await wait_for_http(args.url, args.timeout, pid=args.pid)
    else:  # pragma: no cover - argparse rejects unknown commands
        raise ProvisionError(f"unknown command {cmd}")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(message)s",
        stream=sys.stderr,
    )
    # aiokafka logs every refused connection while a broker starts: the probes report instead
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    try:
        asyncio.run(_run(args))
    except ProvisionError as exc:
        if not (args.quiet and args.command.startswith("wait-")):
            print(f"provision {args.command}: {exc}", file=sys.stderr)
        return 1
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"provision {args.command}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


def _doc() -> str:
    from xuncha_shared import provision

    return provision.__doc__ or ""
