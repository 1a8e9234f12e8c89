"""Speech synthesis through the API: voices, jobs whose audio is stored, and live streams,
with the real Piper and espeak-ng engines in a real worker."""

from __future__ import annotations

from tests.speech.conftest import wait_for_job
from tests.synthesis.conftest import media_bytes, streamed_info, wav_info

SENTENCES = "Good morning. Would you like a cup of tea? It is very hot today."


def test_voices_list_piper_and_espeak_by_language(client, accounts):
    # Given a learner of an organisation
    admin = accounts.admin()

    # When the voices are listed, all and for Spanish
    every = client.get("/api/v1/speech/voices", headers=admin.headers).get_json()["items"]
    spanish = client.get("/api/v1/speech/voices?language=es", headers=admin.headers).get_json()[
        "items"
    ]

    # Then Piper's English voice is there with espeak-ng's many languages
    ids = {v["id"] for v in every}
    assert "piper:en_US-joe-medium" in ids and "espeak:es" in ids and len(ids) > 50
    # And the Spanish list holds Spanish voices only
    assert spanish and all(v["language"].split("-")[0] == "es" for v in spanish)
    assert all(v["offline"] for v in every)


def test_a_synthesis_job_stores_the_spoken_audio_and_speed_changes_its_length(
    client, accounts, worker
):
    # Given a learner
    admin = accounts.admin()

    # When the same English text is synthesised at normal and at a slower speed
    jobs = []
    for speed in (1.0, 0.6):
        answer = client.post(
            "/api/v1/speech/synthesize",
            headers=admin.headers,
            json={"text": SENTENCES, "language": "en", "speed": speed},
        )
        assert answer.status_code == 202, answer.get_json()
        jobs.append(wait_for_job(client, answer.headers["Location"], admin.headers))

    # Then each job stored a WAV, spoken by Piper, as media the learner can fetch
    normal, slow = (job["result"] for job in jobs)
    assert [job["status"] for job in jobs] == ["succeeded", "succeeded"], jobs[0]["error"]
    assert normal["voice"] == "piper:en_US-joe-medium" and jobs[0]["provider"] == "piper"
    rate, seconds = wav_info(media_bytes(client, admin, normal["media_id"]))
    assert rate == 22050 and abs(seconds - normal["duration"]) < 0.01
    # And a sentence of speech lasts seconds, not milliseconds
    assert 2.0 < seconds < 15.0 and normal["characters"] == len(SENTENCES)
    # And the slower speed gave longer audio
    assert slow["duration"] > normal["duration"] * 1.3
    media = client.get(f"/api/v1/media/{normal['media_id']}", headers=admin.headers).get_json()
    assert (media["kind"], media["source"], media["content_type"]) == (
        "audio",
        "synthesis",
        "audio/wav",
    )


def test_espeak_speaks_a_language_piper_has_no_voice_for(client, accounts, worker):
    # Given a learner of Spanish
    admin = accounts.admin()

    # When a Spanish text is synthesised without naming a voice
    answer = client.post(
        "/api/v1/speech/synthesize",
        headers=admin.headers,
        json={"text": "Buenos días. ¿Qué quieres comer?", "language": "es"},
    )
    job = wait_for_job(client, answer.headers["Location"], admin.headers)

    # Then espeak-ng's Spanish voice spoke it
    assert job["status"] == "succeeded", job["error"]
    assert job["result"]["voice"] == "espeak:es"
    assert wav_info(media_bytes(client, admin, job["result"]["media_id"]))[1] > 1.0


def test_the_stream_answers_a_wav_header_then_the_sentences(client, accounts):
    # Given a learner
    admin = accounts.admin()

    # When a text is streamed
    answer = client.post(
        "/api/v1/speech/synthesize/stream",
        headers=admin.headers,
        json={"text": SENTENCES, "voice": "piper:en_US-joe-medium"},
        buffered=False,
    )
    chunks = list(answer.response)

    # Then the answer is a WAV stream, in more than one piece (a sentence at a time)
    assert answer.status_code == 200 and answer.mimetype == "audio/wav"
    assert answer.headers["X-Voice"] == "piper:en_US-joe-medium"
    assert len(chunks) >= 3
    rate, seconds, peak = streamed_info(b"".join(chunks))
    # And it holds seconds of audible speech
    assert rate == 22050 and seconds > 2.0 and peak > 3000


def test_bad_synthesis_requests_are_refused_with_codes(client, accounts, settings):
    # Given a learner
    admin = accounts.admin()
    too_long = "word " * (settings.max_synthesis_chars // 5 + 10)

    # When the text is too long, the voice unknown, the language unspoken, or the speed absurd
    cases = {
        "text_too_long": {"text": too_long},
        "voice_not_found": {"text": "Hello.", "voice": "piper:nobody"},
        "voice_language_mismatch": {
            "text": "Hola.",
            "voice": "piper:en_US-joe-medium",
            "language": "es",
        },
        "language_not_spoken": {"text": "Hello.", "language": "xx"},
        "text_empty": {"text": "   "},
    }
    for code, body in cases.items():
        for path in ("/speech/synthesize", "/speech/synthesize/stream"):
            answer = client.post(f"/api/v1{path}", headers=admin.headers, json=body)
            # Then each is a 422 problem with its own code, and no job was created
            assert answer.status_code == 422, (path, answer.get_json())
            assert answer.get_json()["code"] == code, (path, answer.get_json())
    speed = client.post(
        "/api/v1/speech/synthesize", headers=admin.headers, json={"text": "Hello.", "speed": 5}
    )
    assert speed.status_code == 422 and speed.get_json()["code"] == "validation_error"
    jobs = client.get("/api/v1/jobs", headers=admin.headers).get_json()
    assert jobs["pagination"]["total_items"] == 0
    # And the text's length and the limit are stated
    long = client.post(
        "/api/v1/speech/synthesize", headers=admin.headers, json=cases["text_too_long"]
    )
    assert long.get_json()["max_characters"] == settings.max_synthesis_chars
