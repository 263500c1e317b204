"""Configuration by environment variable (the same names locally, in CI and in docker-compose).

| variable | meaning | default (local) |
|---|---|---|
| XUNCHA_SERVICE | relay's and CLI's service (xuncha-<svc> ignores it) | intake |
| XUNCHA_DATABASE_URL | the service's own database | unset: the admin URL on database SVC |
| XUNCHA_PG_ADMIN_URL | superuser URL (set-up, CLI) | postgresql://postgres@127.0.0.1:15432/ |
| XUNCHA_AUDIT_DATABASE_URL | read-only auditor URL (database swapped per service) | see below |
| XUNCHA_AUDITOR_PASSWORD | password of the role xuncha_auditor | xuncha_auditor |
| XUNCHA_DB_NAME_PREFIX | prefix of the per-service database names (tests isolate with it) | "" |
| XUNCHA_ENV | development or production (production refuses development secrets) | development |
| XUNCHA_PG_PORT / XUNCHA_KAFKA_PORT | local deployment's ports (default URLs) | 15432 / 19092 |
| XUNCHA_KAFKA_BOOTSTRAP | Kafka bootstrap servers | 127.0.0.1:19092 (-19094: KAFKA_BROKERS=3) |
| XUNCHA_KAFKA_SECURITY_PROTOCOL | PLAINTEXT, SASL_PLAINTEXT, SASL_SSL | SASL_PLAINTEXT if a user |
| XUNCHA_KAFKA_USERNAME / XUNCHA_KAFKA_PASSWORD | SCRAM-SHA-512 principal | local: admin (secrets) |
| XUNCHA_KAFKA_SASL_MECHANISM | SCRAM-SHA-512, SCRAM-SHA-256 or PLAIN | SCRAM-SHA-512 |
| XUNCHA_TOPIC_PREFIX | prefix of every topic name (tests isolate with it) | "" |
| XUNCHA_HTTP_HOST / XUNCHA_HTTP_PORT | where the HTTP API listens | 127.0.0.1 / per service |
| XUNCHA_OTEL_EXPORTER | traces, metrics: none, console, otlp (OTEL_EXPORTER_OTLP_*) | none |
| XUNCHA_METRICS_INTERVAL_SECONDS | sampling of relay/consumer lag, deadlines due | 15 |
| XUNCHA_METRICS_TEXTFILE_DIR | operator tools' metric files (reporting serves) | <state>/metrics |
| XUNCHA_LOG_LEVEL | DEBUG, INFO, WARNING, ERROR | INFO |
| XUNCHA_LOG_FILE | write the JSON log lines to this file, rotated by size (else stderr) | – |
| XUNCHA_LOG_MAX_BYTES / XUNCHA_LOG_BACKUPS | rotation size, rotated files kept | 10 MiB / 5 |
| XUNCHA_AUTH_MODE | token (hashed bearer tokens) or oidc | token |
| XUNCHA_OIDC_JWKS_URL, XUNCHA_OIDC_ISSUER, XUNCHA_OIDC_AUDIENCE | OIDC validation | – |
| XUNCHA_KEK | base64 32-byte key-encryption key for informant data keys | dev key (warned) |
| XUNCHA_RECEIPT_KEY | base64 key (≥ 32 bytes): receipt codes' HMAC (intake) | dev key (warned) |
| XUNCHA_RELAY_POLL_MS | relay poll right after a commit was notified or read | 20 |
| XUNCHA_RELAY_IDLE_POLL_MS | relay poll when idle, nothing notified owed (commit_signal) | 10000 |
| XUNCHA_STATE_DIR | local state folder (keys, demo tokens, metric files) | ./.xuncha (cwd) |
| XUNCHA_SECRETS_DIR | the local deployment's generated secrets | <state>/secrets |

Outside production, what is not set explicitly comes from the local deployment's generated
secrets (``xuncha_shared.secrets``, ``<state>/secrets``) when they exist: the superuser's
password in the admin URL, the auditor's password, the KEK, the receipt key and the Kafka admin
principal. In
production (``XUNCHA_ENV=production``) nothing is read from files.

Without XUNCHA_AUDIT_DATABASE_URL the auditor URL is the role xuncha_auditor (password
XUNCHA_AUDITOR_PASSWORD) on the admin URL's host and port: ``Settings.audit_database_url(svc)``.
The reporting service's audit endpoints read every service database through it.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Literal, Self
from urllib.parse import quote, urlsplit

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from xuncha_shared import secrets

SERVICES: tuple[str, ...] = ("intake", "clues", "rectification", "reporting")

DEFAULT_PORTS: dict[str, int] = {
    "reporting": 8000,
    "intake": 8001,
    "clues": 8002,
    "rectification": 8003,
}

PG_HOST = "127.0.0.1"
PG_PORT = int(os.environ.get("XUNCHA_PG_PORT") or 15432)


def _local_kafka_bootstrap() -> str:
    """The local deployment's brokers: 127.0.0.1:XUNCHA_KAFKA_PORT, and the two after it when
    its last ``make up`` asked for three (``KAFKA_BROKERS=3`` in ``<state>/topology``)."""
    port = int(os.environ.get("XUNCHA_KAFKA_PORT") or 19092)
    brokers = 1
    state = os.environ.get("XUNCHA_LOCAL_STATE") or ".xuncha"
    with contextlib.suppress(OSError, ValueError):
        for line in (Path(state) / "topology").read_text("utf-8").splitlines():
            if line.startswith("KAFKA_BROKERS="):
                brokers = int(line.split("=", 1)[1])
    return ",".join(f"127.0.0.1:{port + i}" for i in range(max(brokers, 1)))


KAFKA_BOOTSTRAP = _local_kafka_bootstrap()

#: The cluster-wide read-only role of auditing (``provision`` grants it SELECT on the history of
#: every service database, nothing else).
AUDITOR_ROLE = "xuncha_auditor"


class Settings(BaseSettings):
    # the prefix applies to validation aliases too: audit_database_url <- XUNCHA_AUDIT_DATABASE_URL
    model_config = SettingsConfigDict(env_prefix="XUNCHA_", env_prefix_target="all", extra="ignore")

    env: str = "development"
    service: str = "intake"
    database_url: str | None = None
    pg_admin_url: str = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/postgres"
    #: XUNCHA_AUDIT_DATABASE_URL (the name ``audit_database_url`` is the method below)
    audit_db_url: str | None = Field(default=None, validation_alias="audit_database_url")
    auditor_password: str = AUDITOR_ROLE
    db_name_prefix: str = ""
    kafka_bootstrap: str = KAFKA_BOOTSTRAP
    kafka_security_protocol: str | None = None
    kafka_username: str | None = None
    kafka_password: str | None = None
    kafka_sasl_mechanism: str = "SCRAM-SHA-512"
    topic_prefix: str = ""
    http_host: str = "127.0.0.1"
    http_port: int | None = None
    otel_exporter: str = "none"
    auth_mode: str = "token"
    oidc_jwks_url: str | None = None
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    kek: str | None = None
    receipt_key: str | None = None
    relay_poll_ms: int = 20
    relay_idle_poll_ms: int = 10000
    state_dir: str | None = None
    metrics_interval_seconds: float = Field(default=15.0, gt=0)
    metrics_textfile_dir: str | None = None
    #: the event loop of a service process: ``uvloop`` (default; libuv, what uvicorn picks in
    #: production) or ``asyncio`` (the standard library's)
    event_loop: Literal["uvloop", "asyncio"] = "uvloop"
    log_level: str = "INFO"
    log_file: str | None = None
    log_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    log_backups: int = Field(default=5, ge=1)
    #: 两公开 (R5): the grounds for withholding a part of a publication, id -> 中文 (JSON in
    #: ``XUNCHA_PUBLICATION_EXEMPTIONS``); none: rectification's default list
    publication_exemptions: dict[str, str] | None = None

    @model_validator(mode="after")
    def _local_secrets(self) -> Self:
        """Fill what was not set from the local deployment's generated secrets (never in
        production). Explicit values always win."""
        if self.production:
            return self
        given = self.model_fields_set
        folder = secrets.secrets_dir(self.state_dir)
        if "pg_admin_url" not in given:
            password = secrets.read(secrets.pg_file(secrets.PG_SUPERUSER), folder)
            if password:
                self.pg_admin_url = role_url(
                    self.pg_admin_url, secrets.PG_SUPERUSER, password, "postgres"
                )
        if "auditor_password" not in given:
            password = secrets.read(secrets.pg_file(AUDITOR_ROLE), folder)
            if password:
                self.auditor_password = password
        if "kek" not in given:
            self.kek = secrets.read(secrets.KEK_FILE, folder) or self.kek
        if "receipt_key" not in given:
            self.receipt_key = secrets.read(secrets.RECEIPT_KEY_FILE, folder) or self.receipt_key
        if "kafka_username" not in given and "kafka_password" not in given:
            password = secrets.read(secrets.kafka_file(secrets.KAFKA_ADMIN), folder)
            if password:
                self.kafka_username = secrets.KAFKA_ADMIN
                self.kafka_password = password
        return self

    @property
    def production(self) -> bool:
        return self.env.strip().lower() == "production"

    def db_name(self, service: str | None = None) -> str:
        return f"{self.db_name_prefix}{service or self.service}"

    def service_database_url(self, service: str | None = None) -> str:
        """URL of a service's own database: XUNCHA_DATABASE_URL for this process's service,
        otherwise derived from the admin URL (used by the CLI and by tests)."""
        svc = service or self.service
        if svc == self.service and self.database_url:
            return self.database_url
        return database_url_for(self.pg_admin_url, self.db_name(svc))

    def audit_database_url(self, service: str) -> str:
        """URL of ``service``'s database as the read-only auditor role: XUNCHA_AUDIT_DATABASE_URL
        with its database name swapped, otherwise ``xuncha_auditor`` (XUNCHA_AUDITOR_PASSWORD) on
        the admin URL's host and port."""
        dbname = self.db_name(service)
        if self.audit_db_url:
            return database_url_for(self.audit_db_url, dbname)
        return role_url(self.pg_admin_url, AUDITOR_ROLE, self.auditor_password, dbname)

    def metrics_textfiles(self) -> str | None:
        """Where operator tools leave metric files for reporting's /metrics:
        ``XUNCHA_METRICS_TEXTFILE_DIR``, else ``<state dir>/metrics`` when a state dir is set."""
        if self.metrics_textfile_dir:
            return self.metrics_textfile_dir
        return os.path.join(self.state_dir, "metrics") if self.state_dir else None

    def port(self) -> int:
        return self.http_port or DEFAULT_PORTS.get(self.service, 8000)


def database_url_for(admin_url: str, dbname: str) -> str:
    """Swap the database name of a PostgreSQL URL (credentials and query parameters are kept)."""
    base, sep, query = admin_url.partition("?")
    head, _, _ = base.rpartition("/")
    return f"{head}/{dbname}{sep}{query}"


def role_url(admin_url: str, role: str, password: str, database: str) -> str:
    """URL for ``role`` on the server of ``admin_url`` (host, port and query kept)."""
    parts = urlsplit(admin_url)
    host = parts.hostname or PG_HOST
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    query = f"?{parts.query}" if parts.query else ""
    return (
        f"postgresql://{quote(role, safe='')}:{quote(password, safe='')}@{host}{port}"
        f"/{quote(database, safe='')}{query}"
    )


def get_settings() -> Settings:
    return Settings()
