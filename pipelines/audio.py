"""Audio decoding: any container PyAV (FFmpeg) reads, to 16 kHz mono float32 samples.

This follows `faster_whisper.decode_audio` (resample to s16 mono, then scale to float32) and
adds the checks a job needs: a clear `audio_undecodable` error instead of FFmpeg's, a cheap
duration probe that rejects long recordings before decoding them, and a decode-time guard for
containers whose header does not state a duration (raw streams, some WebM files).
"""

from __future__ import annotations

import gc
import io
import os
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import av
import numpy as np

from pipelines.errors import PipelineError

SAMPLE_RATE = 16_000
DEFAULT_MAX_SECONDS = 300

AudioSource = str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryIO

# FFmpeg's short container names, mapped to the file extension other services expect.
_EXTENSIONS = {
    "wav": "wav",
    "mp3": "mp3",
    "ogg": "ogg",
    "flac": "flac",
    "aac": "aac",
    "matroska,webm": "webm",
    "mov,mp4,m4a,3gp,3g2,mj2": "m4a",
}


@dataclass(frozen=True)
class DecodedAudio:
    """Mono float32 samples in [-1, 1] at `sample_rate`, plus what the container said."""

    samples: np.ndarray
    sample_rate: int
    duration: float
    container: str
    codec: str

    @property
    def extension(self) -> str:
        """A file extension for the source container ("wav", "mp3", "m4a", ...)."""
        return _EXTENSIONS.get(self.container, self.container.split(",")[0])


def _open(source: AudioSource) -> av.container.InputContainer:
    if isinstance(source, bytes | bytearray | memoryview):
        source = io.BytesIO(bytes(source))
    elif hasattr(source, "seek"):
        source.seek(0)
    try:
        return av.open(source, mode="r", metadata_errors="ignore")
    except (av.FFmpegError, ValueError, EOFError) as exc:
        raise PipelineError("audio_undecodable", f"The file is not readable audio: {exc}") from exc


def _stream_duration(container: av.container.InputContainer) -> float | None:
    stream = container.streams.audio[0]
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def probe_duration(source: AudioSource) -> float | None:
    """The duration in seconds stated by the container, or None when it does not say."""
    with _open(source) as container:
        if not container.streams.audio:
            raise PipelineError("audio_undecodable", "The file has no audio stream.")
        return _stream_duration(container)


def _too_long(seconds: float, max_seconds: float) -> PipelineError:
    return PipelineError(
        "audio_too_long",
        f"The recording lasts {seconds:.1f} s; the maximum is {max_seconds:g} s.",
        details={"duration": round(seconds, 3), "max_seconds": max_seconds},
    )


def _frames(container: av.container.InputContainer) -> Iterator[av.AudioFrame]:
    """Decoded frames, skipping damaged packets as faster-whisper does."""
    frames = container.decode(audio=0)
    while True:
        try:
            frame = next(frames)
        except StopIteration:
            return
        except av.InvalidDataError:
            continue
        frame.pts = None  # resampling ignores timestamps; some muxers write bad ones
        yield frame


def decode_audio(
    source: AudioSource,
    *,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    sample_rate: int = SAMPLE_RATE,
) -> DecodedAudio:
    """Decode `source` (path, bytes or binary file) to mono float32 at `sample_rate`.

    Raises PipelineError `audio_undecodable` when FFmpeg cannot read it or it holds no audio
    samples, and `audio_too_long` when it lasts more than `max_seconds`.
    """
    with _open(source) as container:
        if not container.streams.audio:
            raise PipelineError("audio_undecodable", "The file has no audio stream.")
        stated = _stream_duration(container)
        if stated is not None and stated > max_seconds + 0.5:
            raise _too_long(stated, max_seconds)
        stream = container.streams.audio[0]
        codec = stream.codec_context.name if stream.codec_context else "unknown"
        resampler = av.AudioResampler(format="s16", layout="mono", rate=sample_rate)
        limit = int((max_seconds + 0.5) * sample_rate)
        chunks: list[np.ndarray] = []
        total = 0
        try:
            for frame in _frames(container):
                for out in resampler.resample(frame):
                    chunk = out.to_ndarray().reshape(-1)
                    chunks.append(chunk)
                    total += chunk.size
                if total > limit:
                    raise _too_long(total / sample_rate, max_seconds)
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
        except (av.FFmpegError, ValueError) as exc:
            raise PipelineError(
                "audio_undecodable", f"The audio could not be decoded: {exc}"
            ) from exc
        container_name = container.format.name
    # PyAV's resampler keeps native buffers alive until collected (faster-whisper#390).
    del resampler
    gc.collect()
    if not chunks or sum(c.size for c in chunks) == 0:
        raise PipelineError("audio_undecodable", "The file contains no audio samples.")
    samples = np.concatenate(chunks).astype(np.float32) / 32768.0
    return DecodedAudio(
        samples=samples,
        sample_rate=sample_rate,
        duration=samples.size / sample_rate,
        container=container_name,
        codec=codec,
    )


def read_bytes(source: AudioSource) -> bytes:
    """The raw bytes of `source`, for providers that upload the original file."""
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    if hasattr(source, "read"):
        source.seek(0)
        return source.read()
    with open(source, "rb") as handle:
        return handle.read()


def to_wav_bytes(audio: DecodedAudio) -> bytes:
    """16-bit PCM WAV of decoded samples: a format every transcription service accepts."""
    pcm = np.clip(audio.samples * 32768.0, -32768, 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(audio.sample_rate)
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()
