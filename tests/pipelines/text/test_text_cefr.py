"""The shared CEFR module: tokens, lexical profile, diversity, level estimate."""

from __future__ import annotations

import pytest

from pipelines.cefr import (
    LEVELS,
    analyse_text,
    estimate_level,
    level_for_score,
    mtld,
    split_sentences,
    tokenize,
    word_level,
    zipf_to_level,
)
from pipelines.errors import PipelineError

RANK = {lv: i for i, lv in enumerate(LEVELS)}


def test_english_words_take_cefrpy_levels_and_unknown_words_fall_back_to_frequency():
    # Given words cefrpy lists, one it does not, and a non-word
    # When we look up their levels
    levels = {w: word_level(w, "en") for w in ("dog", "went", "ubiquitous", "hello", "qzxv")}
    # Then cefrpy decides the listed ones, Zipf bands the rest, and the non-word is unknown
    assert levels["dog"] == "A1"
    assert levels["went"] == "A2"
    assert levels["ubiquitous"] == "C2"
    assert levels["hello"] == zipf_to_level(4.72) == "B1"
    assert levels["qzxv"] == "unknown"


@pytest.mark.parametrize(
    ("zipf", "level"),
    [
        (6.5, "A1"),
        (5.0, "A1"),
        (4.9, "A2"),
        (4.5, "B1"),
        (4.3, "B2"),
        (3.9, "C1"),
        (2.0, "C2"),
        (0.0, "unknown"),
    ],
)
def test_zipf_bands_map_to_the_documented_levels(zipf, level):
    # Given a Zipf frequency / When mapped / Then the band table decides the level
    assert zipf_to_level(zipf) == level


def test_tokens_keep_offsets_into_the_original_text():
    # Given an English sentence with punctuation and a French one with elisions
    text = "Hello, world! Don't stop."
    # When tokenised
    tokens = tokenize(text, "en")
    french = [t.text for t in tokenize("L'homme qu'il voit", "fr")]
    # Then every token's offsets slice exactly its text, and elided articles stand alone
    assert [t.text for t in tokens] == ["Hello", "world", "Don't", "stop"]
    assert all(text[t.start : t.end] == t.text for t in tokens)
    assert french == ["L'", "homme", "qu'", "il", "voit"]


def test_japanese_is_segmented_offline_into_dictionary_words():
    # Given Japanese with no spaces
    text = "私は学生です。毎日図書館で日本語を勉強しています。"
    # When tokenised and split into sentences
    tokens = tokenize(text, "ja")
    sentences = split_sentences(text, "ja")
    # Then known words come out whole, offsets hold, and the two sentences are found
    words = [t.text for t in tokens]
    assert words[:4] == ["私", "は", "学生", "です"]
    assert "図書館" in words and "日本語" in words
    assert all(text[t.start : t.end] == t.text for t in tokens)
    assert [s.text for s in sentences] == ["私は学生です。", "毎日図書館で日本語を勉強しています。"]


def test_sentences_respect_abbreviations_decimals_and_line_breaks():
    # Given abbreviations, a decimal number and a line break without punctuation
    text = "Mr. Smith paid 3.5 dollars. He left\nThen he came back!"
    # When split
    sentences = [s.text for s in split_sentences(text, "en")]
    # Then only real sentence ends split
    assert sentences == ["Mr. Smith paid 3.5 dollars.", "He left", "Then he came back!"]


def test_mtld_rewards_varied_vocabulary():
    # Given a repetitive and a varied word sequence of the same length
    repetitive = ("the dog and the cat and the dog and the cat " * 5).split()
    varied = (
        "every morning careful writers gather fresh ideas while quiet rivers carry bright "
        "leaves past sleeping towns under heavy grey clouds before distant bells announce "
        "another ordinary day full of small surprises and unexpected conversations between "
        "strangers who rarely meet twice in such crowded places"
    ).split()[: len(repetitive)]
    # When MTLD is measured / Then the varied text scores much higher
    assert mtld(repetitive) < 10
    assert mtld(varied) > 40
    assert mtld([]) == 0.0


def test_lexical_profile_shares_add_up_and_count_subordination():
    # Given a B1 paragraph
    text = (
        "I stayed at home because it was raining. Although I was bored, I read a book "
        "which my friend gave me."
    )
    # When analysed
    features = analyse_text(text, "en")
    lex = features.lexical
    # Then shares cover every token, and the three subordinators are counted
    assert lex.tokens == 21
    assert sum(lex.level_shares.values()) == pytest.approx(1.0, abs=0.001)
    assert features.sentences == 2
    assert features.subordinators == 3  # because, although, which
    assert features.subordination_ratio == 1.5
    assert features.mean_sentence_length == 10.5


@pytest.mark.parametrize("language", ["en", "es", "fr", "ja"])
def test_advanced_text_scores_higher_than_beginner_text(graded_texts, language):
    # Given a beginner and an advanced paragraph in the same language
    levels = sorted((lv for lang, lv in graded_texts if lang == language), key=RANK.get)
    beginner, advanced = graded_texts[(language, levels[0])], graded_texts[(language, levels[-1])]
    # When both are estimated
    low = estimate_level(analyse_text(beginner, language))
    high = estimate_level(analyse_text(advanced, language))
    # Then the advanced one scores at least two levels higher, with reasons given
    assert low.level == "A1"
    assert high.score > low.score + 30
    assert RANK[high.level] >= RANK[low.level] + 2
    assert high.reasons and all(isinstance(r, str) for r in high.reasons)


def test_english_graded_texts_come_out_in_order_within_one_level(graded_texts):
    # Given English paragraphs written at A1, A2, B1, B2 and C2
    english = {lv: t for (lang, lv), t in graded_texts.items() if lang == "en"}
    # When estimated
    estimates = {lv: estimate_level(analyse_text(t, "en")) for lv, t in english.items()}
    # Then scores rise with the intended level and each estimate is within one level of it
    scores = [estimates[lv].score for lv in ("A1", "A2", "B1", "B2", "C2")]
    assert scores == sorted(scores)
    for intended, est in estimates.items():
        assert abs(RANK[est.level] - RANK[intended]) <= 1, (intended, est)


def test_estimate_is_deterministic_and_confidence_grows_with_length(graded_texts):
    # Given one sentence and a whole paragraph at the same level
    paragraph = graded_texts[("en", "B2")]
    first_sentence = split_sentences(paragraph, "en")[0].text
    # When estimated twice
    a = estimate_level(analyse_text(paragraph, "en"))
    b = estimate_level(analyse_text(paragraph, "en"))
    short = estimate_level(analyse_text(first_sentence, "en"))
    # Then results repeat exactly and the short text is less certain
    assert a == b
    assert 0 < short.confidence < a.confidence <= 1


def test_empty_text_is_a1_with_no_confidence_and_bad_language_is_refused():
    # Given no words / When estimated / Then A1 with zero confidence
    est = estimate_level(analyse_text("  ...  ", "en"))
    assert (est.level, est.score, est.confidence) == ("A1", 0.0, 0.0)
    # Given a language we cannot profile / Then a clear error
    with pytest.raises(PipelineError) as err:
        analyse_text("hello", "xx")
    assert err.value.code == "unsupported_language"


def test_level_bands_cover_the_scale():
    # Given band edges / Then each score maps to the documented band
    assert [level_for_score(s) for s in (0, 11.9, 12, 29.9, 30, 50, 72, 86, 100)] == [
        "A1",
        "A1",
        "A2",
        "A2",
        "B1",
        "B2",
        "C1",
        "C2",
        "C2",
    ]
