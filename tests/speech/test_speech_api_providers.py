"""Remote providers behind the speech jobs: an LLM examiner and OpenAI transcription, each a
local server speaking the OpenAI API, reached by the real `openai` client in a real worker."""

from __future__ import annotations

import json

import prompts
from pipelines.speaking import CRITERIA
from tests.pipelines.speech.fake_transcription import FakeTranscriptionServer, error, verbose_json
from tests.pipelines.text.fake_llm import FakeOpenAI, json_completion
from tests.speech.conftest import AUDIO, wait_for_job

EXAMINER = {
    "cefr_level": "A2",
    "scores": {
        "pronunciation": 84,
        "fluency": 71,
        "vocabulary": 35,
        "grammar": 40,
        "coherence": 52,
        "overall": 45,
    },
    "feedback": {k: f"The examiner's view of {k}." for k in CRITERIA},
    "summary": "Clear short sentences at A2.",
}

NURSE_WORDS = [
    ("My", 0.3, 0.5),
    ("sister", 0.5, 0.9),
    ("works", 0.9, 1.2),
    ("as", 1.2, 1.4),
    ("a", 1.4, 1.5),
    ("nurse", 1.5, 1.8),
    ("in", 1.8, 1.9),
    ("a", 1.9, 2.0),
    ("large", 2.0, 2.3),
    ("hospital", 2.3, 2.8),
    ("near", 2.8, 3.1),
    ("the", 3.1, 3.3),
    ("river.", 3.3, 3.7),
]


def test_an_llm_examiner_scores_the_speaking_job(
    accounts, upload, settings, app_with, start_worker
):
    # Given an app whose LLM is an OpenAI-compatible examiner, and its worker
    admin = accounts.admin()
    media = upload(admin, "en_nurse.wav")
    with FakeOpenAI() as examiner:
        examiner.push(json_completion(EXAMINER, model="examiner-1"))
        llm_app = app_with(
            media_dir=settings.media_dir,
            llm_provider="openai",
            openai_base_url=examiner.base_url,
            openai_api_key="sk-test",
            openai_model="examiner-1",
        )
        start_worker(llm_app)
        client = llm_app.test_client()

        # When a speaking assessment runs
        answer = client.post(
            "/api/v1/assessments/speaking",
            headers=admin.headers,
            json={
                "media_id": media["id"],
                "language": "en",
                "prompt_text": "Talk about your family.",
            },
        )
        job = wait_for_job(client, answer.headers["Location"], admin.headers)
        sent = examiner.requests

    # Then the job records the examiner's answer with provider, model and prompt version
    assert job["status"] == "succeeded", job["error"]
    assert (job["provider"], job["model"]) == ("openai", "examiner-1")
    assert job["prompt_version"] == prompts.version("speaking_assessment")
    result = job["result"]
    assert result["scores"] == EXAMINER["scores"] and result["cefr"]["level"] == "A2"
    assert result["feedback"]["grammar"] == "The examiner's view of grammar."
    # And the local transcript and the measured features grounded the prompt
    user = next(m["content"] for m in sent[0]["messages"] if m["role"] == "user")
    assert result["transcript"]["text"] in user and "Talk about your family." in user
    assert f'"speech_rate_words_per_minute": {result["fluency"]["speech_rate_wpm"]}' in user
    assert result["measured_scores"] != result["scores"]


def test_openai_transcription_recovers_from_a_rate_limit(
    accounts, upload, settings, app_with, start_worker
):
    # Given an app that transcribes through an OpenAI-compatible server answering 429 once
    admin = accounts.admin()
    media = upload(admin, "en_nurse.wav")
    with FakeTranscriptionServer() as whisper_api:
        whisper_api.push(error(429, "Rate limit reached"), verbose_json(NURSE_WORDS))
        remote = app_with(
            media_dir=settings.media_dir,
            transcription_provider="openai",
            openai_api_key="sk-test",
            openai_transcription_base_url=whisper_api.base_url,
            openai_transcription_model="whisper-large-v3",
        )
        start_worker(remote)
        client = remote.test_client()

        # When a transcription job runs
        answer = client.post(
            "/api/v1/transcriptions",
            headers=admin.headers,
            json={"media_id": media["id"], "language": "en"},
        )
        job = wait_for_job(client, answer.headers["Location"], admin.headers)
        uploads = whisper_api.uploads

    # Then the engine retried the transient failure and the second attempt succeeded
    assert job["status"] == "succeeded", job["error"]
    assert job["attempts"] == 2 and len(uploads) == 2
    assert (job["provider"], job["model"]) == ("openai", "whisper-large-v3")
    # And the stored recording was uploaded as it is, with the language asked
    assert uploads[1].file == (AUDIO / "en_nurse.wav").read_bytes()
    assert uploads[1].fields["language"] == ["en"]
    assert job["result"]["text"].startswith("My sister works")
    assert json.dumps(job["result"]).count('"probability"') == len(NURSE_WORDS)
