"""Speech to text with word timings, behind one interface with several providers.

transcriber = build_transcriber(TranscriptionConfig(provider="local"))
transcript = transcriber.transcribe("answer.m4a", language="en")
"""

from __future__ import annotations

from pipelines.errors import PipelineError
from pipelines.transcription.types import (
    Report,
    Segment,
    Transcriber,
    Transcript,
    TranscriptionConfig,
    Word,
)

PROVIDERS = ("local", "openai")


def build_transcriber(config: TranscriptionConfig) -> Transcriber:
    """The provider named by `config.provider`, ready to use."""
    if config.provider == "local":
        from pipelines.transcription.local import LocalTranscriber

        return LocalTranscriber(config)
    if config.provider == "openai":
        from pipelines.transcription.openai_api import OpenAITranscriber

        return OpenAITranscriber(config)
    raise PipelineError(
        "provider_unknown",
        f"Unknown transcription provider {config.provider!r}; use one of {', '.join(PROVIDERS)}.",
    )


__all__ = [
    "PROVIDERS",
    "Report",
    "Segment",
    "Transcriber",
    "Transcript",
    "TranscriptionConfig",
    "Word",
    "build_transcriber",
]
