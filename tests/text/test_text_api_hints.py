"""Vocabulary hints through the API and a real worker: Prefer: wait, cache, word_unknown."""

from __future__ import annotations

from sqlalchemy import func, select

from storage.db import db
from storage.models.hints import HintCacheEntry
from tests.pipelines.text.fake_llm import json_completion
from tests.pipelines.text.llm_samples import ANSWERS

WAIT = {"Prefer": "wait=30"}


def test_hint_for_a_stored_word_comes_back_in_the_portal_shape(
    client, accounts, worker, vocabulary_rows
):
    # Given a Japanese word in a group, with no stored reading
    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    word = vocabulary_rows.word(
        admin, "こんにちは", translations=["hello"], level="A1", groups=["Basic Greetings"]
    )
    # When a learner asks for its hint and is willing to wait
    response = client.post(
        "/api/v1/hints", headers={**learner.headers, **WAIT}, json={"word_id": word.id}
    )
    # Then the finished job comes back at once with the portal's fields
    assert response.status_code == 200, response.get_json()
    assert response.headers["Preference-Applied"] == "wait=30"
    job = response.get_json()
    assert job["status"] == "succeeded", job
    result = job["result"]
    assert {k: result[k] for k in ("word", "romaji", "english")} == {
        "word": "こんにちは",
        "romaji": "konnichiwa",
        "english": "hello",
    }
    assert "Basic Greetings" in result["ai_hint"]
    assert result["word_id"] == word.id and result["cached"] is False


def test_identical_requests_are_answered_from_the_cache(client, accounts, worker):
    # Given a hint already generated for a word
    admin = accounts.admin()
    body = {"word": "universidad", "language": "es", "context": "School"}
    first = client.post("/api/v1/hints", headers={**admin.headers, **WAIT}, json=body)
    assert first.status_code == 200 and first.get_json()["result"]["cached"] is False
    # When the same request comes again, and then one with another context
    again = client.post("/api/v1/hints", headers={**admin.headers, **WAIT}, json=body)
    other = client.post(
        "/api/v1/hints", headers={**admin.headers, **WAIT}, json={**body, "context": "Travel"}
    )
    # Then the second is the cached hint, the third a new one
    repeat = again.get_json()["result"]
    assert repeat["cached"] is True
    assert repeat["ai_hint"] == first.get_json()["result"]["ai_hint"]
    assert other.get_json()["result"]["cached"] is False
    entries = db.session.scalars(select(HintCacheEntry)).all()
    assert len(entries) == 2
    assert sorted(e.hits for e in entries) == [0, 1]


def test_without_prefer_wait_the_answer_is_202_and_the_job_can_be_polled(client, accounts, worker):
    # Given an admin / When a hint is asked without waiting
    admin = accounts.admin()
    response = client.post(
        "/api/v1/hints", headers=admin.headers, json={"word": "gato", "language": "es"}
    )
    # Then 202 with a Location that finishes
    assert response.status_code == 202
    done = client.get(response.headers["Location"] + "?wait=30", headers=admin.headers)
    assert done.get_json()["result"]["word"] == "gato"


def test_a_word_nobody_knows_fails_with_word_unknown(client, accounts, worker):
    # Given a string that is no word / When a hint is asked
    admin = accounts.admin()
    response = client.post(
        "/api/v1/hints",
        headers={**admin.headers, **WAIT},
        json={"word": "xqzvkt", "language": "es"},
    )
    # Then the job failed at once with a clear, permanent code
    job = response.get_json()
    assert response.status_code == 200 and job["status"] == "failed"
    assert job["error"]["code"] == "word_unknown" and job["error"]["retryable"] is False
    assert job["attempts"] == 1


def test_word_ids_are_checked_against_the_organisation_and_the_language(
    client, accounts, vocabulary_rows
):
    # Given a word of one organisation
    owner, stranger = accounts.admin(), accounts.admin()
    word = vocabulary_rows.word(owner, "猫", translations=["cat"])
    # When another organisation, a wrong language, or an empty request asks
    foreign = client.post("/api/v1/hints", headers=stranger.headers, json={"word_id": word.id})
    mismatch = client.post(
        "/api/v1/hints", headers=owner.headers, json={"word_id": word.id, "language": "es"}
    )
    empty = client.post("/api/v1/hints", headers=owner.headers, json={"context": "x"})
    # Then 404 for the foreign id, 422 for the rest
    assert foreign.status_code == 404 and foreign.get_json()["code"] == "word_not_found"
    assert mismatch.status_code == 422 and mismatch.get_json()["code"] == "language_mismatch"
    assert empty.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(HintCacheEntry)) == 0


def test_with_an_llm_configured_the_model_writes_the_hint_once(
    client, accounts, app_with, start_worker, fake_llm_server, vocabulary_rows
):
    # Given an app using an OpenAI-compatible server, and a stored word
    admin = accounts.admin()
    word = vocabulary_rows.word(admin, "猫", translations=["cat"])
    fake_llm_server.push(json_completion(ANSWERS["hint"]))
    llm_app = app_with(
        llm_provider="openai", openai_base_url=fake_llm_server.base_url, openai_model="hint-model"
    )
    start_worker(llm_app)
    other = llm_app.test_client()
    # When the hint is asked twice
    first = other.post(
        "/api/v1/hints", headers={**admin.headers, **WAIT}, json={"word_id": word.id}
    )
    second = other.post(
        "/api/v1/hints", headers={**admin.headers, **WAIT}, json={"word_id": word.id}
    )
    # Then the model wrote it once; the repeat came from the cache with the same provenance
    one, two = first.get_json(), second.get_json()
    assert one["status"] == "succeeded", one
    assert one["result"]["ai_hint"] == ANSWERS["hint"]["ai_hint"]
    assert (one["provider"], one["model"], one["prompt_version"]) == (
        "openai",
        "hint-model",
        "2026-11-01",
    )
    assert two["result"]["cached"] is True and two["model"] == "hint-model"
    assert len(fake_llm_server.requests) == 1


def test_the_portal_request_with_just_the_word_uses_the_vocabulary_entry(
    client, accounts, worker, vocabulary_rows
):
    # Given a word in the organisation's vocabulary
    admin = accounts.admin()
    word = vocabulary_rows.word(admin, "ありがとう", translations=["thank you"], level="A1")
    # When the portal asks with just the word and a context (no id, no language)
    response = client.post(
        "/api/v1/hints",
        headers={**admin.headers, **WAIT},
        json={"word": "ありがとう", "context": "Basic Greetings"},
    )
    # Then the entry was found and used
    job = response.get_json()
    assert response.status_code == 200 and job["status"] == "succeeded", job
    assert job["input"]["word_id"] == word.id and job["input"]["language"] == "ja"
    assert job["result"]["english"] == "thank you"
    assert job["result"]["romaji"] == "arigatou"
    # And a word the vocabulary lacks needs a language
    missing = client.post("/api/v1/hints", headers=admin.headers, json={"word": "perro"})
    assert missing.status_code == 422 and missing.get_json()["code"] == "language_required"


def test_a_word_outside_the_vocabulary_gets_a_dictionary_meaning(client, accounts, worker):
    # Given words no vocabulary entry describes: 'apple' in English and in Japanese
    admin = accounts.admin()

    def hint(word: str, language: str) -> dict:
        body = {"word": word, "language": language}
        response = client.post("/api/v1/hints", headers={**admin.headers, **WAIT}, json=body)
        return response.get_json()["result"]

    english, japanese = hint("apple", "en"), hint("りんご", "ja")
    # Then each has a meaning from an open dictionary, a memory aid, and says where it came from
    assert "fruit" in english["english"] and english["sources"][0] == "WordNet 3.0"
    assert "no stored translation" not in english["ai_hint"]
    assert (japanese["romaji"], japanese["english"]) == ("ringo", "apple (fruit)")
    assert japanese["sources"][0] == "JMdict" and "林檎" in japanese["memory_aid"]
