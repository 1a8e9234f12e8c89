"""Pronunciation through POST /assessments/speaking and a real worker: a reading task and a
free answer come back with word- and phoneme-level results; bad input is not scored."""

from __future__ import annotations

import io
import json
import wave

import pytest

from pipelines.audio import decode_audio
from tests.speech.conftest import AUDIO, wait_for_job

MANIFEST = json.loads((AUDIO / "manifest.json").read_text())
ERROR_TYPES = {None, "mispronunciation", "omission", "insertion", "repetition", "substitution"}


def _assess(client, account, media_id: str, **body) -> dict:
    answer = client.post(
        "/api/v1/assessments/speaking",
        headers=account.headers,
        json={"media_id": media_id, "language": "en", **body},
    )
    assert answer.status_code == 202, answer.get_json()
    # Two decodes and an alignment on a shared 2-core machine: allow well over the default.
    return wait_for_job(client, answer.headers["Location"], account.headers, seconds=900)


@pytest.mark.slow
@pytest.mark.timeout(1000)
def test_a_reading_task_comes_back_scored_per_word_and_phoneme(client, accounts, upload, worker):
    # Given a learner's recording of a text read aloud
    learner = accounts.member(accounts.admin(), "learner")
    media = upload(learner, "en_reading.wav")
    text = MANIFEST["en_reading.wav"]["text"]

    # When it is assessed with the text as reference
    job = _assess(client, learner, media["id"], reference_text=text)

    # Then the result has the pronunciation scores of the phone-level method
    assert job["status"] == "succeeded", job["error"]
    result = job["result"]
    pronunciation = result["pronunciation"]
    assert (pronunciation["method"], pronunciation["judged"]) == (
        "gop-pocketsphinx-whisper-v5",
        True,
    )
    for key in ("accuracy", "fluency", "completeness", "prosody", "overall"):
        assert 0 <= pronunciation[key] <= 100, key
    # ... every word of the text with its error type, times and phonemes
    words = pronunciation["words"]
    reference = [w for w in words if w["error_type"] not in ("insertion", "repetition")]
    assert len(reference) == len(text.split())
    assert {w["error_type"] for w in words} <= ERROR_TYPES
    assert all(
        w["phonemes"] and w["start"] <= w["end"] for w in reference if w["error_type"] != "omission"
    )
    assert set(reference[0]["phonemes"][0]) == {"phoneme", "score", "expected", "heard"}
    # ... the reading check from the same word decisions, and the sub-score it feeds
    assert result["reading"]["completeness"] >= 90
    assert result["scores"]["pronunciation"] == pronunciation["accuracy"]
    assert "gop-pocketsphinx-whisper-v5" in result["feedback"]["pronunciation"]
    assert pronunciation["prosody_measures"]["final_expected"] == "fall"


@pytest.mark.slow
@pytest.mark.timeout(1000)
def test_a_free_answer_is_scored_on_the_words_recognised(client, accounts, upload, worker):
    # Given a free answer to a task
    admin = accounts.admin()
    media = upload(admin, "en_fluent.wav")

    # When it is assessed
    job = _assess(client, admin, media["id"], prompt_text="Tell me about your evenings.")

    # Then the pronunciation covers the recognised words, with no completeness
    assert job["status"] == "succeeded", job["error"]
    pronunciation = job["result"]["pronunciation"]
    assert pronunciation["judged"] and pronunciation["completeness"] is None
    assert [w["word"] for w in pronunciation["words"]][:3] == ["i", "like", "to"]
    assert job["result"]["reading"] is None


def _wav(seconds: float) -> bytes:
    audio = decode_audio(AUDIO / "en_fluent.wav")
    samples = (audio.samples[int(0.3 * 16000) :][: int(seconds * 16000)] * 32767).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(samples.tobytes())
    return out.getvalue()


@pytest.mark.slow
@pytest.mark.timeout(1000)
def test_a_fifth_of_a_second_gets_no_confident_score(client, accounts, upload, worker):
    # Given a 0.2 s recording
    admin = accounts.admin()
    media = upload(admin, data=_wav(0.2), filename="short.wav")

    # When it is assessed as a reading
    job = _assess(client, admin, media["id"], reference_text="I like to walk.")

    # Then the job fails with a stable code, or its result says why it was not judged
    if job["status"] == "failed":
        assert job["error"]["code"] == "no_speech_detected"
    else:
        pronunciation = job["result"]["pronunciation"]
        assert (pronunciation["judged"], pronunciation["reason"]) == (False, "too_short")
        assert job["result"]["scores"]["pronunciation"] is None


@pytest.mark.slow
@pytest.mark.timeout(1000)
def test_a_reference_in_another_language_is_not_judged(client, accounts, upload, worker):
    # Given an English recording submitted as a reading of a Spanish text
    admin = accounts.admin()
    media = upload(admin, "en_fluent.wav")

    # When it is assessed
    job = _assess(
        client,
        admin,
        media["id"],
        reference_text="Me gusta caminar por el parque con mi perro cada tarde.",
    )

    # Then the job succeeds with a result that says the reading could not be judged
    assert job["status"] == "succeeded", job["error"]
    pronunciation = job["result"]["pronunciation"]
    assert (pronunciation["judged"], pronunciation["reason"]) == (False, "reference_not_english")
    assert job["result"]["scores"]["pronunciation"] is None
