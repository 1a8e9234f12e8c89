"""The CEFR level of a text: the fitted model where one exists, the heuristic elsewhere.

    estimate = text_level("I like my dog. He is big.", "en")
    estimate.level, estimate.score, estimate.confidence, estimate.method

English (`cefr-text-model-v3`, see `model`): the level is the model's most probable one,
`confidence` its calibrated probability, `score` a 0-100 value inside that level's band of
`estimate.BANDS` leaning toward the neighbour the probabilities lean to (so scores still mix
with fluency and accuracy as before). Up to 100 words its part fitted on graded texts and on
excerpts of them from 30 words up answers, from 200 words its part fitted on whole texts, and
both in between; its confidence is calibrated per length band on held-out excerpts,
so a short answer gets the (lower) certainty the model has at that length. Below 30 words
nothing was measured: there the probabilities are further shrunk toward uniform in proportion
(a 10-word answer keeps 10/30 of its certainty). Other languages: the
heuristic of `estimate`, `method: "heuristic"`. The heuristic's indicator components are kept
in both cases: the vocabulary and grammar sub-scores and the reasons read them.
"""

from __future__ import annotations

from pipelines.cefr.estimate import BANDS, CefrEstimate, estimate_level
from pipelines.cefr.features import TextFeatures, analyse_text
from pipelines.cefr.lexicon import LEVELS
from pipelines.cefr.model import (
    MODEL_LANGUAGES,
    LevelPrediction,
    band_probability_score,
    default_model,
)

MIN_MODEL_WORDS = 30  # the shortest excerpt the model was fitted and calibrated on
SHORT_TEXT_WORDS = 150  # up to here the levels of excerpts are measured apart (bench quality)


def text_level(text: str, language: str, features: TextFeatures | None = None) -> CefrEstimate:
    """Level a text with the best method its language has (see module docstring)."""
    features = features or analyse_text(text, language)
    heuristic = estimate_level(features)
    if features.language not in MODEL_LANGUAGES or features.lexical.tokens == 0:
        return heuristic
    model = default_model()
    prediction = _shrunk(model.predict_text(text, features), features.lexical.tokens)
    top = sorted(prediction.probabilities.items(), key=lambda kv: -kv[1])[:2]
    reasons = [
        f"Level from the {model.method} model: "
        + ", ".join(f"{lv} {p:.0%}" for lv, p in top)
        + ".",
        *heuristic.reasons,
    ]
    if features.lexical.tokens < MIN_MODEL_WORDS:
        reasons.append(
            f"Only {features.lexical.tokens} words: the model was fitted on texts of "
            f"{MIN_MODEL_WORDS} words or more, so its certainty is reduced."
        )
    elif features.lexical.tokens < SHORT_TEXT_WORDS:
        reasons.append(
            f"A short text ({features.lexical.tokens} words): the confidence is "
            "calibrated on held-out excerpts of about this length."
        )
    return CefrEstimate(
        level=prediction.level,
        score=band_probability_score(prediction, BANDS),
        confidence=prediction.confidence,
        reasons=reasons,
        components=heuristic.components,
        method=model.method,
        probabilities=prediction.probabilities,
    )


def _shrunk(prediction: LevelPrediction, words: int) -> LevelPrediction:
    if words >= MIN_MODEL_WORDS:
        return prediction
    keep = words / MIN_MODEL_WORDS
    probabilities = {
        lv: round(keep * p + (1 - keep) / len(LEVELS), 4)
        for lv, p in prediction.probabilities.items()
    }
    return LevelPrediction(
        level=prediction.level,
        probabilities=probabilities,
        confidence=round(probabilities[prediction.level], 3),
        expected=prediction.expected,
    )
