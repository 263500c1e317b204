"""Configuration by environment variable (the same names locally, in CI and in docker-compose).

| variable | meaning | default (local) |
|---|---|---|
| XUNCHA_SERVICE | which service this process is | (set per process) |
| XUNCHA_DATABASE_URL | the service's own database | postgresql://SVC:SVC@127.0.0.1:15432/SVC |
| XUNCHA_PG_ADMIN_URL | superuser URL (set-up, CLI) | postgresql://postgres@127.0.0.1:15432/ |
| XUNCHA_AUDIT_DATABASE_URL | read-only auditor URL (database swapped per service) | see below |
| XUNCHA_AUDITOR_PASSWORD | password of the role xuncha_auditor | xuncha_auditor |
| XUNCHA_DB_NAME_PREFIX | prefix of the per-service database names (tests isolate with it) | "" |
| XUNCHA_KAFKA_BOOTSTRAP | Kafka bootstrap servers | 127.0.0.1:19092 |
| XUNCHA_TOPIC_PREFIX | prefix of every topic name (tests isolate with it) | "" |
| XUNCHA_HTTP_HOST / XUNCHA_HTTP_PORT | where the HTTP API listens | 127.0.0.1 / per service |
| XUNCHA_OTEL_EXPORTER | none, console or otlp (then OTEL_EXPORTER_OTLP_ENDPOINT) | none |
| XUNCHA_AUTH_MODE | token (hashed bearer tokens) or oidc | token |
| XUNCHA_OIDC_JWKS_URL, XUNCHA_OIDC_ISSUER, XUNCHA_OIDC_AUDIENCE | OIDC validation | – |
| XUNCHA_KEK | base64 32-byte key-encryption key for informant data keys | dev key (warned) |
| XUNCHA_RELAY_POLL_MS | relay poll interval when idle | 20 |
| XUNCHA_STATE_DIR | local state folder (pids, logs, demo tokens) | <repo>/.xuncha |

Without XUNCHA_AUDIT_DATABASE_URL the auditor URL is the role xuncha_auditor (password
XUNCHA_AUDITOR_PASSWORD) on the admin URL's host and port: ``Settings.audit_database_url(svc)``.
The reporting service's audit endpoints read every service database through it.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES: tuple[str, ...] = ("intake", "clues", "rectification", "reporting")

DEFAULT_PORTS: dict[str, int] = {
    "reporting": 8000,
    "intake": 8001,
    "clues": 8002,
    "rectification": 8003,
}

PG_HOST = "127.0.0.1"
PG_PORT = 15432
KAFKA_BOOTSTRAP = "127.0.0.1:19092"

#: The cluster-wide read-only role of auditing (``provision`` grants it SELECT on the history of
#: every service database, nothing else).
AUDITOR_ROLE = "xuncha_auditor"


class Settings(BaseSettings):
    # the prefix applies to validation aliases too: audit_database_url <- XUNCHA_AUDIT_DATABASE_URL
    model_config = SettingsConfigDict(env_prefix="XUNCHA_", env_prefix_target="all", extra="ignore")

    service: str = "intake"
    database_url: str | None = None
    pg_admin_url: str = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/postgres"
    #: XUNCHA_AUDIT_DATABASE_URL (the name ``audit_database_url`` is the method below)
    audit_db_url: str | None = Field(default=None, validation_alias="audit_database_url")
    auditor_password: str = AUDITOR_ROLE
    db_name_prefix: str = ""
    kafka_bootstrap: str = KAFKA_BOOTSTRAP
    topic_prefix: str = ""
    http_host: str = "127.0.0.1"
    http_port: int | None = None
    otel_exporter: str = "none"
    auth_mode: str = "token"
    oidc_jwks_url: str | None = None
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    kek: str | None = None
    relay_poll_ms: int = 20
    state_dir: str | None = None

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
