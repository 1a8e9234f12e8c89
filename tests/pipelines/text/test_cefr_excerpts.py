"""Excerpts of labelled texts, the short texts the level model is trained and measured on."""

from __future__ import annotations

import random

from pipelines.cefr.excerpts import excerpt, excerpts, sentence_spans

TEXT = " ".join(
    f"Sentence number {i} has exactly seven words here." for i in range(1, 31)
)  # 30 sentences, 210 words (digits are not words)


def _words(text: str) -> int:
    return sum(n for _, _, n in sentence_spans(text))


def test_an_excerpt_is_whole_sentences_reaching_the_wanted_length():
    # Given a long text
    # When 50-word excerpts are cut from it with several seeds
    for seed in range(20):
        cut = excerpt(TEXT, sentence_spans(TEXT), 50, random.Random(seed))
        # Then each is a run of whole sentences of the text, of 50 words or the sentence past it
        assert cut is not None and cut in TEXT
        assert cut.startswith("Sentence number") and cut.endswith(".")
        assert 50 <= _words(cut) < 50 + 7


def test_excerpts_are_drawn_from_the_whole_text_and_repeat_with_their_seed():
    # Given the same seed twice, then the same excerpts come back
    first = excerpts(TEXT, (30, 80), random.Random(7), per_length=3)
    assert first == excerpts(TEXT, (30, 80), random.Random(7), per_length=3)
    # And over many seeds the starting sentence varies
    starts = {
        excerpt(TEXT, sentence_spans(TEXT), 30, random.Random(s)).split(" has")[0]
        for s in range(30)
    }
    assert len(starts) > 5


def test_no_excerpt_is_cut_from_a_text_barely_longer_than_it():
    # Given a 210-word text, an excerpt of 150 words would be most of it: none is cut
    assert excerpt(TEXT, sentence_spans(TEXT), 150, random.Random(1)) is None
    # And the lengths the text allows are the ones returned
    assert [n for n, _ in excerpts(TEXT, (30, 50, 80, 150), random.Random(1))] == [30, 50, 80]
