"""The OpenAI speech API as a synthesis engine: a local server speaking its HTTP API, reached
by the real `openai` client in a real worker and in the streaming endpoint."""

from __future__ import annotations

from tests.speech.conftest import wait_for_job
from tests.synthesis.conftest import media_bytes, streamed_info, wav_info
from tests.synthesis.fake_speech import FakeSpeechServer, error, pcm


def test_openai_speech_is_stored_and_a_503_is_retried(accounts, settings, app_with, start_worker):
    # Given an app whose preferred engine is an OpenAI-compatible speech service, failing once
    admin = accounts.admin()
    with FakeSpeechServer() as speech:
        speech.push(error(503, "overloaded"), pcm(1.5))
        remote = app_with(
            media_dir=settings.media_dir,
            synthesis_engines=("openai", "piper"),
            openai_api_key="sk-test",
            openai_tts_base_url=speech.base_url,
            openai_tts_model="tts-test",
        )
        start_worker(remote)
        client = remote.test_client()

        # When a synthesis job runs at a learner's slower speed
        answer = client.post(
            "/api/v1/speech/synthesize",
            headers=admin.headers,
            json={"text": "Where is the station?", "speed": 0.8},
        )
        job = wait_for_job(client, answer.headers["Location"], admin.headers)
        sent = list(speech.requests)

        # Then the job succeeded on its second run with the service's voice
        assert job["status"] == "succeeded", job["error"]
        assert job["runs"] == 2 and job["result"]["voice"] == "openai:alloy"
        # And the request carried the text, model, speed and the raw PCM format
        assert sent[-1] == {
            "path": "/v1/audio/speech",
            "input": "Where is the station?",
            "model": "tts-test",
            "voice": "alloy",
            "speed": 0.8,
            "response_format": "pcm",
        }
        # And the stored audio is the service's PCM wrapped as a 24 kHz WAV
        rate, seconds = wav_info(media_bytes(client, admin, job["result"]["media_id"]))
        assert rate == 24000 and abs(seconds - 1.5) < 0.01


def test_the_stream_relays_the_service_and_maps_its_refusal(accounts, settings, app_with):
    # Given an app speaking through the service
    admin = accounts.admin()
    with FakeSpeechServer() as speech:
        speech.push(pcm(1.0), error(400, "bad voice"), error(503, "down"))
        remote = app_with(
            media_dir=settings.media_dir,
            synthesis_engines=("openai",),
            openai_api_key="sk-test",
            openai_tts_base_url=speech.base_url,
        )
        client = remote.test_client()

        # When the text is streamed three times
        answers = [
            client.post(
                "/api/v1/speech/synthesize/stream",
                headers=admin.headers,
                json={"text": "Hello there.", "voice": "openai:nova"},
            )
            for _ in range(3)
        ]

    # Then the first relays the service's audio as WAV
    ok, refused, down = answers
    assert ok.status_code == 200
    rate, seconds, _ = streamed_info(ok.get_data())
    assert rate == 24000 and abs(seconds - 1.0) < 0.01
    # And a refusal is a 422 with a code, an outage a 503 the client may retry
    assert (refused.status_code, refused.get_json()["code"]) == (422, "synthesis_rejected")
    assert (down.status_code, down.get_json()["code"]) == (503, "synthesis_unavailable")
