"""Vocabulary hints: portal shape, romaji, frequency facts, word_unknown, cache key, LLM."""

from __future__ import annotations

import copy

import pytest

from pipelines.errors import PipelineError
from pipelines.hints import VocabularyEntry, generate_hint, hint_cache_key, romanise
from pipelines.llm.openai_provider import OpenAIProvider
from tests.pipelines.text.fake_llm import json_completion
from tests.pipelines.text.llm_samples import ANSWERS

GREETING = VocabularyEntry(
    term="こんにちは",
    language="ja",
    translations=["hello"],
    part_of_speech="expression",
    level="A1",
    groups=["Basic Greetings"],
    id="w-1",
)


def test_japanese_entry_gives_the_portal_shape_with_romaji():
    # Given the portal's example word with no stored reading
    # When a hint is generated offline
    hint = generate_hint("こんにちは", "ja", entry=GREETING)
    data = hint.to_dict()
    # Then the portal fields are filled from the entry and a real romanisation
    assert {k: data[k] for k in ("word", "romaji", "english")} == {
        "word": "こんにちは",
        "romaji": "konnichiwa",
        "english": "hello",
    }
    assert data["level"] == "A1" and data["level_source"] == "entry"
    assert data["word_id"] == "w-1" and data["provider"] == "offline"
    assert "means 'hello'" in hint.ai_hint
    assert "Basic Greetings" in hint.ai_hint
    assert "hiragana" in hint.ai_hint


@pytest.mark.parametrize(
    ("term", "reading", "romaji"),
    [
        ("猫", None, "neko"),
        ("東京", None, "toukyou"),
        ("コンピューター", None, "konpyuutaa"),
        ("日本", "にほん", "nihon"),
        ("寿司", "sushi", "sushi"),
    ],
)
def test_romaji_comes_from_the_reading_or_the_kanji(term, reading, romaji):
    # Given a term with or without a stored reading / When romanised / Then Hepburn romaji
    assert romanise(term, reading) == romaji


def test_frequency_band_and_estimated_level_come_from_wordfreq():
    # Given a common Spanish word with an entry but no level
    entry = VocabularyEntry("universidad", "es", translations=["university"], part_of_speech="noun")
    # When a hint is generated
    hint = generate_hint("universidad", "es", entry=entry)
    # Then its level is estimated from frequency, and the cognate is pointed out
    assert hint.zipf > 5 and hint.frequency_band == "common"
    assert (hint.level, hint.level_source) == ("A1", "frequency")
    assert "looks like English 'university'" in hint.ai_hint
    assert hint.romaji is None


def test_example_sentence_is_passed_through_when_known():
    # Given an entry with an example / When hinted / Then the example is in the result
    entry = VocabularyEntry(
        "猫",
        "ja",
        translations=["cat"],
        example_sentence="猫が好きです。",
        example_translation="I like cats.",
    )
    hint = generate_hint("猫", "ja", entry=entry)
    assert hint.example_sentence == "猫が好きです。"
    assert "Example: 猫が好きです。 (I like cats.)" in hint.ai_hint


def test_known_word_without_entry_gets_a_hint_without_gloss():
    # Given a real word that the vocabulary store does not have
    # When hinted / Then it is described honestly, with no invented translation
    hint = generate_hint("gato", "es")
    assert hint.english is None
    assert "no stored translation" in hint.ai_hint
    assert hint.level_source == "frequency"


def test_unknown_word_is_a_clear_outcome():
    # Given a string no word list knows and no entry
    # When hinted / Then word_unknown, not a made-up hint
    with pytest.raises(PipelineError) as err:
        generate_hint("xqzvkt", "es")
    assert err.value.code == "word_unknown"
    assert not err.value.retryable


def test_cache_key_changes_with_content_and_engine_only():
    # Given the same request twice and variations of it
    def key(**changes):
        args = {
            "context": "Greetings",
            "entry": GREETING,
            "provider": "openai",
            "model": "m1",
            "prompt_version": "2026-11-01",
        } | changes
        return hint_cache_key("こんにちは", "ja", **args)

    # When keys are computed / Then identical requests share a key and any change breaks it
    assert key() == key()
    variants = [
        key(context="Other"),
        key(entry=None),
        key(entry=VocabularyEntry(**{**GREETING.__dict__, "translations": ["hi"]})),
        key(model="m2"),
        key(prompt_version="2027-01-01"),
        key(provider="offline"),
    ]
    assert len({key(), *variants}) == 7


def test_with_an_llm_the_model_writes_the_hint_but_stored_facts_win(fake_openai):
    # Given a model that answers with a different gloss than the stored one
    answer = copy.deepcopy(ANSWERS["hint"])
    answer.update(
        word="こんにちは",
        english="good afternoon",
        reading="konnichiha",
        ai_hint="Used from late morning to evening.",
    )
    fake_openai.push(json_completion(answer))
    llm = OpenAIProvider(model="test-model", base_url=fake_openai.base_url)
    # When hinted with the LLM
    hint = generate_hint("こんにちは", "ja", entry=GREETING, context="Greetings", llm=llm)
    # Then the hint text is the model's, the stored gloss and romaji stay, provenance recorded
    assert hint.ai_hint == "Used from late morning to evening."
    assert hint.english == "hello" and hint.romaji == "konnichiwa"
    assert hint.example_sentence == answer["example_sentence"]
    assert (hint.provider, hint.model, hint.prompt_version) == (
        "openai",
        "test-model",
        "2026-11-01",
    )
    sent = fake_openai.requests[0]["messages"][1]["content"]
    assert "Word: こんにちは" in sent and '"english": "hello"' in sent
