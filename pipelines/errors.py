"""Errors raised by pipelines: the platform's `PlatformError` (core.errors), whose code the
job engine records as the job's `error` and the API answers as a problem (422, or 503 when
retryable)."""

from __future__ import annotations

from typing import Any

from core.errors import PlatformError


class PipelineError(PlatformError):
    """A failure with a stable code. Not retryable unless a subclass says so."""

    def __init__(self, code: str, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, code=code, details=details)


class TransientError(PipelineError):
    """A failure worth retrying later: timeouts, 5xx, rate limits, refused connections."""

    retryable = True


class Canceled(Exception):
    """Raised by a progress callback when the job was asked to stop."""
