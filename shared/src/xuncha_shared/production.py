"""Production mode (``XUNCHA_ENV=production``): a service refuses to start on development
secrets, naming every problem at once (docs/security.md, "What an operator configures").

Refused in production:

- the informants' KEK (``XUNCHA_KEK``) missing, malformed, or the built-in development key;
- intake without a receipt key (``XUNCHA_RECEIPT_KEY``, the HMAC key of the receipt codes'
  stored hashes) or with a malformed one;
- a database password (the service's ``XUNCHA_DATABASE_URL``, the auditor's, an admin URL that
  is set) missing, equal to its role name, or a well-known default (``postgres``, ...);
- a checkpoint signing key that would be generated (no ``XUNCHA_SIGNING_KEY[_<SERVICE>]``);
- Kafka without authentication, or with a well-known password;
- token authentication whose token table holds demo tokens (``xuncha tokens demo``, label
  ``demo`` or a ``demo-`` principal) that are not revoked.

Development (``make up``) is unaffected: the same findings are logged as warnings there.
"""

from __future__ import annotations

import logging
import os
from urllib.parse import unquote, urlsplit

import asyncpg

from xuncha_shared.audit.checkpoints import SIGNING_KEY_ENV
from xuncha_shared.crypto import DEV_KEK, parse_kek
from xuncha_shared.secrets import parse_receipt_key
from xuncha_shared.settings import AUDITOR_ROLE, Settings

log = logging.getLogger("xuncha.production")

#: passwords any scanner tries first (compared case-insensitively)
WELL_KNOWN_PASSWORDS: frozenset[str] = frozenset(
    {
        "postgres", "password", "passw0rd", "secret", "changeme", "change-me", "admin",
        "administrator", "root", "xuncha", "kafka", "admin-secret", "123456", "12345678",
        "qwerty", "letmein", "default", "test", "xuncha_auditor",
    }
)  # fmt: skip
DEMO_PRINCIPAL_PREFIX = "demo-"


class UnsafeProductionStart(SystemExit):
    """Raised (exit status 2) with every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"XUNCHA_ENV=production: refusing to start with development secrets:\n{lines}"
        )


def weak_password(role: str, password: str | None) -> str | None:
    """Why ``password`` is unacceptable for ``role`` (None if it is acceptable)."""
    if not password:
        return "has no password"
    if password.lower() == role.lower():
        return "has its role name as password"
    if password.lower() in WELL_KNOWN_PASSWORDS:
        return "has a well-known default password"
    return None


def _url_problem(label: str, url: str) -> str | None:
    parts = urlsplit(url)
    role = unquote(parts.username or "")
    password = unquote(parts.password) if parts.password else None
    why = weak_password(role or "(no user)", password)
    return f"{label}: role {role or '(none)'} {why}" if why else None


def settings_problems(settings: Settings) -> list[str]:
    """What is wrong with these settings for production (no I/O)."""
    problems: list[str] = []
    if not settings.kek:
        problems.append("XUNCHA_KEK is missing: informant data would use the development key")
    else:
        try:
            if parse_kek(settings.kek) == DEV_KEK:
                problems.append("XUNCHA_KEK is the built-in development key (public)")
        except ValueError as exc:
            problems.append(f"XUNCHA_KEK is invalid: {exc}")

    if settings.service == "intake":
        if not settings.receipt_key:
            problems.append(
                "XUNCHA_RECEIPT_KEY is missing: receipt codes would be hashed with the "
                "development key"
            )
        else:
            try:
                parse_receipt_key(settings.receipt_key)
            except ValueError as exc:
                problems.append(f"XUNCHA_RECEIPT_KEY is invalid: {exc}")

    if settings.database_url:
        problem = _url_problem("XUNCHA_DATABASE_URL", settings.database_url)
        if problem:
            problems.append(problem)
    else:
        problems.append("XUNCHA_DATABASE_URL is not set (the service's own role is required)")
    if "pg_admin_url" in settings.model_fields_set:
        problem = _url_problem("XUNCHA_PG_ADMIN_URL", settings.pg_admin_url)
        if problem:
            problems.append(problem)
    if settings.service == "reporting":
        if settings.audit_db_url:
            problem = _url_problem("XUNCHA_AUDIT_DATABASE_URL", settings.audit_db_url)
        else:
            why = weak_password(AUDITOR_ROLE, settings.auditor_password)
            problem = f"XUNCHA_AUDITOR_PASSWORD: role {AUDITOR_ROLE} {why}" if why else None
        if problem:
            problems.append(problem)

    specific = f"{SIGNING_KEY_ENV}_{settings.service.upper()}"
    if not (os.environ.get(specific) or os.environ.get(SIGNING_KEY_ENV)):
        problems.append(
            f"the checkpoint signing key would be generated: set {specific} or {SIGNING_KEY_ENV}"
        )

    protocol = (settings.kafka_security_protocol or "").upper()
    if not settings.kafka_username or protocol == "PLAINTEXT":
        problems.append(
            "Kafka without authentication: set XUNCHA_KAFKA_USERNAME/XUNCHA_KAFKA_PASSWORD "
            "(SASL_SSL or SASL_PLAINTEXT)"
        )
    else:
        why = weak_password(settings.kafka_username, settings.kafka_password)
        if why:
            problems.append(f"XUNCHA_KAFKA_PASSWORD: principal {settings.kafka_username} {why}")
    return problems


async def token_problems(settings: Settings, pool: asyncpg.Pool) -> list[str]:
    """Demo tokens in the token table (token authentication only)."""
    if settings.auth_mode != "token":
        return []
    count = await pool.fetchval(
        "SELECT count(*) FROM auth_tokens WHERE revoked_at IS NULL "
        "AND (label = 'demo' OR principal_id LIKE $1)",
        DEMO_PRINCIPAL_PREFIX + "%",
    )
    if count:
        return [
            f"token authentication holds {count} demo token(s) (xuncha tokens demo): "
            "revoke them (xuncha tokens revoke) or use XUNCHA_AUTH_MODE=oidc"
        ]
    return []


def refuse_unsafe_settings(settings: Settings) -> None:
    """Before connecting anywhere: in production raise ``UnsafeProductionStart`` for every
    problem of the settings (the database is looked at later by ``check_start``)."""
    if settings.production:
        problems = settings_problems(settings)
        if problems:
            raise UnsafeProductionStart(problems)


async def check_start(settings: Settings, pool: asyncpg.Pool) -> list[str]:
    """Every problem; in production raise ``UnsafeProductionStart`` if there is one, in
    development log them as warnings and return them."""
    problems = settings_problems(settings)
    problems += await token_problems(settings, pool)
    if problems and settings.production:
        raise UnsafeProductionStart(problems)
    if problems:
        log.warning(
            "development mode (XUNCHA_ENV=%s); production would refuse: %s",
            settings.env,
            "; ".join(problems),
        )
    return problems
