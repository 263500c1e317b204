"""The routes under ``/api/`` that the door treats apart (``gate``) and the OpenAPI document says
so of (``openapi``): one list for both."""

from __future__ import annotations

#: routes that need no token: the public receipt look-up, the deadline rules a service runs
#: (statutory periods and warning thresholds, nothing of any case), and what the offices
#: published to the public (两公开, R5)
PUBLIC_PREFIXES = ("/api/v1/receipts/", "/api/v1/rules", "/api/v1/public/")
#: the anonymous routes limited per client address (``XUNCHA_RECEIPT_RATE_LIMIT``): 429
PER_CLIENT_PREFIXES = ("/api/v1/receipts/", "/api/v1/public/")
