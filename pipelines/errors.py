"""Errors raised by pipelines. The job engine turns them into a job's `error` field."""

from __future__ import annotations


class PipelineError(Exception):
    """A failure with a stable code. Not retryable unless a subclass says so."""

    retryable = False

    def __init__(self, code: str, message: str, *, details: dict | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


class TransientError(PipelineError):
    """A failure worth retrying later: timeouts, 5xx, rate limits, refused connections."""

    retryable = True


class Canceled(Exception):
    """Raised by a progress callback when the job was asked to stop."""
