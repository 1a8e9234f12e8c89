"""Decoding recordings of any common container to 16 kHz mono float32."""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
import pytest

from pipelines import audio
from pipelines.audio import SAMPLE_RATE, decode_audio, probe_duration, to_wav_bytes
from pipelines.errors import PipelineError


@pytest.mark.parametrize(
    ("name", "container"),
    [("en_market.wav", "wav"), ("en_market.mp3", "mp3"), ("en_market.ogg", "ogg")],
)
def test_each_container_decodes_to_the_same_16k_mono_signal(audio_dir: Path, name, container):
    # Given the same clip stored as WAV, MP3 and Ogg/Opus
    reference = decode_audio(audio_dir / "en_market.wav")

    # When it is decoded
    decoded = decode_audio(audio_dir / name)

    # Then it is mono float32 at 16 kHz, as long as the WAV within codec padding, and audible
    assert decoded.container == container
    assert decoded.sample_rate == SAMPLE_RATE
    assert decoded.samples.dtype == np.float32 and decoded.samples.ndim == 1
    assert abs(decoded.duration - reference.duration) < 0.1
    assert 0.3 < float(np.abs(decoded.samples).max()) <= 1.0


@pytest.mark.parametrize("codec", ["flac", "aac"])
def test_flac_and_m4a_encoded_on_the_fly_decode(tmp_path: Path, audio_dir: Path, codec: str):
    # Given the WAV clip re-encoded by PyAV as FLAC or AAC in an M4A container
    source = decode_audio(audio_dir / "en_nurse.wav")
    suffix = {"flac": "flac", "aac": "m4a"}[codec]
    target = tmp_path / f"clip.{suffix}"
    _encode(source.samples, target, codec)

    # When it is decoded from bytes
    decoded = decode_audio(target.read_bytes())

    # Then the duration matches the original and the extension is the one services expect
    assert abs(decoded.duration - source.duration) < 0.1
    assert decoded.extension == suffix


def test_file_objects_and_bytes_decode_like_paths(audio_dir: Path):
    # Given one clip as a path, as bytes and as an open file positioned at its end
    path = audio_dir / "en_nurse.wav"
    handle = io.BytesIO(path.read_bytes())
    handle.seek(0, io.SEEK_END)

    # When each is decoded
    results = [decode_audio(path), decode_audio(path.read_bytes()), decode_audio(handle)]

    # Then all give identical samples
    assert all(np.array_equal(results[0].samples, r.samples) for r in results[1:])


def test_probe_reads_the_duration_without_decoding(audio_dir: Path):
    # Given a clip whose decoded length is known
    decoded = decode_audio(audio_dir / "en_long_pause.wav")

    # When its container is probed
    seconds = probe_duration(audio_dir / "en_long_pause.wav")

    # Then the stated duration matches
    assert seconds == pytest.approx(decoded.duration, abs=0.05)


@pytest.mark.parametrize(
    "payload",
    [b"", b"not audio at all, just a sentence of text", b"RIFF\x00\x00\x00\x00WAVEfmt "],
    ids=["empty", "text", "truncated-wav-header"],
)
def test_unreadable_bytes_fail_as_audio_undecodable(payload: bytes):
    # Given bytes that are not a recording
    # When they are decoded
    with pytest.raises(PipelineError) as raised:
        decode_audio(payload)

    # Then the error has the stable code and is not retryable
    assert raised.value.code == "audio_undecodable"
    assert raised.value.retryable is False


def test_corrupt_fixture_fails_as_audio_undecodable(audio_dir: Path):
    # Given the random-bytes fixture
    # When it is decoded, Then it is refused with audio_undecodable
    with pytest.raises(PipelineError) as raised:
        decode_audio(audio_dir / "corrupt.bin")
    assert raised.value.code == "audio_undecodable"


def test_recordings_over_the_limit_fail_as_audio_too_long(audio_dir: Path):
    # Given a 5.9 s clip and a 3 s limit
    # When it is decoded
    with pytest.raises(PipelineError) as raised:
        decode_audio(audio_dir / "en_market.wav", max_seconds=3)

    # Then it is refused with audio_too_long and the measured duration
    assert raised.value.code == "audio_too_long"
    assert raised.value.details["duration"] > 5


def test_streams_without_a_stated_duration_are_cut_off_while_decoding(
    audio_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    # Given a container that states no duration (as live WebM and raw streams do)
    monkeypatch.setattr(audio, "_stream_duration", lambda container: None)
    assert probe_duration(audio_dir / "en_market.wav") is None

    # When a 5.9 s clip is decoded with a 2 s limit
    with pytest.raises(PipelineError) as raised:
        decode_audio(audio_dir / "en_market.wav", max_seconds=2)

    # Then the decoder stops it as too long, having counted the samples itself
    assert raised.value.code == "audio_too_long"


def test_wav_export_round_trips(audio_dir: Path):
    # Given a decoded clip
    decoded = decode_audio(audio_dir / "en_market.mp3")

    # When it is written as WAV and decoded again
    again = decode_audio(to_wav_bytes(decoded))

    # Then the samples survive to 16-bit precision
    assert again.samples.size == decoded.samples.size
    assert float(np.abs(again.samples - decoded.samples).max()) < 1e-3


def _encode(samples: np.ndarray, target, codec: str, container_format: str | None = None) -> None:
    pcm = (samples * 32767).astype(np.int16).reshape(1, -1)
    with av.open(target, "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=SAMPLE_RATE, layout="mono")
        resampler = av.AudioResampler(format=stream.format.name, layout="mono", rate=SAMPLE_RATE)
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        for converted in resampler.resample(frame) + resampler.resample(None):
            for packet in stream.encode(converted):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
