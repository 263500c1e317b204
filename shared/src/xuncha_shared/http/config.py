"""The limits of the HTTP doors, from the environment (``XUNCHA_*``).

| variable | default | what |
|---|---|---|
| ``XUNCHA_RATE_LIMIT`` | ``600/minute`` | per principal, sliding window (`limits` syntax) |
| ``XUNCHA_RECEIPT_RATE_LIMIT`` | ``30/minute`` | receipt look-ups per client address (no token) |
| ``XUNCHA_RATE_LIMIT_STORAGE`` | ``memory://`` | `limits` storage URI; ``redis://…`` shares it |
| ``XUNCHA_BODY_LIMIT_BYTES`` | 1 MiB | largest request body |
| ``XUNCHA_UPLOAD_LIMIT_BYTES`` | 20 MiB | largest body of an evidence upload (``…/evidence…``) |
| ``XUNCHA_MAX_STREAMS_PER_TOKEN`` | ``3`` | concurrent event streams (SSE) per principal |
| ``XUNCHA_METRICS_ENABLED`` | ``true`` | serve ``GET /metrics`` (Prometheus text format) |
| ``XUNCHA_METRICS_ALLOW`` | ``127.0.0.0/8,::1`` | networks that scrape ``/metrics`` tokenless |
| ``XUNCHA_METRICS_TOKEN`` | unset | bearer token other addresses must send (unset: they get 403) |
| ``XUNCHA_ACCESS_LOG`` | ``true`` | one JSON ``access`` line per request (``xuncha.access``) |
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024


class HttpSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="XUNCHA_", extra="ignore")

    rate_limit: str = "600/minute"
    receipt_rate_limit: str = "30/minute"
    rate_limit_storage: str = "memory://"
    body_limit_bytes: int = Field(default=MIB, ge=1)
    upload_limit_bytes: int = Field(default=20 * MIB, ge=1)
    max_streams_per_token: int = Field(default=3, ge=1)
    metrics_enabled: bool = True
    metrics_allow: str = "127.0.0.0/8,::1"
    metrics_token: str | None = None
    access_log: bool = True
