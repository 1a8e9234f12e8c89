"""Speaking assessment: a CEFR level and sub-scores from a transcript and its timing.

The offline scorer ("speaking-rules-v1") turns measurements into 0-100 sub-scores. Each
measure is scaled linearly between a floor (0 points) and a target (100 points), clipped:

| criterion     | measure (weight)                                    | floor -> target       |
|---------------|-----------------------------------------------------|-----------------------|
| pronunciation | English: the accuracy score of pipelines.pronunciation (phone-level      |
|               | goodness of pronunciation, fitted on expert ratings); not judged, none   |
|               | other languages: mean word confidence (0.7)         | 0.55 -> 0.95          |
|               | share of words with confidence >= 0.5 (0.3)         | 60% -> 100%           |
|               | scripted reading: half of it is reading accuracy    | 0% -> 100%            |
| fluency       | speech rate, words/min (0.35)                       | 50 -> 140             |
|               |   (Japanese and Chinese: syllables or morae per s)  | 2.0 -> 6.0            |
|               | mean length of run, words (0.25)                    | 2 -> 10               |
|               | pause time / speech span (0.15)                     | 50% -> 10%            |
|               | pauses over 1 s per minute (0.15)                   | 6 -> 0                |
|               | fillers per 100 words (0.10)                        | 15 -> 2               |
| vocabulary    | CEFR vocabulary indicator (0.7), MTLD (0.3)         | see pipelines.cefr    |
| grammar       | CEFR sentence-length and subordination indicators   | see pipelines.cefr    |
| coherence     | connectors per sentence (0.5)                       | 0 -> 0.6              |
|               | sentences (0.3)                                     | 1 -> 5                |
|               | with a task: share of its key words used (0.2)      | 0% -> 100%            |
|               | scripted reading: completeness of the reading       | 0% -> 100%            |

Overall = 0.50 x the CEFR language score of the transcript (pipelines.cefr.estimate_level)
+ 0.25 x fluency + 0.15 x pronunciation + 0.10 x coherence. The CEFR level is the band of the
overall score (the bands of pipelines.cefr), but never more than one band above the level of
the language itself nor above the band of the fluency score: fast, clear speech in A1 words is
not B2. Grammar accuracy is not judged offline: the recogniser writes what it expects to hear
and smooths many errors away, so grammar measures complexity only. Confidence is the language
estimate's confidence (lower for short answers) times the agreement between language and
fluency scores. In a scripted reading the language score is that of the text read, i.e. its
difficulty: reading a C1 text accurately shows more than reading an A1 one.

With an LLM provider, the `speaking_assessment` prompt receives these measurements and the
offline scores as evidence; its validated answer gives the scores, level and feedback, and the
offline scores stay in `measured_scores`.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import prompts
from pipelines.cefr import (
    CefrEstimate,
    TextFeatures,
    analyse_text,
    estimate_level,
    level_for_score,
)
from pipelines.cefr.estimate import BANDS
from pipelines.errors import PipelineError
from pipelines.fluency import FluencyMetrics, measure_fluency
from pipelines.llm import LLMProvider
from pipelines.transcription.alignment import UNSPACED_LANGUAGES, Alignment, align_text
from pipelines.transcription.types import Transcript
from pipelines.writing.scoring import task_coverage

OFFLINE_PROVIDER = "offline"
OFFLINE_MODEL = "speaking-rules-v1"
PROMPT_NAME = "speaking_assessment"
CRITERIA = ("pronunciation", "fluency", "vocabulary", "grammar", "coherence", "overall")
LOW_CONFIDENCE = 0.5
OVERALL_WEIGHTS = {"language": 0.50, "fluency": 0.25, "pronunciation": 0.15, "coherence": 0.10}
LEVELS = tuple(level for _, level in BANDS)

Report = Callable[[str, int], None]


@dataclass(frozen=True)
class ReadingResult:
    """How a scripted reading matched its reference text (percentages 0-100)."""

    completeness: float
    accuracy: float
    word_error_rate: float
    reference_words: int
    omitted: list[str] = field(default_factory=list)
    inserted: list[str] = field(default_factory=list)
    substituted: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class SpeakingAssessment:
    language: str
    cefr_level: str
    cefr_score: float
    cefr_confidence: float
    scores: dict[str, int | None]
    feedback: dict[str, str]
    summary: str
    fluency: FluencyMetrics
    measured_scores: dict[str, int | None]
    features: dict[str, Any]
    reading: ReadingResult | None = None
    pronunciation: dict[str, Any] | None = None  # pipelines.pronunciation's result
    provider: str = OFFLINE_PROVIDER
    model: str = OFFLINE_MODEL
    prompt_version: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def assess_speaking(
    transcript: Transcript,
    *,
    language: str | None = None,
    reference_text: str | None = None,
    prompt_text: str | None = None,
    pronunciation: dict[str, Any] | None = None,
    llm: LLMProvider | None = None,
    report: Report | None = None,
) -> SpeakingAssessment:
    """Score a transcript; with `llm`, ask it with the measurements as evidence.

    `pronunciation` is the recording's `pipelines.pronunciation` result (as a dict): its
    word decisions make the reading check and its accuracy the pronunciation score."""
    language = (language or transcript.language or "").split("-")[0].lower()
    if not transcript.words or not transcript.text.strip():
        raise PipelineError("no_speech_detected", "The transcript has no words to assess.")
    fluency = measure_fluency(transcript.words, language, transcript.duration)
    if report:
        report("scoring", 20)
    text_features = analyse_text(transcript.text, language)
    estimate = estimate_level(text_features)
    reading = _reading(reference_text, transcript.text, language, pronunciation)
    if report:
        report("scoring", 50)
    offline = _offline(transcript, fluency, text_features, estimate, reading, prompt_text,
                       pronunciation)
    if llm is None:
        if report:
            report("scoring", 100)
        return offline
    answer = llm.generate_json(_render_prompt(offline, transcript, reference_text, prompt_text))
    if report:
        report("scoring", 100)
    data = answer.data
    overall = int(data["scores"]["overall"])
    return SpeakingAssessment(
        language=language,
        cefr_level=data["cefr_level"],
        cefr_score=float(overall),
        cefr_confidence=offline.cefr_confidence,
        scores={k: int(data["scores"][k]) for k in CRITERIA},
        feedback={k: str(data["feedback"][k]) for k in CRITERIA},
        summary=str(data["summary"]),
        fluency=fluency,
        measured_scores=offline.scores,
        features=offline.features,
        reading=reading,
        pronunciation=pronunciation,
        provider=answer.provider,
        model=answer.model,
        prompt_version=answer.prompt_version,
    )


def _scale(value: float, floor: float, target: float) -> float:
    """Linear 0-100 between floor and target (either may be the larger), clipped."""
    if target == floor:
        return 100.0 if value >= target else 0.0
    return max(0.0, min(100.0, (value - floor) / (target - floor) * 100))


def _reading(
    reference: str | None, said: str, language: str, pronunciation: dict[str, Any] | None
) -> ReadingResult | None:
    if not reference or not reference.strip():
        return None
    measured = pronunciation or {}
    if measured.get("judged") and measured.get("completeness") is not None:
        return _reading_from_words(measured["words"])
    alignment: Alignment = align_text(reference, said, language)
    return ReadingResult(
        completeness=round(alignment.completeness * 100, 1),
        accuracy=round(alignment.accuracy * 100, 1),
        word_error_rate=round(alignment.word_error_rate, 3),
        reference_words=len(alignment.reference),
        omitted=alignment.omitted,
        inserted=alignment.inserted,
        substituted=[{"expected": s.expected, "said": s.said} for s in alignment.substituted],
    )


def _reading_from_words(words: list[dict[str, Any]]) -> ReadingResult:
    """The reading check from the acoustic word decisions (pipelines.pronunciation): a word
    the recogniser missed but the audio holds counts as read."""
    reference = [w for w in words if w["error_type"] not in ("insertion", "repetition")]
    omitted = [w["word"] for w in reference if w["error_type"] == "omission"]
    inserted = [w["word"] for w in words if w["error_type"] in ("insertion", "repetition")]
    substituted = [{"expected": w["word"], "said": w["heard_as"] or ""}
                   for w in reference if w["error_type"] == "substitution"]  # fmt: skip
    read = len(reference) - len(omitted)
    correct = read - len(substituted)
    said = read + len(inserted)
    errors = len(omitted) + len(inserted) + len(substituted)
    return ReadingResult(
        completeness=round(100 * read / max(1, len(reference)), 1),
        accuracy=round(100 * correct / said, 1) if said else 0.0,
        word_error_rate=round(errors / max(1, len(reference)), 3),
        reference_words=len(reference), omitted=omitted, inserted=inserted,
        substituted=substituted,
    )  # fmt: skip


def _offline(
    transcript: Transcript,
    fluency: FluencyMetrics,
    text: TextFeatures,
    estimate: CefrEstimate,
    reading: ReadingResult | None,
    prompt_text: str | None,
    pronunciation: dict[str, Any] | None = None,
) -> SpeakingAssessment:
    language = fluency.language
    scores: dict[str, float | None] = {}
    feedback: dict[str, str] = {}
    scores["pronunciation"], feedback["pronunciation"] = _pronunciation(
        transcript, reading, pronunciation
    )
    scores["fluency"], feedback["fluency"] = _fluency(fluency)
    comp = estimate.components
    lex = text.lexical
    scores["vocabulary"] = 0.7 * comp["vocabulary"] + 0.3 * comp["diversity"]
    advanced = ", ".join(lex.advanced_words[:5])
    feedback["vocabulary"] = (
        f"{lex.advanced_share:.0%} of recognised words are B2 or above; lexical diversity "
        f"(MTLD) {lex.mtld:.0f}, varied speech is usually above 70."
        + (f" Advanced words: {advanced}." if advanced else "")
    )
    scores["grammar"] = (comp["sentence_length"] + comp["subordination"]) / 2
    feedback["grammar"] = (
        f"Mean sentence length {text.mean_sentence_length:.1f} words with "
        f"{text.subordination_ratio:.2f} subordinate clauses per sentence; complex speech "
        "usually has longer sentences with at least one subordinate clause each."
    )
    scores["coherence"], feedback["coherence"] = _coherence(
        text, transcript.text, reading, prompt_text
    )

    delivery = {k: scores[k] for k in ("fluency", "pronunciation", "coherence")}
    parts = {"language": estimate.score, **delivery}
    usable = {k: v for k, v in parts.items() if v is not None}
    weight = sum(OVERALL_WEIGHTS[k] for k in usable)
    overall = sum(OVERALL_WEIGHTS[k] * v for k, v in usable.items()) / weight
    overall, level = _capped(overall, estimate.level, level_for_score(scores["fluency"] or 0.0))
    scores["overall"] = overall
    fluency_score = scores["fluency"] or 0.0
    agreement = 1 - 0.5 * min(1.0, abs(fluency_score - estimate.score) / 100)
    confidence = round(estimate.confidence * agreement, 3)
    feedback["overall"] = (
        f"Estimated level {level} ({overall:.0f}/100): the language of the answer measures "
        f"{estimate.level} ({estimate.score:.0f}/100), fluency {fluency_score:.0f}/100; "
        f"{lex.tokens} words over {fluency.speech_span:.1f} s of speech."
    )
    rounded = {k: (None if scores[k] is None else int(round(scores[k]))) for k in CRITERIA}
    measured = {k: v for k, v in rounded.items() if k != "overall" and v is not None}
    summary = (
        f"Level {level}. Strongest: {max(measured, key=measured.__getitem__)}; "
        f"to work on: {min(measured, key=measured.__getitem__)}."
    )
    return SpeakingAssessment(
        language=language,
        cefr_level=level,
        cefr_score=round(overall, 1),
        cefr_confidence=confidence,
        scores=rounded,
        feedback=feedback,
        summary=summary,
        fluency=fluency,
        measured_scores=dict(rounded),
        features=_features(text, estimate, transcript),
        reading=reading,
        pronunciation=pronunciation,
    )


def _capped(overall: float, language_level: str, fluency_level: str) -> tuple[float, str]:
    """Keep the level within one band of the language level and no higher than fluency's."""
    ceiling = min(LEVELS.index(language_level) + 1, LEVELS.index(fluency_level) + 1)
    ceiling = min(ceiling, len(LEVELS) - 1)
    level = level_for_score(overall)
    if LEVELS.index(level) > ceiling:
        level = LEVELS[ceiling]
        upper = BANDS[ceiling][0] - 1  # rounded for display, it must stay in the band
        overall = min(overall, upper)
    return overall, level


def _pronunciation(
    transcript: Transcript, reading: ReadingResult | None, measured: dict[str, Any] | None = None
) -> tuple[float | None, str]:
    if measured and measured.get("method") != "asr-confidence":
        return _phone_level(measured)
    probabilities = [w.probability for w in transcript.words if w.probability is not None]
    if not probabilities:
        if reading is None:
            return None, "Not measured: the transcription provider gave no word confidence."
        return reading.accuracy, f"{reading.accuracy:.0f}% of the words read matched the text."
    mean = statistics.fmean(probabilities)
    unclear = [w.text for w in transcript.words if (w.probability or 1.0) < LOW_CONFIDENCE]
    clear_share = 1 - len(unclear) / len(probabilities)
    score = 0.7 * _scale(mean, 0.55, 0.95) + 0.3 * _scale(clear_share, 0.6, 1.0)
    text = (
        f"Mean word confidence {mean:.2f}; clear speech is usually above 0.85. "
        f"{len(unclear)} of {_n(len(probabilities), 'word')} "
        f"{'was' if len(unclear) == 1 else 'were'} hard to recognise"
        + (f" ({', '.join(unclear[:5])})." if unclear else ".")
    )
    if reading is not None:
        score = 0.5 * score + 0.5 * reading.accuracy
        text += f" {reading.accuracy:.0f}% of the words read matched the text."
    return score, text


def _phone_level(measured: dict[str, Any]) -> tuple[float | None, str]:
    """The pronunciation sub-score from pipelines.pronunciation (English)."""
    if not measured.get("judged"):
        return None, f"Not judged: {measured.get('message') or measured.get('reason')}"
    flagged = [w["word"] for w in measured["words"]
               if w["error_type"] in ("mispronunciation", "substitution")]  # fmt: skip
    text = (
        f"Pronunciation accuracy {measured['accuracy']}/100 from the sounds of each word "
        f"({measured['method']}); prosody {measured['prosody']}/100. "
        f"{_n(len(flagged), 'word')} to work on"
        + (f": {', '.join(flagged[:5])}." if flagged else ".")
    )
    return float(measured["accuracy"]), text


def _fluency(m: FluencyMetrics) -> tuple[float, str]:
    if m.language in UNSPACED_LANGUAGES:
        unit = "morae" if m.language == "ja" else "syllables"
        rate = _scale(m.speech_rate_sps, 2.0, 6.0)
        rate_text = (
            f"Speech rate {m.speech_rate_sps:.1f} {unit}/s; fluent speech is usually above 5"
        )
    else:
        rate = _scale(m.speech_rate_wpm, 50, 140)
        rate_text = (
            f"Speech rate {m.speech_rate_wpm:.0f} words/min; fluent speech is usually above 120"
        )
    minutes = max(m.speech_span, 1e-6) / 60
    score = (
        0.35 * rate
        + 0.25 * _scale(m.mean_length_of_run, 2, 10)
        + 0.15 * _scale(m.pause_ratio, 0.5, 0.1)
        + 0.15 * _scale(m.long_pause_count / minutes, 6, 0)
        + 0.10 * _scale(m.fillers_per_100_words, 15, 2)
    )
    text = (
        f"{rate_text}. {_n(m.pause_count, 'pause')} ({m.long_pause_count} over 1 s) took "
        f"{m.pause_ratio:.0%} of the time from first to last word; mean run "
        f"{m.mean_length_of_run:.1f} words between pauses, longest {m.longest_run}."
    )
    if m.filler_count:
        fillers = ", ".join(sorted(set(m.fillers))[:4])
        text += f" {_n(m.filler_count, 'filler word')} ({fillers})."
    return score, text


def _coherence(
    text: TextFeatures, said: str, reading: ReadingResult | None, prompt_text: str | None
) -> tuple[float, str]:
    if reading is not None:
        missing = f" Skipped: {', '.join(reading.omitted[:5])}." if reading.omitted else ""
        return reading.completeness, (
            f"Read {reading.completeness:.0f}% of the {reading.reference_words} words of the "
            f"text.{missing}"
        )
    linking = _scale(text.connector_ratio, 0, 0.6)
    development = _scale(text.sentences, 1, 5)
    message = (
        f"{_n(text.connectors, 'linking word')} in {_n(text.sentences, 'sentence')}; "
        "connected speech "
        "usually links most sentences."
    )
    if prompt_text and prompt_text.strip():
        coverage = task_coverage(prompt_text, said, text.language)
        message += f" The answer uses {coverage:.0f}% of the task's key words."
        return 0.5 * linking + 0.3 * development + 0.2 * coverage, message
    return 0.625 * linking + 0.375 * development, message


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _features(text: TextFeatures, estimate: CefrEstimate, transcript: Transcript) -> dict:
    lex = text.lexical
    probabilities = [w.probability for w in transcript.words if w.probability is not None]
    return {
        "lexical": {
            "tokens": lex.tokens,
            "types": lex.types,
            "level_shares": lex.level_shares,
            "mtld": lex.mtld,
            "advanced_share": lex.advanced_share,
            "advanced_words": lex.advanced_words,
        },
        "sentences": text.sentences,
        "mean_sentence_length": text.mean_sentence_length,
        "subordination_ratio": text.subordination_ratio,
        "connector_ratio": text.connector_ratio,
        "language_estimate": {
            "level": estimate.level,
            "score": estimate.score,
            "confidence": estimate.confidence,
            "components": estimate.components,
        },
        "word_confidence": {
            "mean": round(statistics.fmean(probabilities), 4) if probabilities else None,
            "low_confidence_words": [
                w.text for w in transcript.words if (w.probability or 1.0) < LOW_CONFIDENCE
            ],
        },
    }


def _render_prompt(
    offline: SpeakingAssessment,
    transcript: Transcript,
    reference_text: str | None,
    prompt_text: str | None,
) -> prompts.RenderedPrompt:
    m = offline.fluency
    task = prompt_text or ("Read the reference text aloud." if reference_text else "none")
    fluency = {
        "speech_rate_words_per_minute": m.speech_rate_wpm,
        "speech_rate_syllables_per_second": m.speech_rate_sps,
        "articulation_rate_syllables_per_second": m.articulation_rate,
        "pauses_over_250ms": m.pause_count,
        "pauses_over_500ms": m.medium_pause_count,
        "pauses_over_1s": m.long_pause_count,
        "pause_time_share": m.pause_ratio,
        "mean_length_of_run_words": m.mean_length_of_run,
        "longest_run_words": m.longest_run,
        "filler_words": m.fillers,
    }
    if offline.reading is not None:
        fluency["reading"] = asdict(offline.reading)
    return prompts.render(
        PROMPT_NAME,
        language=prompts.language_name(offline.language),
        task=task,
        transcript=transcript.text,
        reference_text=reference_text or "none",
        duration_seconds=round(transcript.duration, 1),
        fluency=fluency,
        word_confidence=offline.features["word_confidence"],
        lexical_profile={
            **offline.features["lexical"],
            "mean_sentence_length": offline.features["mean_sentence_length"],
            "subordinate_clauses_per_sentence": offline.features["subordination_ratio"],
            "language_level_estimate": offline.features["language_estimate"]["level"],
        },
        measured_scores={**offline.measured_scores, "cefr_level": offline.cefr_level},
    )


__all__ = [
    "CRITERIA",
    "OFFLINE_MODEL",
    "OFFLINE_PROVIDER",
    "ReadingResult",
    "SpeakingAssessment",
    "assess_speaking",
]
