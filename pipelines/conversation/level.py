"""Whether a partner's line keeps to the learner's level, and what language a turn is in.

A word counts at the easier of its two measured levels (cefrpy's list, and the frequency
band of `pipelines.cefr.lexicon`): a word learners meet everywhere is known early whatever
a word list says. A line is above the level when more than a tenth of its words (and more
than one) are above it, or any word is two levels or more above it. Names (capitalised
inside a sentence) and numbers are not counted.
"""

from __future__ import annotations

import re
from typing import Any

from pipelines.cefr import LEVELS, UNKNOWN, word_level, zipf, zipf_to_level

MAX_SHARE_ABOVE = 0.10
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+)([^\W\d_]+)")


def word_difficulty(word: str, language: str) -> str:
    levels = [
        level
        for level in (word_level(word, language), zipf_to_level(zipf(word, language)))
        if level in LEVELS
    ]
    return min(levels, key=LEVELS.index) if levels else UNKNOWN


def vocabulary_check(text: str, language: str, level: str) -> dict[str, Any]:
    """{level_ok, words, above: [words above the level], share_above}."""
    starts = {m.group(1) for m in _SENTENCE_START.finditer(text)}
    limit = LEVELS.index(level)
    counted, above, far = 0, [], False
    for found in _WORD.finditer(text):
        word = found.group(0)
        if word[0].isupper() and word not in starts and word != "I":
            continue  # a name
        difficulty = word_difficulty(word.lower(), language)
        if difficulty == UNKNOWN:
            continue
        counted += 1
        if LEVELS.index(difficulty) > limit:
            above.append(word.lower())
            far = far or LEVELS.index(difficulty) >= limit + 2
    share = round(len(above) / counted, 3) if counted else 0.0
    allowed = max(1, round(MAX_SHARE_ABOVE * counted))
    return {
        "level_ok": not far and len(above) <= allowed,
        "words": counted,
        "above": sorted(set(above)),
        "share_above": share,
    }


def other_language(
    text: str, language: str, candidates: tuple[str, ...] = ("en", "es", "fr", "de", "it", "pt")
) -> str | None:
    """The language a text is written in when it is clearly not `language`, else None: the
    candidate whose word frequencies (mean Zipf over the text's words) are highest, by a
    margin of a whole Zipf point (ten times as frequent) over the session's language."""
    found = [w.lower() for w in _WORD.findall(text)]
    if len(found) < 3:
        return None
    pool = tuple(dict.fromkeys((language, *candidates)))
    means = {c: sum(zipf(w, c) for w in found) / len(found) for c in pool}
    best = max(pool, key=lambda c: means[c])
    return best if best != language and means[best] - means[language] >= 1.0 else None
