"""The Whisper encoder states the pronunciation clip scores read, from the real bundled model."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.audio import decode_audio
from pipelines.pronunciation.encoder import (
    STATE_SECONDS,
    EncoderStates,
    encode,
    pooled_states,
    whisper_model,
)
from pipelines.pronunciation.synthetic import synthesise

SENTENCE = "Always waiting for the next season."


@pytest.fixture(scope="module")
def reading(tmp_path_factory):
    audio = decode_audio(synthesise(SENTENCE, tmp_path_factory.mktemp("enc") / "r.wav"))
    return audio.samples


def test_the_encoder_is_the_model_the_transcriber_already_loaded(whisper):
    # Given a local transcriber on the bundled model, loaded in this process
    # When the pronunciation step asks for the encoder's model
    model = whisper_model()

    # Then it is the very same object: no second copy of the model in memory
    assert model is whisper._whisper


@pytest.mark.timeout(300)
def test_a_recording_gets_one_state_per_20_ms_the_same_every_time(whisper, reading):
    # Given a short reading
    duration = reading.size / 16000

    # When it is encoded twice
    first, second = encode(reading), encode(reading)

    # Then there is one 512-value state per 20 ms of audio, finite, and the same both times
    assert first.states.shape[1] == 512
    assert abs(first.states.shape[0] - duration / STATE_SECONDS) <= 1
    assert np.isfinite(first.states).all()
    assert np.array_equal(first.states, second.states)
    # ... and pooled, each value's mean then its spread over the recording
    pooled = pooled_states(reading)
    assert pooled.shape == (1024,)
    assert np.allclose(pooled[:512], first.states.mean(axis=0), atol=1e-5)
    assert np.allclose(pooled[512:], first.states.std(axis=0), atol=1e-5)


@pytest.mark.timeout(600)
def test_a_recording_over_30_seconds_is_encoded_window_by_window(whisper, reading):
    # Given a recording of 36 s: the reading repeated with pauses
    pause = np.zeros(8000, dtype=np.float32)
    one = np.concatenate([reading, pause])
    recording = np.tile(one, int(np.ceil(36 * 16000 / one.size)))[: 36 * 16000]

    # When it is encoded
    states = encode(recording)

    # Then the states cover all 36 s, and the first 30 s are those of the first window alone
    assert states.states.shape[0] == 36 / STATE_SECONDS
    alone = encode(recording[: 30 * 16000])
    assert np.array_equal(states.states[:1500], alone.states)


def test_a_word_span_takes_the_states_inside_it():
    # Given states numbered by their frame
    states = EncoderStates(np.arange(100, dtype=np.float32)[:, None].repeat(2, axis=1))

    # When a word from 0.10 s to 0.20 s is pooled, and one too short to hold a whole state
    # Then the first averages frames 5 to 9, the second takes the nearest state
    assert states.mean(0.10, 0.20).tolist() == [7.0, 7.0]
    assert states.span(0.50, 0.50).tolist() == [[25.0, 25.0]]


def test_audio_at_another_sample_rate_is_refused():
    with pytest.raises(ValueError, match="16 kHz"):
        encode(np.zeros(8000, dtype=np.float32), 8000, model=object())
