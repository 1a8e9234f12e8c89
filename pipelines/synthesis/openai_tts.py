"""OpenAI text to speech (or any server speaking its `/audio/speech` API), as raw PCM.

`response_format="pcm"` is 24 kHz 16-bit mono without a header, read as it arrives so the
API can stream it on.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai

from pipelines.errors import PipelineError, TransientError
from pipelines.synthesis.types import SpokenAudio, Voice

SAMPLE_RATE = 24000
VOICES = ("alloy", "echo", "fable", "nova", "onyx", "shimmer")
_RETRYABLE_STATUS = {408, 409, 429}


def translate_error(exc: openai.OpenAIError) -> PipelineError:
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return TransientError("synthesis_unavailable", f"Speech service: {exc}")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status >= 500 or status in _RETRYABLE_STATUS:
            return TransientError("synthesis_unavailable",
                                  f"Speech service answered {status}", details={"status": status})
        return PipelineError("synthesis_rejected",
                             f"Speech service refused the request ({status})",
                             details={"status": status})  # fmt: skip
    return PipelineError("synthesis_failed", f"Speech service: {exc}")


class OpenAISpeechEngine:
    name = "openai"

    def __init__(self, *, api_key: str, base_url: str | None, model: str, timeout: float) -> None:
        self.model = model
        self._client = openai.OpenAI(api_key=api_key or "unused", base_url=base_url or None,
                                     timeout=timeout, max_retries=0)  # fmt: skip

    def voices(self) -> list[Voice]:
        # The service's voices speak whatever language the text is in.
        return [Voice(id=f"openai:{name}", engine=self.name, name=name, language="mul",
                      sample_rate=SAMPLE_RATE, offline=False) for name in VOICES]  # fmt: skip

    def speak(self, text: str, voice: Voice, speed: float) -> SpokenAudio:
        try:
            response = self._client.audio.speech.with_streaming_response.create(
                model=self.model, voice=voice.name, input=text, speed=speed,
                response_format="pcm").__enter__()
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
