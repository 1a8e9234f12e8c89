"""Pronunciation, fluency, completeness and prosody of one recording, per word and phoneme.

English ("gop-pocketsphinx-whisper-v5"): see `measure` (alignment, GOP) and `model` (the
fitted mapping); each clip score is blended with one read from the recording's Whisper
encoder states (`encoder`). Each phone's score is
100 / (1 + exp(-(GOP - PHONE_GOP_CENTRE))): 50 at PHONE_GOP_CENTRE nats per frame below the
best free path, about 88 at -1. A word's accuracy
and the chance that experts would call it mispronounced come from the word model; a flagged
word shows the phones heard (the free phone loop's) against the ones expected.

Error types: "omission" (a reference word the free decode, or without one the primed decode,
did not hear and that the aligner, free to skip it, found no audio for; when every decode
heard another word in its place, it is a "substitution" by that word instead), "insertion" (a word
heard between reference words that the aligner, free to skip it, found audio for),
"repetition" (an inserted word that repeats its neighbour), "substitution" (the recogniser
heard another word and the acoustics agree the reference word was not said right),
"mispronunciation" (the word is there but flagged by the word model), None for a word read
correctly.

Other languages keep the recogniser-confidence method ("asr-confidence"), and a recording that
cannot be judged (too short, not English, reference text not English, audio that matches no
English speech) gets `judged: false` with a reason and no scores.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pipelines.pronunciation.measure import (
    SQUEEZED_FRAMES_PER_PHONE,
    Measurement,
    WordMeasure,
    measure,
    phone_rows,
)
from pipelines.pronunciation.model import CLIP_TARGETS, load_model
from pipelines.pronunciation.phones import strip_stress
from pipelines.transcription.alignment import normalise_tokens
from pipelines.transcription.types import Transcript

METHOD = "gop-pocketsphinx-whisper-v5"
FALLBACK_METHOD = "asr-confidence"
PHONE_GOP_CENTRE = -3.0
MIN_SECONDS = 0.5
OMISSION_GOP = -6.0  # a word the recogniser missed and that fits this badly was not said
# Typical phones this bad, under words the recogniser was unsure of: not English speech, or not
# speech (median phone GOP of the 300 learner clips: -4.6 at worst; short synthetic espeak-ng
# sentences down to about -5.5; music about -7).
UNCLEAR_MEDIAN_GOP = -6.5


@dataclass(frozen=True)
class PhonemeResult:
    phoneme: str
    score: int
    expected: str
    heard: str


@dataclass(frozen=True)
class WordResult:
    word: str
    accuracy: int | None
    error_type: str | None
    start: float | None
    end: float | None
    heard_as: str | None = None
    phonemes: list[PhonemeResult] = field(default_factory=list)


@dataclass(frozen=True)
class PronunciationResult:
    method: str
    judged: bool
    accuracy: int | None = None
    fluency: int | None = None
    completeness: int | None = None
    prosody: int | None = None
    overall: int | None = None
    reason: str | None = None  # a stable code when not judged
    message: str | None = None
    words: list[WordResult] = field(default_factory=list)
    prosody_measures: dict[str, Any] | None = None
    measurements: dict[str, float] = field(default_factory=dict)
    model: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def assess_pronunciation(
    samples: np.ndarray,
    sample_rate: int,
    transcript: Transcript,
    *,
    reference_text: str | None = None,
    language: str | None = None,
    free_transcript: Transcript | None = None,
    whisper_cache_dir: Path | None = None,
) -> PronunciationResult:
    """Score how `transcript`'s recording was pronounced (see the module notes).

    For a reading, `transcript` is the decode primed with the text and `free_transcript`
    (optional) one made without it, which shows insertions and substitutions. The encoder
    states come from the bundled Whisper base model, assembled in `whisper_cache_dir`."""
    language = (language or transcript.language or "").split("-")[0].lower()
    if language != "en":
        return asr_confidence(
            transcript,
            "Phoneme-level scoring exists for English only; "
            "this score is the recogniser's word confidence.",
        )
    duration = samples.size / sample_rate if sample_rate else 0.0
    if duration < MIN_SECONDS:
        return _not_judged(
            "too_short",
            f"The recording lasts {duration:.2f} s; at least {MIN_SECONDS} s of speech is needed.",
        )
    model = load_model()
    if reference_text and not looks_english(reference_text):
        return _not_judged(
            "reference_not_english",
            "Most words of the reference text are not English; its pronunciation cannot be judged.",
        )
    m = measure(samples, sample_rate, transcript, reference_text, free_transcript)
    if m is None or not m.clip:
        return _not_judged(
            "alignment_failed", "The recording could not be aligned to the expected words."
        )
    if m.clip["gop_median"] < UNCLEAR_MEDIAN_GOP and m.clip["confidence_mean"] < 0.5:
        return _not_judged(
            "speech_unclear",
            "The audio does not match English speech of the "
            "expected words (another language, music or noise?).",
            m.clip,
        )
    words = [_word(w, model) for w in m.words]
    words = [w for w in words if w is not None]
    features = dict(m.clip)
    features.update(
        word_summary(model, [_inputs(model, w) for w in m.words if w.kind == "reference"])
    )
    reference = [w for w in m.words if w.kind == "reference"]
    omitted = sum(w.error_type == "omission" for w in words)
    completeness = 100 * (1 - omitted / len(reference)) if m.reading and reference else None
    pooled = None
    if model.encoder is not None:
        from pipelines.pronunciation.encoder import pooled_states, whisper_model

        pooled = pooled_states(samples, sample_rate, whisper_model(whisper_cache_dir))
    scores = {t: model.clip_score(t, features, pooled) for t in CLIP_TARGETS}
    return PronunciationResult(
        method=METHOD,
        judged=True,
        accuracy=round(scores["accuracy"]),
        fluency=round(scores["fluency"]),
        completeness=None if completeness is None else round(completeness),
        prosody=round(scores["prosodic"]),
        overall=round(scores["total"]),
        words=words,
        prosody_measures=m.prosody.to_dict() if m.prosody else None,
        measurements={k: round(v, 4) for k, v in features.items()},
        model=model.label,
    )


def fits_badly(features: dict[str, float], heard: bool) -> bool:
    """A reference word the recogniser did not hear, which the aligner kept (there is speech
    where it should be) but could only squeeze in, or which fits it very badly: something
    else was said in its place."""
    squeezed = features["frames_per_phone"] <= SQUEEZED_FRAMES_PER_PHONE
    return not heard and (squeezed or features["gop_mean"] < OMISSION_GOP)


_OTHER_LANGUAGES = ("es", "fr", "de", "it", "pt", "nl")


def looks_english(text: str) -> bool:
    """Whether the words of `text` are more usual in English than in another European
    language (mean Zipf frequency from wordfreq; the pronouncing dictionary itself holds
    many foreign names, so it cannot tell)."""
    from wordfreq import zipf_frequency

    tokens = [t for t in normalise_tokens(text, "en") if not t.isdigit()]
    if not tokens:
        return False
    english = statistics.fmean(zipf_frequency(t, "en") for t in tokens)
    other = max(
        statistics.fmean(zipf_frequency(t, code) for t in tokens) for code in _OTHER_LANGUAGES
    )
    return english >= other - 0.5


def judge_words(m: Measurement) -> list[WordResult]:
    """Word results of a measurement with the shipped model (for the bench and tests)."""
    model = load_model()
    return [w for w in (_word(x, model) for x in m.words) if w is not None]


def _word(w: WordMeasure, model) -> WordResult | None:
    a = w.aligned
    start, end = (a.start, a.end) if a else (None, None)
    if w.omitted:
        other = said_instead(w)
        if other is not None:
            return WordResult(w.written_clean, 0, "substitution", None, None, other, [])
        return WordResult(w.written_clean, 0, "omission", None, None, None, [])
    if not w.features:
        if w.kind == "inserted":
            return None
        return WordResult(w.written_clean, None, None, start, end)
    x = _inputs(model, w)
    if w.kind == "inserted":
        if w.phantom:
            return None  # the recogniser's invention: nothing in the audio
        error = "insertion"
        accuracy = round(model.word_score(x))
        return WordResult(
            w.text, accuracy, _repetition(w) or error, start, end, w.heard_as, _phonemes(w, True)
        )
    flagged = model.flags(x) or fits_badly(w.features, w.heard)
    accuracy = round(model.word_score(x))
    error = None
    if flagged:
        other = {w.heard_as, w.free_heard} - {None, w.text}
        error = "substitution" if other else "mispronunciation"
    heard = w.heard_as if w.heard_as not in (None, w.text) else w.free_heard
    return WordResult(
        w.written_clean, accuracy, error, start, end, heard or w.heard_as, _phonemes(w, flagged)
    )


def said_instead(w: WordMeasure) -> str | None:
    """The word said in place of a reference word the aligner found no audio for, when every
    decode heard one there (the primed decode, and the free one when given): the word was
    replaced rather than left out."""
    primed = w.heard_as if w.heard_as not in (None, w.text) else None
    if primed is None:
        return None
    if not w.has_free:
        return primed
    return w.free_heard if w.free_heard not in (None, w.text) else None


def _inputs(model, w: WordMeasure) -> dict[str, float]:
    if not w.features or w.aligned is None:
        return {}
    return model.word_inputs(w.features, phone_rows(w.aligned.phones))


def _repetition(w: WordMeasure) -> str | None:
    return "repetition" if w.repeats else None


def _phonemes(w: WordMeasure, show_heard: bool) -> list[PhonemeResult]:
    results = []
    for p in w.aligned.phones:
        score = round(100 / (1 + math.exp(-(p.gop - PHONE_GOP_CENTRE))))
        expected = strip_stress(p.phone)
        heard = p.heard if (show_heard or score < 50) and p.heard else expected
        results.append(PhonemeResult(expected, score, expected, heard))
    return results


SUMMARY = (
    "word_accuracy_mean",
    "word_accuracy_min",
    "flagged_share",
    "mispronounced_mean",
    "phone_z_mean",
    "loop_z_mean",
)


def word_summary(model, rows: list[dict[str, float]]) -> dict[str, float]:
    """Clip features from the word model over the reference words' inputs (`word_inputs`):
    mean and lowest word accuracy, share flagged, mean probability of a mispronunciation,
    mean phone z-scores."""
    rows = [r for r in rows if r]
    if not rows:
        return dict.fromkeys(SUMMARY, 0.0)
    scores = [model.word_score(r) for r in rows]
    flagged = [model.flags(r) for r in rows]
    return {
        "word_accuracy_mean": statistics.fmean(scores),
        "word_accuracy_min": min(scores),
        "flagged_share": sum(flagged) / len(rows),
        "mispronounced_mean": statistics.fmean(model.mispronounced_probability(r) for r in rows),
        "phone_z_mean": statistics.fmean(r.get("phone_z_mean", 0.0) for r in rows),
        "loop_z_mean": statistics.fmean(r.get("loop_z_mean", 0.0) for r in rows),
    }


def _not_judged(reason: str, message: str, measurements: dict | None = None) -> PronunciationResult:
    return PronunciationResult(
        method=METHOD,
        judged=False,
        reason=reason,
        message=message,
        measurements={k: round(v, 4) for k, v in (measurements or {}).items()},
    )


def asr_confidence(transcript: Transcript, message: str) -> PronunciationResult:
    """Today's method for languages without a phone model: the recogniser's word confidence."""
    probabilities = [w.probability for w in transcript.words if w.probability is not None]
    words = [
        WordResult(
            w.text,
            None if w.probability is None else round(w.probability * 100),
            None,
            w.start,
            w.end,
        )
        for w in transcript.words
    ]
    accuracy = round(100 * statistics.fmean(probabilities)) if probabilities else None
    return PronunciationResult(
        method=FALLBACK_METHOD,
        judged=accuracy is not None,
        accuracy=accuracy,
        reason=None if accuracy is not None else "no_confidence",
        message=message,
        words=words,
    )
