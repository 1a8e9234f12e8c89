"""From measured features to a CEFR level, a 0-100 score and a confidence: the heuristic.

English texts are levelled by the fitted model (`pipelines.cefr.level`); this table is the
documented fallback for languages without labelled data, and its results say
`method: "heuristic"`. On the English graded texts it was right 42 % of the time and never
answered C1 or C2 (README, "How accurate are the levels?").

The mapping is a weighted sum of four indicators, each scaled linearly between an anchor
typical of A1 writing (0 points) and one typical of C2 writing (100 points), clipped:

| indicator                        | weight | A1 anchor | C2 anchor         | measures            |
|----------------------------------|--------|-----------|-------------------|---------------------|
| mean level of distinct words     | 0.35   | 1.2       | 3.2 en / 3.6 other | vocabulary range    |
| MTLD lexical diversity (cap 150) | 0.15   | 30        | 130               | McCarthy & Jarvis   |
| mean sentence length (words)     | 0.25   | 6 (ja 8)  | 26 (ja 32)        | syntactic length    |
| subordinators per sentence       | 0.25   | 0         | 2.4 / 3.0 Romance | clause complexity   |

Word levels use A1=1 .. C2=6 (see `lexicon`); counting distinct words stops repeated
function words from hiding the rarer ones. Languages profiled by Zipf band rate inflected
forms rarer than English's cefrpy lemmas do, hence the higher vocabulary anchor; Japanese
segmenter words include particles, hence longer sentences; Romance "que/che" opens most
relative and complement clauses, hence the higher subordination anchor.

Score bands, calibrated on graded sample texts (A1..C2 paragraphs in en, es, fr, ja; see
tests/pipelines/text): A1 < 12 <= A2 < 30 <= B1 < 50 <= B2 < 72 <= C1 < 86 <= C2. This is a
screening estimate from surface features, not an exam grade.

Confidence (0-1) is the product of three factors: text length (100 words or more gives full
weight, fewer words proportionally less, never below 0.2), agreement between indicators (1
minus their standard deviation as a share of the scale), and distance of the score from the
nearest band edge (a score on an edge is half as certain as one mid-band).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from pipelines.cefr.features import TextFeatures
from pipelines.cefr.lexicon import LEVELS

BANDS: tuple[tuple[float, str], ...] = (
    (12, "A1"),
    (30, "A2"),
    (50, "B1"),
    (72, "B2"),
    (86, "C1"),
    (101, "C2"),
)
# Languages profiled by Zipf band count inflected forms as rarer words than their lemma, and
# Romance "que/che" marks most relative and complement clauses, so both run higher there.
_ZIPF_VOCABULARY_TOP = 3.6
_CEFRPY_VOCABULARY_TOP = 3.2
_ROMANCE = frozenset({"es", "fr", "it", "pt", "ca"})
WEIGHTS = {"vocabulary": 0.35, "diversity": 0.15, "sentence_length": 0.25, "subordination": 0.25}
MTLD_CAP = 150  # MTLD of short texts runs away; beyond this it says nothing more
FULL_CONFIDENCE_WORDS = 100


HEURISTIC_METHOD = "heuristic"


@dataclass(frozen=True)
class CefrEstimate:
    level: str
    score: float  # 0-100
    confidence: float  # 0-1
    reasons: list[str]
    components: dict[str, float]  # each indicator on the 0-100 scale
    method: str = HEURISTIC_METHOD  # what produced `level`: a fitted model's name or this table
    probabilities: dict[str, float] | None = None  # per level, from a fitted model


def level_for_score(score: float) -> str:
    """The CEFR band of a 0-100 score."""
    for upper, level in BANDS:
        if score < upper:
            return level
    return "C2"


def score_for_level(level: str) -> float:
    """The middle of a level's band on the 0-100 scale (for mixing with other scores)."""
    lower = 0.0
    for upper, name in BANDS:
        if name == level:
            return (lower + min(upper, 100)) / 2
        lower = upper
    raise ValueError(f"unknown CEFR level {level!r}")


def estimate_level(features: TextFeatures) -> CefrEstimate:
    """Map measured features to a CEFR level with a confidence and the reasons for it."""
    lex = features.lexical
    long_lo, long_hi = (8, 32) if features.language == "ja" else (6, 26)
    vocab_top = _CEFRPY_VOCABULARY_TOP if features.language == "en" else _ZIPF_VOCABULARY_TOP
    sub_top = 3.0 if features.language in _ROMANCE else 2.4
    components = {
        "vocabulary": _scale(lex.mean_type_level, 1.2, vocab_top),
        "diversity": _scale(min(lex.mtld, MTLD_CAP), 30, 130),
        "sentence_length": _scale(features.mean_sentence_length, long_lo, long_hi),
        "subordination": _scale(features.subordination_ratio, 0.0, sub_top),
    }
    score = round(sum(components[k] * w for k, w in WEIGHTS.items()), 1)
    if lex.tokens == 0:
        score = 0.0
    level = level_for_score(score)
    return CefrEstimate(
        level=level,
        score=score,
        confidence=_confidence(score, components, lex.tokens),
        reasons=_reasons(features, components),
        components={k: round(v, 1) for k, v in components.items()},
    )


def _scale(value: float, low: float, high: float) -> float:
    return max(0.0, min(100.0, (value - low) / (high - low) * 100))


def _confidence(score: float, components: dict[str, float], words: int) -> float:
    if words == 0:
        return 0.0
    length = max(0.2, min(1.0, words / FULL_CONFIDENCE_WORDS))
    agreement = 1 - min(1.0, statistics.pstdev(components.values()) / 100)
    lower = 0.0
    for upper, _ in BANDS:
        if score < upper:
            break
        lower = upper
    upper = min(upper, 100)
    half = (upper - lower) / 2
    edge = 0.5 + 0.5 * min(1.0, min(score - lower, upper - score) / half) if half else 1.0
    return round(length * agreement * edge, 3)


def _reasons(features: TextFeatures, components: dict[str, float]) -> list[str]:
    lex = features.lexical
    shares = lex.level_shares
    spread = ", ".join(f"{lv} {shares[lv]:.0%}" for lv in LEVELS if shares[lv] > 0)
    reasons = [
        f"{lex.tokens} words in {features.sentences} sentences.",
        f"Vocabulary by level: {spread or 'none recognised'}; "
        f"{lex.advanced_share:.0%} of recognised words are B2 or above.",
        f"Lexical diversity (MTLD) {lex.mtld:.0f}; varied writing is usually above 70.",
        f"Mean sentence length {features.mean_sentence_length:.1f} words.",
        f"{features.subordination_ratio:.2f} subordinate clauses per sentence.",
    ]
    if lex.advanced_words:
        reasons.append("Advanced words used: " + ", ".join(lex.advanced_words[:5]) + ".")
    if lex.tokens < FULL_CONFIDENCE_WORDS:
        reasons.append(
            f"Only {lex.tokens} words: the estimate is less certain below "
            f"{FULL_CONFIDENCE_WORDS} words."
        )
    weakest = min(components, key=components.__getitem__)
    strongest = max(components, key=components.__getitem__)
    reasons.append(
        f"Strongest indicator: {strongest.replace('_', ' ')}; weakest: {weakest.replace('_', ' ')}."
    )
    return reasons
