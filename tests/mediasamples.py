"""Real media files for tests, encoded by FFmpeg through PyAV (not hand-made headers)."""

from __future__ import annotations

import io
import os
import tempfile
import wave
from fractions import Fraction
from functools import cache
from pathlib import Path

import av
import numpy as np


def _encode_audio(fmt: str, codec: str, rate: int, options: dict[str, str] | None = None) -> bytes:
    # Some muxers (mp4 faststart) rewrite the file when closing, so write to a real file.
    handle, path = tempfile.mkstemp()
    os.close(handle)
    try:
        with av.open(path, "w", format=fmt, options=options or {}) as out:
            stream = out.add_stream(codec, rate=rate)
            stream.layout = "mono"
            formats = stream.codec_context.codec.audio_formats
            seconds = np.arange(rate) / rate
            tone = (0.3 * np.sin(2 * np.pi * 440 * seconds)).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(tone.reshape(1, -1), format="flt", layout="mono")
            frame.sample_rate = rate
            resampler = av.AudioResampler(
                format=formats[0].name if formats else "s16", layout="mono", rate=rate
            )
            for piece in resampler.resample(frame):
                out.mux(stream.encode(piece))
            out.mux(stream.encode(None))
        return Path(path).read_bytes()
    finally:
        os.unlink(path)


def _encode_video(fmt: str, codec: str) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for shade in range(5):
            picture = np.full((48, 64, 3), shade * 40, dtype=np.uint8)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
        out.mux(stream.encode(None))
    return buffer.getvalue()


def _encode_still(codec: str, pix_fmt: str, fmt: str | None = None) -> bytes:
    picture = np.zeros((16, 16, 3), dtype=np.uint8)
    picture[:, :8] = 255
    frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
    if fmt is not None:
        buffer = io.BytesIO()
        with av.open(buffer, "w", format=fmt) as out:
            stream = out.add_stream(codec, rate=1)
            stream.width, stream.height, stream.pix_fmt = 16, 16, pix_fmt
            out.mux(stream.encode(frame))
            out.mux(stream.encode(None))
        return buffer.getvalue()
    context = av.CodecContext.create(codec, "w")
    context.width, context.height, context.pix_fmt = 16, 16, pix_fmt
    context.time_base = Fraction(1, 1)
    return b"".join(bytes(packet) for packet in context.encode(frame) + context.encode(None))


MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 10 10]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@cache
def all_samples() -> dict[str, bytes]:
    """One real file per format the platform accepts."""
    return {
        "wav": _encode_audio("wav", "pcm_s16le", 16000),
        "mp3": _encode_audio("mp3", "libmp3lame", 44100),
        "mp3_bare": _encode_audio(
            "mp3", "libmp3lame", 44100, {"id3v2_version": "0", "write_xing": "0"}
        ),
        "opus": _encode_audio("ogg", "libopus", 48000),
        "flac": _encode_audio("flac", "flac", 16000),
        "m4a": _encode_audio("ipod", "aac", 44100),
        "mp4_audio": _encode_audio("mp4", "aac", 44100, {"movflags": "faststart"}),
        "aac": _encode_audio("adts", "aac", 44100),
        "webm_audio": _encode_audio("webm", "libopus", 48000),
        "webm": _encode_video("webm", "libvpx"),
        "mkv": _encode_video("matroska", "mpeg4"),
        "mp4": _encode_video("mp4", "mpeg4"),
        "png": _encode_still("png", "rgb24"),
        "jpeg": _encode_still("mjpeg", "yuvj420p"),
        "gif": _encode_still("gif", "rgb8", fmt="gif"),
        "webp": _encode_still("libwebp", "yuv420p", fmt="webp"),
        "pdf": MINIMAL_PDF,
    }


def wav_of_seconds(seconds: float, rate: int = 16000) -> bytes:
    """A mono 16-bit WAV of a quiet tone, as long as asked (written by the wave module)."""
    count = int(seconds * rate)
    tone = (2000 * np.sin(2 * np.pi * 220 * np.arange(count) / rate)).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(tone.tobytes())
    return buffer.getvalue()
