"""The one error type a user sees: a clear message, never a stack trace."""

from __future__ import annotations

from pydantic import ValidationError


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
