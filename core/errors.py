"""The platform's one error base: a stable code, a human message, details, and whether trying
again later may succeed.

Every layer raises subclasses of `PlatformError`: `storage.errors` (a request the platform
refuses: 404, 409, 422, ...) and `pipelines.errors` (work that cannot be done: a bad recording,
an unsupported language, a provider timing out). Two edges translate it, each in one place:
`api.errors` into an application/problem+json answer, `workers.engine` into a job's `error`.
"""

from __future__ import annotations

from typing import Any


class PlatformError(Exception):
    """A failure with a stable `code`, a human `message` and JSON-safe `details`.

    `status` is the HTTP status the API answers with; left as None it follows from
    `retryable`: 503 when trying again later may succeed, else 422 (the input is at fault).
    """

    code = "error"
    retryable = False
    status: int | None = None
    title: str | None = None

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = details or {}
        self.headers = headers or {}

    @property
    def http_status(self) -> int:
        if self.status is not None:
            return self.status
        return 503 if self.retryable else 422
