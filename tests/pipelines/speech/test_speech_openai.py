"""The OpenAI provider through the real `openai` client against a local transcription server."""

from __future__ import annotations

import io
from pathlib import Path

import av
import pytest

from pipelines.audio import decode_audio
from pipelines.errors import PipelineError, TransientError
from pipelines.fluency import measure_fluency
from pipelines.transcription import TranscriptionConfig, build_transcriber
from pipelines.transcription.languages import language_code, whisper_language
from pipelines.transcription.openai_api import OpenAITranscriber
from tests.pipelines.speech.fake_transcription import (
    FakeTranscriptionServer,
    Scripted,
    error,
    verbose_json,
)

LONG_PAUSE_WORDS = [
    ("I", 0.3, 0.44),
    ("went", 0.44, 0.66),
    ("to", 0.66, 0.9),
    ("the", 0.9, 1.02),
    ("station", 1.02, 1.52),
    ("early.", 1.52, 2.0),
    ("The", 4.46, 4.68),
    ("train", 4.68, 5.04),
    ("was", 5.04, 5.28),
    ("late", 5.28, 5.6),
    ("again.", 5.6, 6.04),
]


@pytest.fixture
def server():
    with FakeTranscriptionServer() as running:
        yield running


def _transcriber(server: FakeTranscriptionServer, **changes) -> OpenAITranscriber:
    config = TranscriptionConfig(
        provider="openai",
        openai_api_key="sk-test",
        openai_base_url=server.base_url,
        openai_model=changes.pop("model", "whisper-large-v3"),
        timeout=changes.pop("timeout", 10.0),
        **changes,
    )
    transcriber = build_transcriber(config)
    assert isinstance(transcriber, OpenAITranscriber)
    return transcriber


def test_verbose_json_with_words_becomes_a_transcript(server, audio_dir: Path):
    # Given a server that transcribes the long-pause clip with word timestamps
    server.push(verbose_json(LONG_PAUSE_WORDS, language="english"))

    # When the clip is transcribed through the real client
    transcript = _transcriber(server).transcribe(audio_dir / "en_long_pause.wav")

    # Then the request is the documented one: the file, model, verbose JSON, both granularities
    upload = server.uploads[0]
    assert upload.path == "/v1/audio/transcriptions"
    assert upload.authorization == "Bearer sk-test"
    assert upload.fields["model"] == ["whisper-large-v3"]
    assert upload.fields["response_format"] == ["verbose_json"]
    assert sorted(upload.fields["timestamp_granularities[]"]) == ["segment", "word"]
    assert "language" not in upload.fields
    assert upload.filename == "audio.wav"
    assert upload.file == (audio_dir / "en_long_pause.wav").read_bytes()
    # And the answer maps onto a Transcript: language code, words, segment confidence
    assert transcript.language == "en" and transcript.language_probability is None
    assert (transcript.provider, transcript.model) == ("openai", "whisper-large-v3")
    assert [w.text for w in transcript.words][:2] == ["I", "went"]
    assert len(transcript.words) == 11 and len(transcript.segments) == 2
    assert transcript.words[0].probability == pytest.approx(0.8869, abs=1e-4)  # exp(-0.12)
    # And the long pause is measurable from it, as with the local provider
    fluency = measure_fluency(transcript.words, transcript.language, transcript.duration)
    assert [(p.after_word, p.kind) for p in fluency.pauses] == [(5, "long")]


def test_a_given_language_is_sent_and_compressed_files_keep_their_format(server, audio_dir):
    # Given a server answering in Spanish-coded form
    server.push(verbose_json([("Hola", 0.3, 0.8)], language="es"))

    # When an Ogg clip is transcribed with language "es"
    transcript = _transcriber(server).transcribe((audio_dir / "en_market.ogg").read_bytes(), "es")

    # Then the language goes with the request and the Ogg file is uploaded as it is
    assert server.uploads[0].fields["language"] == ["es"]
    assert server.uploads[0].filename == "audio.ogg"
    assert transcript.language == "es" and transcript.language_probability == 1.0


def test_rate_limit_then_server_error_is_a_transient_failure(server, audio_dir: Path):
    # Given a server that answers 429 and then 503, and a client allowed one retry
    server.push(error(429, "Rate limit reached", {"retry-after": "0"}), error(503, "Overloaded"))

    # When a clip is transcribed
    with pytest.raises(TransientError) as raised:
        _transcriber(server, openai_max_retries=1).transcribe(audio_dir / "en_nurse.wav")

    # Then both attempts were made and the job engine gets a retryable error
    assert len(server.uploads) == 2
    assert raised.value.retryable is True
    assert raised.value.code == "transcription_unavailable"
    assert raised.value.details == {"status": 503}


def test_a_rate_limit_alone_is_transient(server, audio_dir: Path):
    # Given a server that answers 429, and no client retries
    server.push(error(429, "Rate limit reached"))

    # When a clip is transcribed, Then a TransientError with the status is raised
    with pytest.raises(TransientError) as raised:
        _transcriber(server).transcribe(audio_dir / "en_nurse.wav")
    assert raised.value.details == {"status": 429} and len(server.uploads) == 1


def test_a_client_error_is_permanent(server, audio_dir: Path):
    # Given a server that refuses the request
    server.push(error(400, "Invalid file format."))

    # When a clip is transcribed
    with pytest.raises(PipelineError) as raised:
        _transcriber(server).transcribe(audio_dir / "en_nurse.wav")

    # Then the error is permanent and names the status
    assert not isinstance(raised.value, TransientError)
    assert raised.value.code == "transcription_rejected" and raised.value.details["status"] == 400


def test_a_slow_server_times_out_as_transient(server, audio_dir: Path):
    # Given a server that takes longer than the client's timeout
    server.push(Scripted(200, verbose_json([("Hi", 0.1, 0.4)]).body, delay=2.0))

    # When a clip is transcribed, Then the timeout is a TransientError
    with pytest.raises(TransientError):
        _transcriber(server, timeout=0.5).transcribe(audio_dir / "en_nurse.wav")


def test_a_refused_connection_is_transient(audio_dir: Path):
    # Given nothing listening on the configured port
    with FakeTranscriptionServer() as stopped:
        url = stopped.base_url
    config = TranscriptionConfig(provider="openai", openai_base_url=url, timeout=2)

    # When a clip is transcribed, Then a TransientError is raised
    with pytest.raises(TransientError):
        build_transcriber(config).transcribe(audio_dir / "en_nurse.wav")


def test_an_empty_answer_is_no_speech(server, audio_dir: Path):
    # Given a server that hears nothing
    server.push(Scripted(200, {"text": "", "language": "english", "duration": 3.0, "words": []}))

    # When the silent clip is transcribed, Then no_speech_detected
    with pytest.raises(PipelineError) as raised:
        _transcriber(server).transcribe(audio_dir / "silence.wav")
    assert raised.value.code == "no_speech_detected"


def test_bad_audio_is_refused_before_any_request(server, audio_dir: Path):
    # Given corrupt bytes and a clip over the limit
    transcriber = _transcriber(server, max_audio_seconds=3)

    # When each is transcribed, Then each fails locally and the server is never called
    for source, code in [
        ((audio_dir / "corrupt.bin").read_bytes(), "audio_undecodable"),
        (audio_dir / "en_market.wav", "audio_too_long"),
    ]:
        with pytest.raises(PipelineError) as raised:
            transcriber.transcribe(source)
        assert raised.value.code == code
    assert server.uploads == []


def test_language_names_map_to_codes():
    # Given the names the API answers with, Then they map to ISO codes; codes pass through
    assert [language_code(n) for n in ("english", "Japanese", "es", "haitian creole", "")] == [
        "en",
        "ja",
        "es",
        "ht",
        "",
    ]


def test_requested_languages_are_normalised_or_refused():
    # Given language codes as clients send them
    # Then regional variants reduce to Whisper's code, empty means detect, unknown is refused
    assert [whisper_language(v) for v in ("en-GB", "pt_BR", "JA", None, " ")] == [
        "en",
        "pt",
        "ja",
        None,
        None,
    ]
    with pytest.raises(PipelineError) as raised:
        whisper_language("klingon")
    assert raised.value.code == "unsupported_language"


def test_formats_the_api_does_not_take_are_sent_as_wav(server, audio_dir: Path):
    # Given an ADTS AAC stream (not in the API's list of upload formats)
    samples = decode_audio(audio_dir / "en_nurse.wav").samples
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="adts") as container:
        stream = container.add_stream("aac", rate=16_000, layout="mono")
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = 16_000
        resampler = av.AudioResampler(format=stream.format.name, layout="mono", rate=16_000)
        for converted in resampler.resample(frame) + resampler.resample(None):
            for packet in stream.encode(converted):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    server.push(verbose_json([("My", 0.3, 0.5), ("sister", 0.5, 0.9)]))

    # When it is transcribed
    _transcriber(server).transcribe(buffer.getvalue())

    # Then a 16 kHz WAV of the decoded audio was uploaded instead
    upload = server.uploads[0]
    assert upload.filename == "audio.wav" and upload.file[:4] == b"RIFF"
    assert abs(decode_audio(upload.file).duration - decode_audio(buffer.getvalue()).duration) < 0.01
