"""OpenAI SDK errors as the platform's: retry later (TransientError) or give up
(PipelineError), with codes named after the capability (`<kind>_unavailable`,
`<kind>_rejected`, `<kind>_failed`)."""

from __future__ import annotations

import openai

from pipelines.errors import PipelineError, TransientError

RETRYABLE_STATUS = {408, 409, 429}


def translate_error(exc: openai.OpenAIError, kind: str, service: str) -> PipelineError:
    """`kind` names the codes ("transcription"), `service` the messages ("Transcription
    service")."""
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return TransientError(f"{kind}_unavailable", f"{service}: {exc}")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        details = {"status": status}
        if status >= 500 or status in RETRYABLE_STATUS:
            return TransientError(
                f"{kind}_unavailable",
                f"{service} answered {status}: {exc.message}",
                details=details,
            )
        return PipelineError(
            f"{kind}_rejected",
            f"{service} refused the request ({status}): {exc.message}",
            details=details,
        )
    return PipelineError(f"{kind}_failed", f"{service}: {exc}")
