"""Refusals of a request: the platform's `PlatformError` (core.errors) with an HTTP status.
The API answers each as a problem+json response; a job that meets one fails with its code."""

from __future__ import annotations

from core.errors import PlatformError


class AppError(PlatformError):
    """A refusal with a stable code, an HTTP status and a human message."""

    status = 400
    code = "bad_request"
    title = "Bad request"


class NotFound(AppError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(AppError):
    status = 409
    code = "conflict"
    title = "Conflict"


class Unprocessable(AppError):
    status = 422
    code = "validation_error"
    title = "Unprocessable entity"


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"
    title = "Unauthorized"


class Forbidden(AppError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class ServiceUnavailable(AppError):
    status = 503
    code = "service_unavailable"
    title = "Service unavailable"
    retryable = True
