"""Marshmallow fields shared by the request schemas."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import ValidationError, fields, validate


class UtcDateTime(fields.AwareDateTime):
    """An ISO 8601 time read as UTC when it names no offset, as GitHub's REST API does, and
    converted to UTC; a time that leaves the calendar once converted (year 1 at +05:00)
    is refused like any other invalid value instead of failing in the database."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(default_timezone=UTC, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        parsed = super()._deserialize(value, attr, data, **kwargs)
        try:
            return parsed.astimezone(UTC)
        except (OverflowError, ValueError):
            raise ValidationError("The time is outside the supported range.") from None


class CallbackUrl(fields.Url):
    """A job request's `callback_url`: where the signed result is sent (submits_job hands it
    to the view apart from the job's input)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(schemes={"http", "https"}, validate=validate.Length(max=2000), **kwargs)
