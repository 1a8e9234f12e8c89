"""The speech synthesis interface: voices, and text spoken as 16-bit mono PCM in chunks.

Every engine yields PCM (signed 16-bit little-endian, one channel) at its voice's sample
rate, sentence by sentence where it can, so the API can stream the first sentence while the
rest is still being made; `wav_bytes` and `wav_header` wrap it as RIFF/WAVE.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from pipelines.errors import PipelineError

MIN_SPEED = 0.5
MAX_SPEED = 2.0
# A RIFF size for a stream whose length is not known yet (players read to the end).
_UNKNOWN_SIZE = 0xFFFFFFFF
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+")


@dataclass(frozen=True)
class Voice:
    id: str  # "<engine>:<name>", unique across engines
    engine: str
    name: str
    language: str  # BCP 47-ish: "en", "en-US", "es"
    sample_rate: int
    gender: str | None = None
    offline: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SpokenAudio:
    """A synthesis in progress: the sample rate is known before the first chunk."""

    voice: Voice
    sample_rate: int
    chunks: Iterator[bytes]


class Engine(Protocol):
    name: str

    def voices(self) -> list[Voice]:
        """The voices this engine can speak with."""

    def speak(self, text: str, voice: Voice, speed: float) -> SpokenAudio:
        """Start speaking; the chunks come as they are made."""


def check_speed(speed: float) -> float:
    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise PipelineError(
            "speed_out_of_range", f"Speed must be between {MIN_SPEED} and {MAX_SPEED}; got {speed}."
        )
    return speed


def sentences(text: str) -> list[str]:
    """Split on sentence ends so a long text is spoken (and streamed) a sentence at a time."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def wav_header(sample_rate: int, data_bytes: int | None = None) -> bytes:
    """A 44-byte PCM WAVE header; without a length, the sizes say "unknown" for streaming."""
    data_size = _UNKNOWN_SIZE if data_bytes is None else data_bytes
    riff_size = _UNKNOWN_SIZE if data_bytes is None else 36 + data_bytes
    return (
        b"RIFF"
        + struct.pack("<I", riff_size)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, sample_rate, sample_rate * 2, 2, 16)
        + b"data"
        + struct.pack("<I", data_size)
    )


def wav_bytes(audio: SpokenAudio) -> tuple[bytes, float]:
    """The whole synthesis as one WAV file, and its duration in seconds."""
    pcm = b"".join(audio.chunks)
    return wav_header(audio.sample_rate, len(pcm)) + pcm, len(pcm) / 2 / audio.sample_rate
