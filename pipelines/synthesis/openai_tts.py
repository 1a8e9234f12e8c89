"""OpenAI text to speech (or any server speaking its `/audio/speech` API), as raw PCM.

`response_format="pcm"` is 24 kHz 16-bit mono without a header, read as it arrives so the
API can stream it on.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai

from pipelines import openai_errors
from pipelines.errors import PipelineError, TransientError
from pipelines.synthesis.types import SpokenAudio, Voice

SAMPLE_RATE = 24000
VOICES = ("alloy", "echo", "fable", "nova", "onyx", "shimmer")


def translate_error(exc: openai.OpenAIError) -> PipelineError:
    return openai_errors.translate_error(exc, "synthesis", "Speech service")


class OpenAISpeechEngine:
    name = "openai"

    def __init__(self, *, api_key: str, base_url: str | None, model: str, timeout: float) -> None:
        self.model = model
        self._client = openai.OpenAI(
            api_key=api_key or "unused", base_url=base_url or None, timeout=timeout, max_retries=0
        )

    def voices(self) -> list[Voice]:
        # The service's voices speak whatever language the text is in.
        return [
            Voice(
                id=f"openai:{name}",
                engine=self.name,
                name=name,
                language="mul",
                sample_rate=SAMPLE_RATE,
                offline=False,
            )
            for name in VOICES
        ]

    def speak(self, text: str, voice: Voice, speed: float) -> SpokenAudio:
        try:
            response = self._client.audio.speech.with_streaming_response.create(
                model=self.model, voice=voice.name, input=text, speed=speed, response_format="pcm"
            ).__enter__()
        except openai.OpenAIError as exc:
            raise translate_error(exc) from exc

        def chunks() -> Iterator[bytes]:
            try:
                yield from response.iter_bytes(8192)
            except openai.OpenAIError as exc:
                raise translate_error(exc) from exc
            except httpx.HTTPError as exc:  # the body broke off mid-stream
                raise TransientError("synthesis_unavailable", f"Speech service: {exc}") from exc
            finally:
                response.close()

        return SpokenAudio(voice, SAMPLE_RATE, chunks())
