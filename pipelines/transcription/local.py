"""The offline provider: faster-whisper (CTranslate2) on a local Whisper model.

Loading a model takes seconds and hundreds of megabytes, so models are cached per process,
keyed by (model, device, compute type), and shared by every transcriber and worker thread in
it; CTranslate2 serialises concurrent calls on one model itself.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path

from pipelines.audio import AudioSource, decode_audio
from pipelines.errors import PipelineError
from pipelines.transcription.languages import whisper_language
from pipelines.transcription.model_store import resolve_model
from pipelines.transcription.timing import tighten_words
from pipelines.transcription.types import (
    Report,
    Segment,
    Transcript,
    TranscriptionConfig,
    Word,
)

# Silero VAD settings: keep pauses of a second or more out of the decoder (Whisper invents
# words in long silences) while the padding keeps word onsets and offsets intact. Times of
# the words are mapped back onto the original recording, so pauses stay measurable.
DEFAULT_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)  # faster-whisper's own default
VAD_PARAMETERS = {"min_silence_duration_ms": 1000, "speech_pad_ms": 300}

_models: dict[tuple[str, str, str, int], object] = {}
_models_lock = threading.Lock()


@dataclass(frozen=True)
class Runtime:
    device: str
    compute_type: str


def choose_runtime(device: str = "auto", compute_type: str = "auto") -> Runtime:
    """CUDA when CTranslate2 sees a GPU (float16), else CPU with int8 weights."""
    import ctranslate2

    if device == "auto":
        device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    if compute_type == "auto":
        compute_type = "float16" if device == "cuda" else "int8"
    return Runtime(device=device, compute_type=compute_type)


def load_model(model: str, runtime: Runtime, cpu_threads: int = 0):  # -> WhisperModel
    """The process-wide WhisperModel for `model` on `runtime`, loaded on first use."""
    key = (model, runtime.device, runtime.compute_type, cpu_threads)
    with _models_lock:
        cached = _models.get(key)
        if cached is None:
            from faster_whisper import WhisperModel

            try:
                cached = WhisperModel(
                    model,
                    device=runtime.device,
                    compute_type=runtime.compute_type,
                    cpu_threads=cpu_threads,
                )
            except (RuntimeError, ValueError, OSError) as exc:
                raise PipelineError(
                    "model_unavailable", f"The Whisper model {model!r} could not be loaded: {exc}"
                ) from exc
            _models[key] = cached
        return cached


def loaded_model(directory_name: str):  # -> WhisperModel | None
    """A WhisperModel this process has already loaded from a directory of that name (the
    bundled model assembled in any cache directory), or None."""
    with _models_lock:
        for (model, _device, _compute, _threads), loaded in _models.items():
            if Path(model).name == directory_name:
                return loaded
    return None


class LocalTranscriber:
    """faster-whisper with word timestamps and VAD, on the configured or bundled model."""

    name = "local"

    def __init__(self, config: TranscriptionConfig) -> None:
        self.config = config
        self.model_path = resolve_model(config.whisper_model, Path(config.cache_dir))
        self.runtime = choose_runtime(config.device, config.compute_type)
        self.model = config.whisper_model or Path(self.model_path).name
        self._whisper = load_model(self.model_path, self.runtime, config.cpu_threads)

    def transcribe(
        self,
        audio: AudioSource,
        language: str | None = None,
        *,
        report: Report | None = None,
        prompt: str | None = None,
    ) -> Transcript:
        """Decode, run Whisper and collect words; see `Transcriber.transcribe`."""
        language = whisper_language(language)
        decoded = decode_audio(audio, max_seconds=self.config.max_audio_seconds)
        if report:
            report("transcribing", 0)
        segments_iter, info = self._whisper.transcribe(
            decoded.samples,
            language=language,
            # Primed with the text, the decoder confirms words more than it searches for
            # them: greedy decoding is enough there and several times faster.
            beam_size=1 if prompt else self.config.beam_size,
            word_timestamps=True,
            vad_filter=True,
            vad_parameters=VAD_PARAMETERS,
            # Each window is decoded on its own: a learner's restarts and repetitions must not
            # be smoothed away by the previous window's text.
            condition_on_previous_text=False,
            # A reading's text as context: the words to expect, and their spelling. A primed
            # decoder tends to run on after the text into invented phrases, so it decodes at
            # temperature 0 only (a sampling fallback would invent more, several times over)
            # with a token budget per window that a reading of the text cannot exceed; what
            # it still invents has no speech under it and the pronunciation check drops it.
            initial_prompt=prompt or None,
            temperature=0.0 if prompt else DEFAULT_TEMPERATURES,
            max_new_tokens=_prompted_budget(prompt) if prompt else None,
        )
        segments: list[Segment] = []
        words: list[Word] = []
        for segment in segments_iter:  # decoding happens lazily, one window at a time
            segments.append(
                Segment(
                    id=len(segments),
                    text=segment.text.strip(),
                    start=round(float(segment.start), 3),
                    end=round(float(segment.end), 3),
                    avg_logprob=_finite(segment.avg_logprob),
                    no_speech_prob=_finite(segment.no_speech_prob),
                )
            )
            for word in segment.words or []:
                text = word.word.strip()
                if text:
                    words.append(
                        Word(
                            text=text,
                            start=round(float(word.start), 3),
                            end=round(float(word.end), 3),
                            probability=round(float(word.probability), 4),
                        )
                    )
            if report and decoded.duration > 0:
                report("transcribing", min(99, int(100 * segment.end / decoded.duration)))
        if not words and prompt:
            # Primed with exactly what was said, Whisper sometimes takes the text as already
            # transcribed and writes nothing: the free decode is the transcript then.
            return self.transcribe(audio, language, report=report)
        if not words:
            raise PipelineError("no_speech_detected", "No speech was found in the recording.")
        words = tighten_words(words, decoded.samples, decoded.sample_rate)
        if report:
            report("transcribing", 100)
        return Transcript(
            text=" ".join(s.text for s in segments if s.text).strip(),
            language=info.language,
            language_probability=round(float(info.language_probability), 4),
            duration=round(decoded.duration, 3),
            segments=segments,
            words=words,
            provider=self.name,
            model=self.model,
        )


def _prompted_budget(prompt: str) -> int:
    """Tokens one window may decode when primed with `prompt` (Whisper's limit is 448 with
    the prompt; faster-whisper keeps at most 223 prompt tokens)."""
    return min(200, 2 * len(prompt.split()) + 20)


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), 4)
