"""The remote provider: the OpenAI audio transcription API through the official SDK.

Works with any server that speaks the same API (a self-hosted faster-whisper server, Groq,
Azure's compatible endpoint) through `openai_base_url`. The recording is decoded locally
first, so duration limits and unreadable files fail the same way as with the local provider
and never cost a remote call.

OpenAI's verbose JSON gives word times but no word probabilities; each word gets the
probability of its segment instead, exp(avg_logprob), clipped to [0, 1]. It is a coarser
signal than the local provider's per-word confidence, and the assessment says which
provider produced it.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import openai

from pipelines import openai_errors
from pipelines.audio import AudioSource, decode_audio, read_bytes, to_wav_bytes
from pipelines.errors import PipelineError
from pipelines.transcription.languages import language_code, whisper_language
from pipelines.transcription.timing import tighten_words
from pipelines.transcription.types import Report, Segment, Transcript, TranscriptionConfig, Word

# Upload formats the API accepts; anything else is sent as 16 kHz WAV of the decoded audio.
_ACCEPTED = {"flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm"}
_MAX_UPLOAD_BYTES = 24 * 1024 * 1024


def translate_error(exc: openai.OpenAIError) -> PipelineError:
    """Map an SDK error to TransientError (retry later) or PipelineError (give up)."""
    return openai_errors.translate_error(exc, "transcription", "Transcription service")


class OpenAITranscriber:
    """`audio.transcriptions.create` with verbose JSON and word and segment timestamps."""

    name = "openai"

    def __init__(self, config: TranscriptionConfig) -> None:
        self.config = config
        self.model = config.openai_model
        self._client = openai.OpenAI(
            # Self-hosted compatible servers often need no key, but the SDK insists on one.
            api_key=config.openai_api_key or "not-needed",
            base_url=config.openai_base_url or None,
            timeout=config.timeout,
            max_retries=config.openai_max_retries,
        )

    def transcribe(
        self,
        audio: AudioSource,
        language: str | None = None,
        *,
        report: Report | None = None,
        prompt: str | None = None,
    ) -> Transcript:
        """Upload the recording and map the verbose JSON answer onto a Transcript."""
        language = whisper_language(language)
        decoded = decode_audio(audio, max_seconds=self.config.max_audio_seconds)
        original = read_bytes(audio)
        if decoded.extension in _ACCEPTED and len(original) <= _MAX_UPLOAD_BYTES:
            upload = (f"audio.{decoded.extension}", original)
        else:
            upload = ("audio.wav", to_wav_bytes(decoded))
        if report:
            report("transcribing", 0)
        options: dict[str, Any] = {}
        if language:
            options["language"] = language
        if prompt:
            options["prompt"] = prompt
        try:
            answer = self._client.audio.transcriptions.create(
                file=upload,
                model=self.model,
                response_format="verbose_json",
                timestamp_granularities=["word", "segment"],
                **options,
            )
        except openai.OpenAIError as exc:
            raise translate_error(exc) from exc
        if report:
            report("transcribing", 100)
        transcript = self._transcript(answer, language, decoded.duration)
        # The same edge trimming as for the local provider, so pauses measure alike.
        words = tighten_words(transcript.words, decoded.samples, decoded.sample_rate)
        return replace(transcript, words=words)

    def _transcript(self, answer: Any, language: str | None, duration: float) -> Transcript:
        segments = [
            Segment(
                id=index,
                text=(_field(s, "text") or "").strip(),
                start=float(_field(s, "start") or 0.0),
                end=float(_field(s, "end") or 0.0),
                avg_logprob=_optional_float(_field(s, "avg_logprob")),
                no_speech_prob=_optional_float(_field(s, "no_speech_prob")),
            )
            for index, s in enumerate(_field(answer, "segments") or [])
        ]
        words = []
        for w in _field(answer, "words") or []:
            text = (_field(w, "word") or "").strip()
            if not text:
                continue
            start, end = float(_field(w, "start") or 0.0), float(_field(w, "end") or 0.0)
            confidence = _segment_confidence(segments, start)
            words.append(Word(text=text, start=start, end=end, probability=confidence))
        text = (_field(answer, "text") or "").strip()
        if not words:
            if text:
                raise PipelineError(
                    "transcription_failed",
                    "The transcription service returned no word timestamps; "
                    "it must support timestamp_granularities=['word'].",
                )
            raise PipelineError("no_speech_detected", "No speech was found in the recording.")
        detected = language_code(_field(answer, "language")) or (language or "")
        return Transcript(
            text=text,
            language=language or detected,
            # The API does not report how sure its language detection was.
            language_probability=1.0 if language else None,
            duration=round(float(_field(answer, "duration") or duration), 3),
            segments=segments,
            words=words,
            provider=self.name,
            model=self.model,
        )


def _field(obj: Any, name: str) -> Any:
    # Compatible servers may add or omit fields the SDK's model does not declare.
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def _optional_float(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _segment_confidence(segments: list[Segment], time: float) -> float | None:
    for segment in segments:
        if segment.start - 0.01 <= time <= segment.end + 0.01:
            if segment.avg_logprob is None:
                return None
            return round(min(1.0, max(0.0, math.exp(segment.avg_logprob))), 4)
    return None
