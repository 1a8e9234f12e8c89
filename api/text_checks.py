"""Request checks shared by the text resources (writing, hints, plans)."""

from __future__ import annotations

from pipelines.cefr import check_language
from pipelines.errors import PipelineError
from storage.errors import Unprocessable


def supported_language(language: str) -> str:
    """The normalised code ("en-GB" -> "en"), or 422 unsupported_language."""
    try:
        return check_language(language)
    except PipelineError as exc:
        raise Unprocessable(exc.message, code=exc.code) from None
