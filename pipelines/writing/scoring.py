"""Offline sub-scores (0-100) for a written text, from features and the errors found.

- accuracy: 100 minus 8 points per error per 100 words (a text with one error in every
  eight words scores 0). Spelling and grammar-type errors count fully, style half.
- grammar: 60% accuracy (without spelling), 40% syntactic complexity (the sentence-length
  and subordination indicators of the CEFR estimate). We cannot parse grammar offline, so
  this rewards correct and varied sentences rather than judging every clause.
- vocabulary: 70% range (the CEFR vocabulary and diversity indicators), 30% spelling accuracy.
- coherence: 50% linking (discourse connectors per sentence, 0.6 or more is full marks),
  30% development (number of sentences, 5 or more is full), 20% sentence-length variety
  that stays readable (coefficient of variation between 0.2 and 0.8).
- task: with a task, 60% coverage (share of the task's content words, matched on their
  first five letters, that the text uses) and 40% length (80 words or more is full); without
  one, length alone.
- overall: the CEFR score, lowered by up to 15% for inaccuracy (score x (0.85 + 0.15 x
  accuracy)); the CEFR level of the assessment is the band of this overall score.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable

from pipelines.cefr import CefrEstimate, TextFeatures, tokenize, zipf
from pipelines.writing.spans import TextError

ERROR_POINTS = 8.0
FULL_LENGTH_WORDS = 80
_WEIGHT = {"style": 0.5}


def accuracy(
    errors: Iterable[TextError], words: int, *, categories: set[str] | None = None
) -> float:
    """100 minus weighted errors per 100 words, clipped to 0."""
    if words == 0:
        return 0.0
    weight = sum(
        _WEIGHT.get(e.category, 1.0)
        for e in errors
        if categories is None or e.category in categories
    )
    return _clip(100 - weight / words * 100 * ERROR_POINTS)


def sub_scores(
    features: TextFeatures,
    estimate: CefrEstimate,
    errors: list[TextError],
    task: str | None,
    text: str,
) -> dict[str, int]:
    words = features.lexical.tokens
    comp = estimate.components
    non_spelling = {"grammar", "punctuation", "capitalisation", "word_choice", "style", "other"}
    grammar = 0.6 * accuracy(errors, words, categories=non_spelling) + 0.4 * (
        (comp["sentence_length"] + comp["subordination"]) / 2
    )
    vocabulary = 0.7 * (0.7 * comp["vocabulary"] + 0.3 * comp["diversity"]) + 0.3 * accuracy(
        errors, words, categories={"spelling", "word_choice"}
    )
    coherence = (
        0.5 * _clip(features.connector_ratio / 0.6 * 100)
        + 0.3 * _clip((features.sentences - 1) / 4 * 100)
        + 0.2 * _variety(features.sentence_lengths)
    )
    length = _clip(words / FULL_LENGTH_WORDS * 100)
    if task and task.strip():
        task_score = 0.6 * task_coverage(task, text, features.language) + 0.4 * length
    else:
        task_score = length
    overall = overall_score(estimate, errors, words)
    return {
        "grammar": round(grammar),
        "vocabulary": round(vocabulary),
        "coherence": round(coherence),
        "task": round(task_score),
        "overall": round(overall),
    }


def overall_score(estimate: CefrEstimate, errors: list[TextError], words: int) -> float:
    return estimate.score * (0.85 + 0.15 * accuracy(errors, words) / 100)


def task_coverage(task: str, text: str, language: str) -> float:
    """Share (0-100) of the task's content words the text uses, matched on 5-letter stems."""
    content = {t.norm[:5] for t in tokenize(task, language) if _is_content(t.norm, language)}
    if not content:
        return 100.0
    used = {t.norm[:5] for t in tokenize(text, language)}
    return len(content & used) / len(content) * 100


def _is_content(word: str, language: str) -> bool:
    # Function words are the most frequent ones in every language (Zipf >= 6 is roughly the
    # top 100 forms); instructions words like "write" and "describe" are not about the topic.
    return len(word) > 2 and zipf(word, language) < 6.0 and word not in _INSTRUCTION_WORDS


_INSTRUCTION_WORDS = frozenset(
    "write describe explain tell about words text essay paragraph email letter your "
    "escribe describe explica écrivez décrivez schreiben beschreiben".split()
)


def _variety(lengths: list[int]) -> float:
    if len(lengths) < 2:
        return 0.0
    mean = statistics.fmean(lengths)
    cv = statistics.pstdev(lengths) / mean if mean else 0.0
    if cv < 0.2:
        return cv / 0.2 * 100
    if cv <= 0.8:
        return 100.0
    return _clip(100 - (cv - 0.8) * 200)


def _clip(value: float) -> float:
    return max(0.0, min(100.0, value))
