"""Offline hints from the open dictionaries: WordNet for English, JMdict/JMnedict/KANJIDIC2
for Japanese; meaning, reading, memory aid and example in the portal's shape; coverage."""

from __future__ import annotations

import pytest
from wordfreq import top_n_list

from pipelines import dictionary
from pipelines.dictionary import english
from pipelines.errors import PipelineError
from pipelines.hints import generate_hint

# Hand-written: a frequent word, and a word its first meaning must contain.
ENGLISH = [
    ("apple", "fruit"),
    ("went", "location"),
    ("children", "young"),
    ("happy", "joy"),
    ("the", "particular"),
    ("don't", "do not"),
    ("women's", "female"),
    ("she", "female"),
    ("because", "reason"),
    ("quickly", "rapid"),
    ("better", "superior"),
    ("mice", "rodent"),
    ("bought", "acquire"),
    ("william", "name"),
]
JAPANESE = [
    ("猫", "cat"),
    ("りんご", "apple"),
    ("食べる", "eat"),
    ("食べ", "eat"),
    ("思っ", "think"),
    ("言わ", "say"),
    ("良かっ", "good"),
    ("悪く", "bad"),
    ("する", "do"),
    ("いる", "be"),
    ("なっ", "become"),
    ("アルバイト", "part-time"),
    ("東京", "Tokyo"),
    ("1", "one"),
    ("佐藤", "Sat"),
]


@pytest.mark.parametrize(("word", "meaning"), ENGLISH)
def test_english_meanings_come_from_wordnet_or_the_grammar_table(word, meaning):
    # Given a frequent English word that no vocabulary entry describes / When hinted offline
    hint = generate_hint(word, "en")
    # Then its meaning is there, with the dictionary that gave it
    assert meaning in hint.english
    assert hint.sources[0] in (
        "WordNet 3.0",
        "platform table of English grammar words",
        "JMnedict",
    )  # names, by their romanised spelling


@pytest.mark.parametrize(("word", "meaning"), JAPANESE)
def test_japanese_meanings_come_from_jmdict_even_for_inflected_forms(word, meaning):
    # Given a frequent Japanese word or inflection stem / When hinted offline
    hint = generate_hint(word, "ja")
    # Then the meaning of its dictionary form is there, with a kana reading and romaji
    assert meaning in hint.english
    assert hint.romaji and hint.romaji.isascii()
    assert hint.sources[0] in ("JMdict", "JMnedict")


def test_the_portal_shape_with_meaning_reading_memory_aid_and_example():
    # Given 'apple' in Japanese, which the learner's vocabulary does not have
    hint = generate_hint("りんご", "ja")
    data = hint.to_dict()
    # Then the portal's fields are filled and the hint text is something a learner can use
    assert (data["word"], data["romaji"], data["english"]) == ("りんご", "ringo", "apple (fruit)")
    assert "means 'apple (fruit)'" in hint.ai_hint
    assert "ringo" in hint.ai_hint
    assert "Memory aid: In kanji it is written 林檎." in hint.ai_hint
    assert "no stored translation" not in hint.ai_hint
    # And an English word gets WordNet's example sentence and a memory aid
    run = generate_hint("run", "en")
    assert run.example_sentence and "Example:" in run.ai_hint
    assert run.memory_aid and "Memory aid:" in run.ai_hint
    assert run.sources == ["WordNet 3.0", "wordfreq"]


def test_an_inflected_word_names_its_dictionary_form():
    # Given a stem as word lists cut it / When hinted / Then the dictionary form is named
    hint = generate_hint("食べ", "ja")
    assert (hint.headword, hint.method, hint.reading) == ("食べる", "deinflected", "たべる")
    assert "It is a form of '食べる'." in hint.ai_hint and "食 means eat" in hint.ai_hint
    went = generate_hint("went", "en")
    assert (went.headword, went.method) == ("go", "lemma")


def test_missing_wordnet_data_fails_clearly(monkeypatch, tmp_path):
    # Given a machine without the WordNet files
    monkeypatch.setattr(english, "WORDNET_DIR", tmp_path)
    english.wordnet.cache_clear()
    try:
        # When an English hint is asked / Then it fails with a code naming what to install
        with pytest.raises(PipelineError) as err:
            generate_hint("tree", "en")
        assert err.value.code == "dictionary_missing" and not err.value.retryable
        assert "wordnet-base" in err.value.message
    finally:
        english.wordnet.cache_clear()


@pytest.mark.parametrize("language", ["en", "ja"])
def test_most_frequent_words_have_an_offline_meaning(language):
    # Given the 300 most frequent words of the language (the bench measures 5,000)
    words = top_n_list(language, 300)
    # When looked up offline / Then at least 95 % have a meaning
    found = sum(dictionary.lookup(word, language) is not None for word in words)
    assert found / len(words) >= 0.95, found
