"""The local provider: faster-whisper on the bundled Whisper base model, on espeak-ng clips."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.errors import PipelineError
from pipelines.transcription import Transcript, TranscriptionConfig
from pipelines.transcription.alignment import word_error_rate
from pipelines.transcription.local import LocalTranscriber

SENTENCES = [
    "en_market.wav",
    "en_nurse.wav",
    "en_patience.wav",
    "en_reading.wav",
    "en_long_pause.wav",
    "en_fluent.wav",
]


@pytest.mark.parametrize("name", SENTENCES)
def test_english_sentences_are_transcribed_with_low_word_error_rate(
    transcribed, manifest, name: str
):
    # Given a clip of a known English sentence
    expected = manifest[name]["text"]

    # When it is transcribed with the language given (once per session, see conftest)
    transcript = transcribed(name)

    # Then the words match with a WER below 0.2, and the words carry times and probabilities
    assert word_error_rate(expected, transcript.text) < 0.2, transcript.text
    assert transcript.language == "en" and transcript.provider == "local"
    _assert_well_formed(transcript)


@pytest.mark.parametrize("name", ["en_market.mp3", "en_market.ogg"])
def test_compressed_variants_transcribe_and_detect_the_language(
    whisper: LocalTranscriber, audio_dir: Path, manifest, name: str
):
    # Given the market sentence as MP3 and as Ogg/Opus, and no language given
    # When it is transcribed
    transcript = whisper.transcribe((audio_dir / name).read_bytes())

    # Then English is detected with its probability and the WER stays below 0.2
    assert transcript.language == "en"
    assert 0.5 < transcript.language_probability <= 1.0
    assert word_error_rate(manifest[name]["text"], transcript.text) < 0.2, transcript.text
    _assert_well_formed(transcript)


def test_silence_gives_no_speech_detected(whisper: LocalTranscriber, audio_dir: Path):
    # Given three seconds of a quiet room
    # When it is transcribed
    with pytest.raises(PipelineError) as raised:
        whisper.transcribe(audio_dir / "silence.wav")

    # Then the outcome is the defined no_speech_detected, not an empty transcript
    assert raised.value.code == "no_speech_detected"
    assert raised.value.retryable is False


def test_corrupt_bytes_fail_before_the_model_runs(whisper: LocalTranscriber, audio_dir: Path):
    # Given random bytes
    # When they are transcribed, Then audio_undecodable is raised
    with pytest.raises(PipelineError) as raised:
        whisper.transcribe((audio_dir / "corrupt.bin").read_bytes())
    assert raised.value.code == "audio_undecodable"


def test_long_recordings_are_refused(whisper: LocalTranscriber, audio_dir: Path, model_cache):
    # Given a transcriber limited to 3 seconds, sharing the loaded model
    short = LocalTranscriber(TranscriptionConfig(cache_dir=model_cache, max_audio_seconds=3))
    assert short._whisper is whisper._whisper

    # When a 6 s clip is transcribed, Then audio_too_long is raised
    with pytest.raises(PipelineError) as raised:
        short.transcribe(audio_dir / "en_long_pause.wav")
    assert raised.value.code == "audio_too_long"


def test_unknown_language_codes_are_refused(whisper: LocalTranscriber, audio_dir: Path):
    # Given a language code Whisper does not know
    # When a clip is transcribed with it, Then unsupported_language is raised
    with pytest.raises(PipelineError) as raised:
        whisper.transcribe(audio_dir / "en_nurse.wav", language="xx")
    assert raised.value.code == "unsupported_language"


def test_progress_is_reported_up_to_completion(whisper: LocalTranscriber, audio_dir: Path):
    # Given a progress callback
    calls: list[tuple[str, int]] = []

    # When a clip is transcribed
    whisper.transcribe(
        audio_dir / "en_long_pause.wav", "en", report=lambda s, p: calls.append((s, p))
    )

    # Then progress rises from 0 to 100 in the transcribing stage
    assert calls[0] == ("transcribing", 0) and calls[-1] == ("transcribing", 100)
    assert [p for _, p in calls] == sorted(p for _, p in calls)


def test_transcripts_round_trip_through_plain_dicts(transcribed):
    # Given a transcript
    transcript = transcribed("en_nurse.wav")

    # When it is stored as a dict (as a job result is) and read back
    again = Transcript.from_dict(transcript.to_dict())

    # Then nothing is lost
    assert again == transcript


def _assert_well_formed(transcript: Transcript) -> None:
    assert transcript.words and transcript.segments
    previous_end = 0.0
    for word in transcript.words:
        assert previous_end - 0.01 <= word.start <= word.end <= transcript.duration + 0.01
        assert 0.0 <= word.probability <= 1.0
        previous_end = word.end
