"""HTTP API of the clues service (port 8002).

| method | path | who |
|---|---|---|
| GET | ``/api/v1/clues[?jurisdiction=&status=&limit=&offset=]`` | offices, groups, auditor, depts |
| POST | ``/api/v1/clues`` | city/county office, inspection group (its own group) |
| GET | ``/api/v1/clues/{id}`` | offices, groups, auditor (own area), its department |
| POST | ``/api/v1/clues/{id}/classify`` | city/county office, inspection group |
| POST | ``/api/v1/clues/{id}/verify`` | city/county office, inspection group |
| POST | ``/api/v1/clues/{id}/escalate`` | city/county office |
| POST | ``/api/v1/clues/{id}/transfer`` | city/county office |
| POST | ``/api/v1/clues/{id}/acknowledge`` | the receiving department |
| POST | ``/api/v1/clues/{id}/result`` | the receiving department |
| POST | ``/api/v1/clues/{id}/dispose`` | city/county office responsible (办结) |
| POST | ``/api/v1/clues/{id}/archive`` | city/county office responsible (参考类存档) |

Clues come from the intake consumers (petitions, records) or are registered directly by a group
(the summary never carries the informant's identity: a phone or ID number is a 422, R11). A
group member bound to a group registers and acts only for its own group, and sees its group's
clues and the others of its group's round about a unit it inspects or none in particular. A
county office sees a clue escalated to the city office only as a stub (id, dates, status;
不扩大知情范围). A receiving
department sees and acts only on the clues transferred to it; any other is the uniform 404.
Errors are ``application/problem+json``: 401/403 for credentials and role, 404 for an unknown
clue (or one of another jurisdiction, group or department), 409 for a state that forbids the
action (the detail names the clue's state; R12: escalate first), 422 for invalid input or a
wrong Art. 28 route.
"""

from __future__ import annotations

from fastapi import APIRouter
from xuncha_shared.http.dependencies import AuthDependencies

from xuncha_clues.entrypoints.routes.clues import clues_router
from xuncha_clues.entrypoints.routes.handling import handling_router
from xuncha_clues.entrypoints.routes.receiving import receiving_router
from xuncha_clues.handlers import ClueHandlers


def build_router(handlers: ClueHandlers, deps: AuthDependencies) -> APIRouter:
    """``/api/v1/clues``: the list, registration and one clue (``routes/clues.py``), the
    office's handling (``routes/handling.py``) and the receiving department's
    (``routes/receiving.py``)."""
    router = APIRouter()
    router.include_router(clues_router(handlers, deps))
    router.include_router(handling_router(handlers, deps))
    router.include_router(receiving_router(handlers, deps))
    return router
