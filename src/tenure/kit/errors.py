"""The one error type a user sees: a clear message, never a stack trace."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, ValidationError


class TenureError(Exception):
    """An error meant for the user. `status` is the HTTP status the API answers with."""

    def __init__(self, message: str, status: int = 400, problems: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.problems = problems or []

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        return "\n".join([self.message, *self.problems])


class NotFound(TenureError):
    def __init__(self, message: str):
        super().__init__(message, status=404)


class Forbidden(TenureError):
    def __init__(self, message: str):
        super().__init__(message, status=403)


def from_validation(error: ValidationError) -> TenureError:
    """A Pydantic validation error as a TenureError naming each field and what was wrong."""
    problems = [
        f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg'].removeprefix('Value error, ')}"
        for e in error.errors()
    ]
    return TenureError("invalid input:", problems=problems)


class ErrorRead(BaseModel):
    """The one shape of every error answer of the API (4xx, and a 503 when busy)."""

    detail: str = Field(description="What was wrong, in a sentence.")
    problems: list[str] = Field(
        default_factory=list, description="Each problem, naming the field, row or parameter."
    )


# Every answer an API operation may give besides its success, declared in the OpenAPI so a
# generated client knows them all; each has the one error shape.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorRead, "description": "Bad input: what and where"},
    401: {"model": ErrorRead, "description": "Missing, invalid or revoked token or key"},
    403: {"model": ErrorRead, "description": "The caller's role may not do this"},
    404: {"model": ErrorRead, "description": "No such account, scorecard, task or user"},
    409: {"model": ErrorRead, "description": "Conflicts with what is stored"},
    413: {"model": ErrorRead, "description": "The request body is too large"},
    422: {"model": ErrorRead, "description": "A parameter or field is out of its bounds"},
    503: {"model": ErrorRead, "description": "Busy: try again after Retry-After seconds"},
}
