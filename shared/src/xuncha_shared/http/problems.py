"""Problem details (RFC 9457): the errors the HTTP layer answers with.

Routes and HTTP dependencies raise ``ProblemError`` (or one of the helpers below); the app
(``xuncha_shared.http.app``) maps it to an ``application/problem+json`` response with
``status``, ``title``, ``detail`` and ``type``, plus any ``headers`` (for example
``WWW-Authenticate`` on 401) and ``extra`` members. A refusal of the domain
(``xuncha_shared.domain.errors.DomainError``) becomes the problem of its status
(:func:`problem_of`); :func:`domain_errors` also maps a lost race (``ConcurrencyError``) to 409.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from xuncha_shared.domain.errors import DomainError
from xuncha_shared.eventstore.base import ConcurrencyError

PROBLEM_BASE = "https://xuncha.example/problems/"


def problem_type(slug: str) -> str:
    """The problem type URI for a short slug, e.g. ``forbidden``."""
    return f"{PROBLEM_BASE}{slug}"


#: the problem type of a request that failed validation (also the app's, http/app.py)
TYPE_VALIDATION = problem_type("validation-error")


class ProblemError(Exception):
    """An error with an HTTP status and an RFC 9457 problem document."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        type_: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {title}: {detail}" if detail else f"{status} {title}")
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type_ or "about:blank"
        self.headers: dict[str, str] = dict(headers or {})
        self.extra: dict[str, Any] = dict(extra or {})

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        """The problem document (without ``instance`` unless given)."""
        doc: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
        }
        if self.detail:
            doc["detail"] = self.detail
        if instance is not None:
            doc["instance"] = instance
        for key, value in self.extra.items():
            doc.setdefault(key, value)
        return doc


class BadRequest(ProblemError):
    def __init__(self, detail: str = "", **extra: Any) -> None:
        super().__init__(400, "Bad request", detail, problem_type("bad-request"), extra=extra)


class Unauthorized(ProblemError):
    """401: no or invalid credentials. Carries ``WWW-Authenticate: Bearer`` (RFC 6750)."""

    def __init__(self, detail: str = "", *, error: str | None = None) -> None:
        challenge = 'Bearer realm="xuncha"'
        if error:
            challenge += f', error="{error}"'
        super().__init__(
            401,
            "Unauthorized",
            detail,
            problem_type("unauthorized"),
            headers={"WWW-Authenticate": challenge},
        )


class Forbidden(ProblemError):
    def __init__(self, detail: str = "", **extra: Any) -> None:
        super().__init__(403, "Forbidden", detail, problem_type("forbidden"), extra=extra)


class NotFound(ProblemError):
    def __init__(self, detail: str = "", **extra: Any) -> None:
        super().__init__(404, "Not found", detail, problem_type("not-found"), extra=extra)


class Conflict(ProblemError):
    def __init__(self, detail: str = "", **extra: Any) -> None:
        super().__init__(409, "Conflict", detail, problem_type("conflict"), extra=extra)


def invalid(field: str, message: str) -> ProblemError:
    """422 for one bad request field, in the shape of the HTTP layer's validation problems
    (``errors``: ``field``, ``msg``, ``type``), for checks the request models cannot make."""
    return ProblemError(
        422,
        "Validation failed",
        f"{field}: {message}",
        TYPE_VALIDATION,
        extra={"errors": [{"field": field, "msg": message, "type": "value_error"}]},
    )


def bad_request(detail: str = "", **extra: Any) -> BadRequest:
    return BadRequest(detail, **extra)


def unauthorized(detail: str = "", *, error: str | None = None) -> Unauthorized:
    return Unauthorized(detail, error=error)


def forbidden(detail: str = "", **extra: Any) -> Forbidden:
    return Forbidden(detail, **extra)


def not_found(detail: str = "", **extra: Any) -> NotFound:
    return NotFound(detail, **extra)


def conflict(detail: str = "", **extra: Any) -> Conflict:
    return Conflict(detail, **extra)


# --- refusals of the domain -------------------------------------------------------------------

#: problem type slug of each domain error status (anything else is a conflict)
PROBLEM_SLUGS = {403: "forbidden", 404: "not-found", 409: "conflict", 422: "unprocessable"}


def problem_of(exc: DomainError) -> ProblemError:
    """The problem response of a domain refusal: its status, title and detail."""
    slug = PROBLEM_SLUGS.get(exc.status, "conflict")
    return ProblemError(exc.status, exc.title, exc.detail, problem_type(slug))


@contextmanager
def domain_errors(concurrency_detail: str) -> Iterator[None]:
    """Map the model's refusals and lost races (409 ``concurrency_detail``) to problems."""
    try:
        yield
    except DomainError as exc:
        raise problem_of(exc) from exc
    except ConcurrencyError as exc:
        raise conflict(concurrency_detail) from exc
