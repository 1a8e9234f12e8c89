"""Writing assessment through the API and a real worker."""

from __future__ import annotations

import copy

from tests.pipelines.text.fake_llm import completion, error, json_completion
from tests.pipelines.text.llm_samples import ANSWERS


def _finished(client, response, headers):
    assert response.status_code == 202, response.get_json()
    done = client.get(response.headers["Location"] + "?wait=30", headers=headers)
    assert done.status_code == 200
    return done.get_json()


def test_writing_assessment_runs_as_a_job_and_finds_the_errors(client, accounts, worker):
    # Given a learner and a text with misspellings and a repeated word
    learner = accounts.member(accounts.admin(), "learner")
    text = "Yesterday I recieved a letter from my freind. It was was very long."
    # When it is submitted and awaited
    response = client.post(
        "/api/v1/assessments/writing",
        headers=learner.headers,
        json={"text": text, "language": "en-GB", "task": "Write about a letter."},
    )
    job = _finished(client, response, learner.headers)
    # Then the job ran on the text queue and the result locates each error
    assert job["status"] == "succeeded", job
    assert job["type"] == "writing_assessment"
    assert job["provider"] == "offline"
    assert job["model"] == "writing-checks-v6"  # the offline method and its version
    result = job["result"]
    assert result["language"] == "en"
    assert result["cefr_level"] in ("A1", "A2", "B1", "B2", "C1", "C2")
    assert set(result["scores"]) == {"grammar", "vocabulary", "coherence", "task", "overall"}
    found = [
        (e["offset"], text[e["offset"] : e["offset"] + e["length"]], e["category"])
        for e in result["errors"]
    ]
    assert found == [
        (12, "recieved", "spelling"),
        (38, "freind", "spelling"),
        (49, "was was", "grammar"),
    ]
    assert result["errors"][0]["replacements"][0] == "received"
    assert "spelling" in result["checks_run"]
    assert result["lexical_profile"]["tokens"] > 0
    assert result["feedback"]["summary"]


def test_text_over_the_limit_is_422_and_nothing_is_queued(client, accounts, settings):
    # Given a text one character over the configured limit
    admin = accounts.admin()
    text = "a" * (settings.max_text_chars + 1)
    # When submitted
    response = client.post(
        "/api/v1/assessments/writing", headers=admin.headers, json={"text": text, "language": "en"}
    )
    # Then it is refused with a stable code, and no job exists
    assert response.status_code == 422
    assert response.get_json()["code"] == "text_too_long"
    jobs = client.get("/api/v1/jobs", headers=admin.headers).get_json()
    assert jobs["pagination"]["total_items"] == 0


def test_bad_requests_are_422(client, accounts):
    # Given an admin / When a request has an unknown language, no text, or an unknown field
    admin = accounts.admin()
    cases = [
        ({"text": "Hello there.", "language": "tlh"}, "unsupported_language"),
        ({"language": "en"}, None),
        ({"text": "Hi.", "language": "en", "colour": "red"}, None),
    ]
    for body, code in cases:
        response = client.post("/api/v1/assessments/writing", headers=admin.headers, json=body)
        # Then each is 422 (with its own code where there is one)
        assert response.status_code == 422, body
        if code:
            assert response.get_json()["code"] == code


def test_api_keys_need_the_jobs_write_scope(client, accounts):
    # Given keys with and without jobs:write
    admin = accounts.admin()
    reader = accounts.api_key(admin, ["jobs:read"])
    writer = accounts.api_key(admin, ["jobs:write"])
    body = {"text": "This is fine.", "language": "en"}
    # When each submits / Then only the writer is accepted
    assert client.post("/api/v1/assessments/writing", headers=reader, json=body).status_code == 403
    assert client.post("/api/v1/assessments/writing", headers=writer, json=body).status_code == 202


def test_with_an_llm_provider_the_result_records_provider_model_and_prompt_version(
    client, accounts, app_with, start_worker, fake_llm_server
):
    # Given an app configured for an OpenAI-compatible server and a worker for it
    answer = copy.deepcopy(ANSWERS["writing_assessment"])
    fake_llm_server.push(json_completion(answer))
    llm_app = app_with(
        llm_provider="openai",
        openai_base_url=fake_llm_server.base_url,
        openai_model="tutor-model",
        openai_api_key="sk-test",
    )
    start_worker(llm_app)
    other = llm_app.test_client()
    admin = accounts.admin()
    # When a text is assessed
    response = other.post(
        "/api/v1/assessments/writing",
        headers=admin.headers,
        json={"text": "I goed to the beach with my freind.", "language": "en"},
    )
    job = _finished(other, response, admin.headers)
    # Then the model's judgement is the result, with its provenance on the job
    assert job["status"] == "succeeded", job
    assert (job["provider"], job["model"], job["prompt_version"]) == (
        "openai",
        "tutor-model",
        "2026-11-01",
    )
    assert job["result"]["corrected_text"] == answer["corrected_text"]
    assert job["result"]["scores"] == answer["scores"]
    assert len(fake_llm_server.requests) == 1


def test_llm_rate_limit_is_retried_by_the_job_engine_and_bad_answers_fail_the_job(
    client, accounts, app_with, start_worker, fake_llm_server
):
    # Given a server that rate limits once and then answers, and later answers nonsense twice
    fake_llm_server.push(
        error(429, "Rate limit reached", {"retry-after": "1"}),
        json_completion(ANSWERS["writing_assessment"]),
        completion("I cannot grade this."),
        completion("Still no JSON."),
    )
    llm_app = app_with(
        llm_provider="openai", openai_base_url=fake_llm_server.base_url, openai_model="tutor-model"
    )
    start_worker(llm_app)
    other = llm_app.test_client()
    admin = accounts.admin()
    body = {"text": "I goed to the beach with my freind.", "language": "en"}
    # When two texts are assessed one after the other
    first = _finished(
        other,
        other.post("/api/v1/assessments/writing", headers=admin.headers, json=body),
        admin.headers,
    )
    second = _finished(
        other,
        other.post("/api/v1/assessments/writing", headers=admin.headers, json=body),
        admin.headers,
    )
    # Then the rate limit cost one retry of the job; two invalid answers failed it for good
    assert first["status"] == "succeeded" and first["attempts"] == 2, first
    assert second["status"] == "failed" and second["attempts"] == 1, second
    assert second["error"]["code"] == "llm_invalid_output"
    assert second["error"]["retryable"] is False


def test_prefer_wait_answers_the_finished_assessment(client, accounts, worker):
    # Given a learner willing to wait for a short text's assessment
    learner = accounts.member(accounts.admin(), "learner")
    # When it is submitted with Prefer: wait
    response = client.post(
        "/api/v1/assessments/writing",
        headers={**learner.headers, "Prefer": "wait=30"},
        json={"text": "They was late to school.", "language": "en"},
    )
    # Then the answer is the finished job, with the agreement error located
    assert response.status_code == 200, response.get_json()
    result = response.get_json()["result"]
    assert [(e["offset"], e["replacements"][0]) for e in result["errors"]] == [(5, "were")]
