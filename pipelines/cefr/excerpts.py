"""Excerpts of a labelled text, cut on sentence boundaries: how the level model is trained and
measured on the short answers learners write and say.

The corpus texts are long graded reading texts; learners' paragraphs and spoken answers are
often 30-150 words. An excerpt of a text is a run of its consecutive sentences, starting at a
sentence chosen by a seeded generator and ending at the first sentence boundary at or past
the wanted length, labelled with its text's level. Excerpts are only cut from texts at least
`MIN_RATIO` times longer than the excerpt, so that an excerpt is never the whole text again.
"""

from __future__ import annotations

import random

from pipelines.cefr.tokenize import split_sentences

EXCERPT_WORDS = (30, 50, 80, 150)  # the lengths learners' answers typically have
MIN_RATIO = 1.5


def sentence_spans(text: str) -> list[tuple[int, int, int]]:
    """(start, end, word count) of every sentence of an English text."""
    return [
        (s.start, s.end, sum(1 for t in s.tokens if t.norm[:1].isalpha()))
        for s in split_sentences(text, "en")
    ]


def excerpt(
    text: str, spans: list[tuple[int, int, int]], words: int, rng: random.Random
) -> str | None:
    """Consecutive sentences from a seeded starting sentence until `words` words or more;
    None when the text is too short to cut (see module docstring)."""
    total = sum(n for _, _, n in spans)
    if total < MIN_RATIO * words:
        return None
    # Starts late enough to reach the length before the text ends are not drawn.
    remaining, starts = 0, []
    for index in range(len(spans) - 1, -1, -1):
        remaining += spans[index][2]
        if remaining >= words:
            starts.append(index)
    first = rng.choice(sorted(starts))
    count, last = 0, first
    for last in range(first, len(spans)):
        count += spans[last][2]
        if count >= words:
            break
    return text[spans[first][0] : spans[last][1]]


def excerpts(
    text: str, lengths: tuple[int, ...], rng: random.Random, per_length: int = 1
) -> list[tuple[int, str]]:
    """(wanted length, excerpt) pairs: `per_length` excerpts for each length the text allows."""
    spans = sentence_spans(text)
    out = []
    for words in lengths:
        for _ in range(per_length):
            cut = excerpt(text, spans, words, rng)
            if cut is not None:
                out.append((words, cut))
    return out
