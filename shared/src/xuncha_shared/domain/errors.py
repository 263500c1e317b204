"""The refusals of the domain. A decision raises one of these; the HTTP layer answers with the
``status`` and ``title`` they carry (``xuncha_shared.http.problems``). A service subclasses them
for its own refusals (``class UnknownClue(NotFoundError): ...``)."""

from __future__ import annotations

__all__ = ["DomainError", "InvalidCommand", "NotAllowed", "NotFoundError", "RuleViolation"]


class DomainError(Exception):
    """A rule of the domain refuses a command. ``status`` is the HTTP status to answer with."""

    status = 409
    title = "Conflict"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFoundError(DomainError):
    """The command names an aggregate that does not exist (404)."""

    status = 404
    title = "Not found"


class InvalidCommand(DomainError):
    """The command is malformed or names something unknown (422)."""

    status = 422
    title = "Unprocessable content"


class RuleViolation(DomainError):
    """The command is well formed but the aggregate's state forbids it (409)."""

    status = 409
    title = "Conflict"


class NotAllowed(DomainError):
    """The caller's office may not act on this aggregate (any more) (403)."""

    status = 403
    title = "Forbidden"
