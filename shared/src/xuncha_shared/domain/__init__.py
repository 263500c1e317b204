"""The vocabulary every service's ``domain`` package shares. Pure: the standard library and
pydantic only (and the pure event contracts: ``xuncha_shared.envelope``, ``contracts``).

* :mod:`.errors`: the refusals a decision raises (``DomainError`` and its kinds);
* :mod:`.principals`: roles, the authenticated principal and its access predicates;
* :mod:`.jurisdictions`: the GB/T 2260 codes of the deployment (the one home of ``city_of``);
* :mod:`.commands`: the metadata of the events one command appends (``Meta``);
* :mod:`.aggregates`: what the shared command loop needs to know of an aggregate.

Nothing here may import asyncpg, FastAPI, Kafka clients, OpenTelemetry, JWT or HTTP clients
(import-linter enforces it, ``make lint``).
"""
