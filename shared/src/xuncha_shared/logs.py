"""Structured logging: one JSON object per line on stderr.

Each line has ``ts`` (UTC, ISO 8601 with milliseconds), ``level``, ``logger``, ``msg``,
``service``, the ``trace_id``/``span_id`` of the current OpenTelemetry span (hex, when there is a
valid one), every field passed with ``extra=`` (``log.info("appended", extra={"event_id": ...})``)
and ``exc_info``/``stack_info`` as text. Values that JSON cannot hold are written with ``str()``.

The level is ``XUNCHA_LOG_LEVEL`` (``INFO``). With ``XUNCHA_LOG_FILE`` the lines go to that file
instead, rotated by size (``XUNCHA_LOG_MAX_BYTES``, 10 MiB; ``XUNCHA_LOG_BACKUPS`` rotated files
kept, 5: ``intake.log.1`` … ``intake.log.5``). One process per file: the local deployment gives
each process its own ``.xuncha/logs/<name>.log``.

Each HTTP request writes one ``access`` line (logger ``xuncha.access``, see
:mod:`xuncha_shared.http.app`): method, route template, status, ``duration_ms``,
``principal_id``, the trace id; never a token, a query string or a request body.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
from datetime import UTC, datetime
from typing import IO, Any

from opentelemetry import trace

__all__ = ["NOISY_LOGGERS", "JsonFormatter", "configure_logging"]

# attributes every LogRecord has; anything else on a record came from ``extra=``
_RECORD_ATTRS = frozenset(
    vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None)).keys()
    | {"message", "asctime", "taskName", "color_message"}
)
_RESERVED = frozenset({"ts", "level", "logger", "msg", "service", "trace_id", "span_id"})

NOISY_LOGGERS: dict[str, int] = {
    "aiokafka": logging.WARNING,
    "kafka": logging.WARNING,
    "asyncio": logging.WARNING,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "uvicorn.access": logging.WARNING,
    "opentelemetry": logging.WARNING,
}

_HANDLER_MARK = "_xuncha_json_handler"


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "service": self.service,
        }
        span_ctx = trace.get_current_span().get_span_context()
        if span_ctx.is_valid:
            doc["trace_id"] = format(span_ctx.trace_id, "032x")
            doc["span_id"] = format(span_ctx.span_id, "016x")
        for key, value in record.__dict__.items():
            if key in _RECORD_ATTRS or key.startswith("_"):
                continue
            doc[f"extra.{key}" if key in _RESERVED else key] = value
        if record.exc_info:
            doc["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            doc["exc_info"] = record.exc_text
        if record.stack_info:
            doc["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(doc, ensure_ascii=False, default=str)


class _RotatingJsonFile(logging.handlers.RotatingFileHandler):
    """A size-rotated log file that formats each record once: the standard handler formats it
    twice, for its size check and for the write (a tenth of a cheap request's CPU)."""

    def format(self, record: logging.LogRecord) -> str:
        kept = record.__dict__.get("_xuncha_line")
        if kept is not None and kept[0] is self:
            return str(kept[1])
        line = super().format(record)
        record.__dict__["_xuncha_line"] = (self, line)
        return line


def configure_logging(
    service: str,
    level: str | int = "INFO",
    *,
    stream: IO[str] | None = None,
    log_file: str | None = None,
    max_bytes: int = 10 * 1024 * 1024,
    backups: int = 5,
) -> logging.Handler:
    """Send every log record (root logger) as JSON lines to ``stream`` (default stderr), or to
    ``log_file`` rotated at ``max_bytes`` keeping ``backups`` old files.

    Idempotent: a second call replaces the handler installed by the first one; handlers that
    others installed are left alone. Returns the installed handler.
    """
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, _HANDLER_MARK, False):
            root.removeHandler(existing)
            existing.close()
    handler: logging.Handler
    if log_file:
        handler = _RotatingJsonFile(
            log_file, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
        )
    else:
        handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    setattr(handler, _HANDLER_MARK, True)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name, noisy_level in NOISY_LOGGERS.items():
        logging.getLogger(name).setLevel(noisy_level)
    # FastStream's module logger writes plain text to stderr and does not propagate: route it
    # through the JSON handler. (Brokers get JSON by ``KafkaBroker(logger=...)`` with a logger of
    # ours; their default access logger is a separate, non-propagating stdout logger.)
    fs_logger = logging.getLogger("faststream")
    for existing in list(fs_logger.handlers):
        fs_logger.removeHandler(existing)
    fs_logger.propagate = True
    return handler
