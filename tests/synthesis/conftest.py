"""Helpers for synthesis tests: reading the WAV audio the API answers or stores."""

from __future__ import annotations

import io
import struct
import wave

from flask.testing import FlaskClient

from tests.factories import Account


def wav_info(data: bytes) -> tuple[int, float]:
    """(sample rate, seconds) of a complete 16-bit mono WAV file."""
    with wave.open(io.BytesIO(data)) as audio:
        assert (audio.getnchannels(), audio.getsampwidth()) == (1, 2)
        return audio.getframerate(), audio.getnframes() / audio.getframerate()


def streamed_info(data: bytes) -> tuple[int, float, int]:
    """(sample rate, seconds, peak sample) of a streamed WAV whose sizes say "unknown"."""
    assert data[:4] == b"RIFF" and data[8:16] == b"WAVEfmt " and data[36:40] == b"data"
    channels, rate = struct.unpack("<HI", data[22:28])
    assert channels == 1
    pcm = data[44:]
    samples = struct.unpack(f"<{len(pcm) // 2}h", pcm[: len(pcm) // 2 * 2])
    return rate, len(samples) / rate, max(abs(s) for s in samples)


def media_bytes(client: FlaskClient, account: Account, media_id: str) -> bytes:
    answer = client.get(f"/api/v1/media/{media_id}/content", headers=account.headers)
    assert answer.status_code == 200, answer.status_code
    return answer.get_data()
