"""The CEFR level of a single word.

English: `cefrpy`'s word-level database (average level over the word's parts of speech).
Every language, and English words cefrpy does not list: the word's Zipf frequency in
`wordfreq` ("best" list, looked up directly so no external tokenizer is needed) mapped to a
level by frequency band.

The bands come from vocabulary-size research on CEFR levels (Milton & Alexiou 2009;
Milton 2010): learners at A1 know roughly the 800 most frequent words, A2 ~1,500,
B1 ~3,000, B2 ~5,000, C1 ~10,000, C2 beyond. We converted those ranks to Zipf values on
wordfreq's lists; the Zipf value at each rank is nearly the same across en, es, fr, de, it,
pt and ja (rank 800 ~ 5.05, 1,500 ~ 4.78, 3,000 ~ 4.46, 5,000 ~ 4.20, 10,000 ~ 3.80), so one
table serves all languages:

    Zipf >= 5.00  A1      4.75 - 5.00  A2      4.45 - 4.75  B1
    4.20 - 4.45   B2      3.80 - 4.20  C1      > 0 - 3.80   C2      0 (absent)  unknown

wordfreq lists word forms, not lemmas, so an inflected form of a common verb can land one
band higher than its lemma would; the estimate works on shares over many words, where this
shifts all texts alike.
"""

from __future__ import annotations

import math
import unicodedata
from functools import lru_cache

from core.levels import CEFR_LEVELS

LEVELS: tuple[str, ...] = CEFR_LEVELS
UNKNOWN = "unknown"

ZIPF_BANDS: tuple[tuple[float, str], ...] = (
    (5.00, "A1"),
    (4.75, "A2"),
    (4.45, "B1"),
    (4.20, "B2"),
    (3.80, "C1"),
)


def zipf_to_level(zipf: float) -> str:
    """Map a Zipf frequency to a CEFR level by the documented band table."""
    if zipf <= 0:
        return UNKNOWN
    for threshold, level in ZIPF_BANDS:
        if zipf >= threshold:
            return level
    return "C2"


def frequency_band(zipf: float) -> str:
    """A human label for a Zipf value, for hints and feedback."""
    if zipf >= 6.0:
        return "very common"
    if zipf >= 4.75:
        return "common"
    if zipf >= 3.8:
        return "intermediate"
    if zipf > 0:
        return "rare"
    return "unknown"


@lru_cache(maxsize=65536)
def zipf(word: str, language: str) -> float:
    """Zipf frequency (log10 of occurrences per billion words) of one word, 0 when absent."""
    form = _lookup_form(word, language)
    freq = _frequencies(language).get(form)
    if not freq and "'" in form and language == "en":
        # wordfreq keeps English contractions whole; other apostrophes vary by source.
        freq = _frequencies(language).get(form.replace("'", ""))
    return round(math.log10(freq) + 9, 2) if freq else 0.0


@lru_cache(maxsize=65536)
def word_level(word: str, language: str) -> str:
    """CEFR level of one word form, or "unknown" when no source knows it."""
    form = _lookup_form(word, language)
    if language == "en":
        level = _cefrpy_level(form)
        if level:
            return level
    return zipf_to_level(zipf(word, language))


@lru_cache(maxsize=65536)
def english_tags(word: str) -> frozenset[str]:
    """The Penn part-of-speech tags cefrpy lists for an English word form (empty if none)."""
    return frozenset(_cefrpy().get_all_pos_for_word_as_str(word.lower()) or ())


def _lookup_form(word: str, language: str) -> str:
    form = unicodedata.normalize("NFKC" if language == "ja" else "NFC", word)
    form = form.lower().replace("’", "'")
    if language in ("fr", "it", "ca") and form.endswith("'") and len(form) > 1:
        form = form[:-1]  # elided "l'" is counted as "l", as wordfreq's tokenizer does
    return form


def _cefrpy_level(form: str) -> str | None:
    level = _cefrpy().get_average_word_level_CEFR(form)
    return str(level) if level is not None else None


@lru_cache(maxsize=1)
def _cefrpy():
    from cefrpy import CEFRAnalyzer

    return CEFRAnalyzer()


@lru_cache(maxsize=64)
def _frequencies(language: str) -> dict[str, float]:
    import wordfreq

    return wordfreq.get_frequency_dict(language, "best")
