"""Speaking assessments and transcriptions through the API and a real Dramatiq worker."""

from __future__ import annotations

import json

from sqlalchemy import select

from pipelines.speaking import CRITERIA, OFFLINE_MODEL
from pipelines.transcription.alignment import word_error_rate
from storage.db import db
from storage.models.jobs import Job
from storage.models.media import Media
from tests.mediasamples import all_samples
from tests.speech.conftest import AUDIO, poll_until, wait_for_job

MANIFEST = json.loads((AUDIO / "manifest.json").read_text())
LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2")


def test_a_scripted_reading_is_assessed_end_to_end(client, accounts, upload, worker):
    # Given a learner who uploaded a recording of a text read aloud
    learner = accounts.member(accounts.admin(), "learner")
    media = upload(learner, "en_reading.wav")
    text = MANIFEST["en_reading.wav"]["text"]

    # When a speaking assessment is asked with that text as reference
    answer = client.post(
        "/api/v1/assessments/speaking",
        headers=learner.headers,
        json={"media_id": media["id"], "language": "en", "reference_text": text},
    )

    # Then the job is accepted, and the worker runs it to success
    assert answer.status_code == 202, answer.get_json()
    assert answer.headers["Location"].endswith(answer.get_json()["id"])
    job = wait_for_job(client, answer.headers["Location"], learner.headers)
    assert job["status"] == "succeeded", job["error"]
    assert (job["stage"], job["progress"], job["error"]) == ("done", 100, None)
    # in two stages (transcription, then scoring), each run once
    assert (job["attempts"], job["runs"]) == (1, 2)
    assert (job["provider"], job["model"], job["prompt_version"]) == (
        "offline",
        OFFLINE_MODEL,
        None,
    )
    result = job["result"]
    # And the result holds the transcript and timed words...
    assert word_error_rate(text, result["transcript"]["text"]) < 0.2
    assert result["transcript"]["language"] == "en" and result["transcript"]["segments"]
    assert len(result["words"]) >= 12
    assert all(w["start"] <= w["end"] for w in result["words"])
    # ... fluency measures, the CEFR estimate, every sub-score with its feedback ...
    assert result["fluency"]["speech_rate_wpm"] > 100 and "pauses" in result["fluency"]
    assert result["cefr"]["level"] in LEVELS and 0 < result["cefr"]["confidence"] <= 1
    assert set(result["scores"]) == set(CRITERIA) == set(result["feedback"])
    assert "words/min" in result["feedback"]["fluency"]
    # ... the reading check, and which engines made it
    assert result["reading"]["completeness"] == 100.0
    assert result["transcription"] == {"provider": "local", "model": "whisper-base-ct2-1.0.0"}
    assert (result["provider"], result["model"]) == ("offline", OFFLINE_MODEL)


def test_the_job_moves_from_the_transcription_queue_to_the_scoring_queue(
    client, accounts, upload, queue_worker
):
    # Given a recording and a worker that consumes only the transcription queue
    admin = accounts.admin()
    media = upload(admin, "en_long_pause.wav")
    queue_worker("transcription")
    answer = client.post(
        "/api/v1/assessments/speaking",
        headers=admin.headers,
        json={"media_id": media["id"], "language": "en", "prompt_text": "Tell me about a journey."},
    )
    location = answer.headers["Location"]

    # When the transcription stage is done
    def read():
        return client.get(location, headers=admin.headers).get_json()

    waiting = poll_until(read, lambda j: j["stage"] == "scoring" or j["status"] == "failed")

    # Then the job waits on the scoring queue at 50% with the transcript handed over
    assert (waiting["status"], waiting["stage"], waiting["progress"]) == ("queued", "scoring", 50)
    row = db.session.scalars(select(Job).where(Job.id == waiting["id"])).one()
    assert (row.queue, row.actor) == ("scoring", "speaking_score")
    assert "early" in row.checkpoint["transcript"]["text"]
    db.session.rollback()

    # When a scoring worker starts
    queue_worker("scoring")
    job = wait_for_job(client, location, admin.headers)

    # Then the job finishes, the long pause in its fluency measures
    assert job["status"] == "succeeded", job["error"]
    assert job["result"]["fluency"]["long_pause_count"] == 1
    assert "journey" in json.dumps(job["input"])


def test_a_transcription_job_returns_the_transcript(client, accounts, upload, worker):
    # Given a partner's API key and an MP3 recording of its organisation
    admin = accounts.admin()
    key = accounts.api_key(admin, ["jobs:write", "jobs:read"])
    media = upload(admin, "en_market.mp3")

    # When a transcription is asked without a language
    answer = client.post("/api/v1/transcriptions", headers=key, json={"media_id": media["id"]})
    job = wait_for_job(client, answer.headers["Location"], key)

    # Then the transcript comes back with the detected language and timed words
    assert job["status"] == "succeeded", job["error"]
    assert job["type"] == "transcription" and job["provider"] == "local"
    result = job["result"]
    assert result["language"] == "en" and result["language_probability"] > 0.5
    assert word_error_rate(MANIFEST["en_market.mp3"]["text"], result["text"]) < 0.2
    assert [w["text"] for w in result["words"]][:2] == ["I", "usually"]


def test_a_reading_prompt_from_the_catalogue_supplies_language_and_text(
    client, accounts, upload, catalogue
):
    # Given a recording and the catalogue's English A1 reading task
    admin = accounts.admin()
    media = upload(admin, "en_nurse.wav")
    prompts = client.get(
        "/api/v1/speaking-prompts?language=en&level=A1&kind=reading", headers=admin.headers
    ).get_json()["items"]

    # When an assessment names the prompt only
    answer = client.post(
        "/api/v1/assessments/speaking",
        headers=admin.headers,
        json={"media_id": media["id"], "prompt_id": prompts[0]["id"]},
    )

    # Then the job input carries the prompt's language, instructions and reference text
    assert answer.status_code == 202, answer.get_json()
    given = answer.get_json()["input"]
    assert given["language"] == "en" and given["prompt_id"] == prompts[0]["id"]
    assert given["reference_text"] == prompts[0]["reference_text"]
    assert given["prompt_text"] == prompts[0]["instructions"]


def test_corrupt_audio_fails_the_job_with_audio_undecodable(client, accounts, upload, worker):
    # Given a recording whose stored bytes were damaged after the upload
    admin = accounts.admin()
    media = upload(admin, "en_nurse.wav")
    row = db.session.get(Media, media["id"])
    store = client.application.extensions["runtime"].object_store
    damaged = (AUDIO / "corrupt.bin").read_bytes()
    store.put(row.object_key, damaged, len(damaged), "audio/wav")
    db.session.rollback()

    # When it is assessed
    answer = client.post(
        "/api/v1/assessments/speaking",
        headers=admin.headers,
        json={"media_id": media["id"], "language": "en"},
    )
    job = wait_for_job(client, answer.headers["Location"], admin.headers)

    # Then the job fails at once, not retried, with the stable code
    assert job["status"] == "failed" and job["attempts"] == 1
    assert job["error"]["code"] == "audio_undecodable" and job["error"]["retryable"] is False


def test_silence_fails_the_job_with_no_speech_detected(client, accounts, upload, worker):
    # Given a recording of a quiet room
    learner = accounts.member(accounts.admin(), "learner")
    media = upload(learner, "silence.wav")

    # When it is assessed
    answer = client.post(
        "/api/v1/assessments/speaking",
        headers=learner.headers,
        json={"media_id": media["id"], "language": "en"},
    )
    job = wait_for_job(client, answer.headers["Location"], learner.headers)

    # Then the outcome is the defined no_speech_detected, without a score
    assert job["status"] == "failed" and job["result"] is None
    assert job["error"]["code"] == "no_speech_detected"


def test_submissions_are_checked_before_a_job_is_made(client, accounts, upload, catalogue):
    # Given a learner's recording, an image, and a recording of another organisation
    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    media = upload(learner, "en_nurse.wav")
    image = upload(admin, data=all_samples()["png"], filename="tiny.png", kind="image")
    stranger = upload(accounts.admin(), "en_nurse.wav")
    post = lambda body: client.post(  # noqa: E731
        "/api/v1/assessments/speaking",
        headers=learner.headers,
        json=body,
    )

    # When bad submissions are posted, Then each is refused with its code
    cases = [
        ({"media_id": stranger["id"]}, 404, "media_not_found"),
        ({"media_id": image["id"]}, 422, "media_not_audio"),
        ({"media_id": media["id"], "language": "xx"}, 422, "unsupported_language"),
        ({"media_id": media["id"], "prompt_id": "spp_en_a1_1", "prompt_text": "Talk."}, 422, None),
        ({"media_id": media["id"], "prompt_id": "spp_nope"}, 404, "speaking_prompt_not_found"),
        (
            {"media_id": media["id"], "prompt_id": "spp_ja_a1_1", "language": "en"},
            422,
            "prompt_language_mismatch",
        ),
        ({"media_id": media["id"], "reference_text": ""}, 422, None),
    ]
    for body, status, code in cases:
        answer = post(body)
        assert answer.status_code == status, (body, answer.get_json())
        if code:
            assert answer.get_json()["code"] == code
    # And no job was created
    assert db.session.scalars(select(Job)).all() == []


def test_recordings_over_the_configured_length_are_refused(client, accounts, upload, app_with):
    # Given an app limited to 3-second recordings and a 6-second recording
    admin = accounts.admin()
    media = upload(admin, "en_long_pause.wav")
    short = app_with(max_audio_seconds=3)

    # When it is submitted for transcription
    answer = short.test_client().post(
        "/api/v1/transcriptions", headers=admin.headers, json={"media_id": media["id"]}
    )

    # Then it is refused before any work with audio_too_long
    assert answer.status_code == 422 and answer.get_json()["code"] == "audio_too_long"
