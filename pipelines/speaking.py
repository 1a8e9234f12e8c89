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
| fluency       | speech rate against a band (0.35), see RATE_BAND_*  | 110-170 wpm full      |
|               |   (Japanese and Chinese: morae or syllables per s)  | 4-7 per s full        |
|               | mean length of run, words (0.25)                    | 2 -> 10               |
|               | pause time / speech span (0.15)                     | 50% -> 10%            |
|               | pauses over 1 s per minute (0.15)                   | 6 -> 0                |
|               | fillers per 100 words (0.10)                        | 15 -> 2               |
| vocabulary    | CEFR vocabulary indicator (0.7), MTLD (0.3)         | see pipelines.cefr    |
| grammar       | CEFR sentence-length and subordination indicators   | see pipelines.cefr    |
| coherence     | linking words per sentence (0.5)                    | 0 -> 0.6              |
|               | sentences (0.3)                                     | 1 -> 5                |
|               | with a task: its key words covered (0.2)            | pipelines.relevance   |
|               | scripted reading: completeness of the reading       | 0% -> 100%            |

Free speech: overall = 0.50 x the CEFR language score of the transcript
(`pipelines.cefr.text_level`: the fitted model for English, on the transcript with comma-
spliced clauses written as sentences, see `spoken_units`) + 0.25 x fluency + 0.15 x
pronunciation + 0.10 x coherence. The level is the band of the overall score, but never above
the level of the language itself nor more than one band above the fluency score's: delivery can
lower a level, not lift it; fast, clear speech in A1 words is not B2. Over 200 words/min
(TOO_FAST_WPM) fluency counts no higher than the language score. An answer that does not
address its task (`pipelines.relevance`: under 20 % of the task's key words) is placed one band
lower. Grammar accuracy is not judged offline: the recogniser writes what it expects to hear
and smooths many errors away, so grammar measures complexity only. Confidence is the language
estimate's confidence (the model's calibrated probability, lower for short answers) times the
agreement between language and fluency.

Scripted reading (`reference_text`): the learner produced none of the words, so vocabulary and
grammar are not judged (null) and the level comes from the reading itself
(`reading-delivery-v1`, see `_reading_level`): reading quality (0.55 x pronunciation + 0.45 x
fluency, times completeness) places it at the level of the text read (measured on the
reference text), one band lower or two. Its confidence is the agreement of pronunciation,
fluency and completeness, reduced for texts under 20 words.

With an LLM provider, the `speaking_assessment` prompt receives these measurements and the
offline scores as evidence; its validated answer gives the scores, level and feedback, and the
offline scores stay in `measured_scores`.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import prompts
from pipelines.cefr import (
    CefrEstimate,
    TextFeatures,
    analyse_text,
    level_for_score,
    text_level,
)
from pipelines.cefr.estimate import BANDS
from pipelines.errors import PipelineError
from pipelines.fluency import FluencyMetrics, measure_fluency
from pipelines.llm import LLMProvider
from pipelines.relevance import Relevance, task_relevance
from pipelines.transcription.alignment import UNSPACED_LANGUAGES, Alignment, align_text
from pipelines.transcription.types import Transcript

OFFLINE_PROVIDER = "offline"
OFFLINE_MODEL = "speaking-rules-v1"
PROMPT_NAME = "speaking_assessment"
CRITERIA = ("pronunciation", "fluency", "vocabulary", "grammar", "coherence", "overall")
LOW_CONFIDENCE = 0.5
OVERALL_WEIGHTS = {"language": 0.50, "fluency": 0.25, "pronunciation": 0.15, "coherence": 0.10}
READING_WEIGHTS = {"pronunciation": 0.55, "fluency": 0.45}
# Reading quality bands: at the text's level, one band lower, two bands lower.
READING_QUALITY_BANDS = ((70.0, 100.0), (45.0, 70.0), (0.0, 45.0))
READING_METHOD = "reading-delivery-v1"
LEVELS = tuple(level for _, level in BANDS)
# Speech rate is scored against a band, not "faster is better". English conversation averages
# about 150 words/min (National Center for Voice and Speech); audiobook narration is paced at
# 150-160. Full marks for 110-170 words/min, none at 50 (halting) or at 260 (a synthetic voice
# at full speed, far past what a listener follows). Japanese morae and Chinese syllables per
# second: full marks for 4-7, none at 2 or 10 (approximate, from published conversational
# rates of 6-8 morae/s for native Japanese).
RATE_BAND_WPM = (110, 170)
RATE_ZERO_WPM = (50, 260)
RATE_BAND_SPS = (4.0, 7.0)
RATE_ZERO_SPS = (2.0, 10.0)
TOO_FAST_WPM = 200  # above this, delivery never lifts the level above the language's own

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
    cefr_method: str  # what levelled the language: "cefr-text-model-v3" or "heuristic"
    scores: dict[str, int | None]
    feedback: dict[str, str]
    summary: str
    fluency: FluencyMetrics
    measured_scores: dict[str, int | None]
    features: dict[str, Any]
    reading: ReadingResult | None = None
    relevance: dict[str, Any] | None = None  # free speech with a task: pipelines.relevance
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
    spoken = spoken_units(transcript.text, language)
    text_features = analyse_text(spoken, language)
    if reference_text and reference_text.strip():
        # A reading shows how the text was read; its words are the text's, so the level it
        # can show is bounded by the text's own level, measured on the text itself.
        estimate = text_level(reference_text, language)
    else:
        estimate = text_level(spoken, language, text_features)
    reading = _reading(reference_text, transcript.text, language, pronunciation)
    if report:
        report("scoring", 50)
    offline = _offline(
        transcript, fluency, text_features, estimate, reading, prompt_text, pronunciation
    )
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
        cefr_method="llm",
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
    substituted = [
        {"expected": w["word"], "said": w["heard_as"] or ""}
        for w in reference
        if w["error_type"] == "substitution"
    ]
    read = len(reference) - len(omitted)
    correct = read - len(substituted)
    said = read + len(inserted)
    errors = len(omitted) + len(inserted) + len(substituted)
    return ReadingResult(
        completeness=round(100 * read / max(1, len(reference)), 1),
        accuracy=round(100 * correct / said, 1) if said else 0.0,
        word_error_rate=round(errors / max(1, len(reference)), 3),
        reference_words=len(reference),
        omitted=omitted,
        inserted=inserted,
        substituted=substituted,
    )


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
    relevance = None
    if prompt_text and prompt_text.strip() and reading is None:
        relevance = task_relevance(prompt_text, transcript.text, language)
    if reading is None:
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
    else:
        scores["vocabulary"] = scores["grammar"] = None
        feedback["vocabulary"] = feedback["grammar"] = (
            "Not judged on a reading task: the words and sentences are the text's, not the "
            "learner's."
        )
    scores["coherence"], feedback["coherence"] = _coherence(text, reading, relevance)

    fluency_score = scores["fluency"] or 0.0
    if reading is not None:
        overall, level, confidence, basis = _reading_level(scores, estimate, reading, fluency)
        method = READING_METHOD
    else:
        overall, level, confidence, basis = _speech_level(scores, estimate, fluency, relevance)
        method = estimate.method
    scores["overall"] = overall
    feedback["overall"] = (
        f"Estimated level {level} ({overall:.0f}/100): {basis}; fluency {fluency_score:.0f}/100; "
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
        cefr_method=method,
        scores=rounded,
        feedback=feedback,
        summary=summary,
        fluency=fluency,
        measured_scores=dict(rounded),
        features=_features(text, estimate, transcript),
        reading=reading,
        relevance=asdict(relevance) if relevance else None,
        pronunciation=pronunciation,
    )


def _speech_level(
    scores: dict[str, float | None],
    estimate: CefrEstimate,
    fluency: FluencyMetrics,
    relevance: Relevance | None,
) -> tuple[float, str, float, str]:
    """Free speech: the language level mixed with delivery, capped (see module docstring)."""
    fluency_score = scores["fluency"] or 0.0
    fast = too_fast(fluency)
    if fast:  # speed never lifts a level: fluency counts no higher than the language
        fluency_score = min(fluency_score, estimate.score)
    parts = {
        "language": estimate.score,
        "fluency": fluency_score,
        "pronunciation": scores["pronunciation"],
        "coherence": scores["coherence"],
    }
    usable = {k: v for k, v in parts.items() if v is not None}
    weight = sum(OVERALL_WEIGHTS[k] for k in usable)
    overall = sum(OVERALL_WEIGHTS[k] * v for k, v in usable.items()) / weight
    ceiling = min(LEVELS.index(estimate.level), LEVELS.index(level_for_score(fluency_score)) + 1)
    overall, level = _capped(overall, ceiling)
    basis = f"the language of the answer measures {estimate.level} ({estimate.score:.0f}/100)"
    if fast:
        basis += f"; speech over {TOO_FAST_WPM} words/min does not raise the level"
    if relevance is not None and relevance.off_topic:
        ceiling = max(0, LEVELS.index(level) - 1)
        overall, level = _capped(overall, ceiling)
        basis += "; the answer does not address the task, so the level is one band lower"
    agreement = 1 - 0.5 * min(1.0, abs((scores["fluency"] or 0.0) - estimate.score) / 100)
    return overall, level, round(estimate.confidence * agreement, 3), basis


def _reading_level(
    scores: dict[str, float | None],
    estimate: CefrEstimate,
    reading: ReadingResult,
    fluency: FluencyMetrics,
) -> tuple[float, str, float, str]:
    """Reading aloud: the level comes from how the text was read, not from its words.

    Quality = (0.55 x pronunciation + 0.45 x fluency) x completeness: skipping half the text
    halves it. Read well (quality >= 70) the reading shows the text's own level; fair (45-70)
    one band lower; poor, two bands lower (never below A1). Never above the text's level:
    reading an A1 text flawlessly shows A1 reading.
    """
    delivery = {"pronunciation": scores["pronunciation"], "fluency": scores["fluency"]}
    usable = {k: v for k, v in delivery.items() if v is not None}
    weight = sum(READING_WEIGHTS[k] for k in usable)
    spoken = sum(READING_WEIGHTS[k] * v for k, v in usable.items()) / weight if usable else 0.0
    quality = spoken * reading.completeness / 100
    text_index = LEVELS.index(estimate.level)
    drop = next(i for i, (floor, _) in enumerate(READING_QUALITY_BANDS) if quality >= floor)
    low, high = READING_QUALITY_BANDS[drop]
    index = max(0, text_index - drop)
    lower = BANDS[index - 1][0] if index else 0.0
    upper = min(BANDS[index][0], 100.0) - 1
    share = max(0.0, min(1.0, (quality - low) / (high - low)))
    overall = round(lower + (upper - lower) * share, 1)
    spread = statistics.pstdev([*usable.values(), reading.completeness]) / 100
    length = min(1.0, reading.reference_words / 20)
    confidence = round(max(0.0, 1 - spread) * length, 3)
    basis = (
        f"the text ({estimate.level}) read with quality {quality:.0f}/100 "
        f"(pronunciation {scores['pronunciation'] or 0:.0f}, fluency "
        f"{scores['fluency'] or 0:.0f}, completeness {reading.completeness:.0f}%)"
    )
    if too_fast(fluency):
        basis += f"; read faster than {TOO_FAST_WPM} words/min"
    return overall, LEVELS[index], confidence, basis


# Whisper punctuates fast speech as run-on sentences joined by commas ("we went to the beach,
# we swam in the sea, my brother bought a hat"); written, these are separate sentences. Spoken
# language is measured in AS-units (Foster, Tonkyn & Wigglesworth 2000): an independent clause
# with its subordinate clauses. A comma followed by a new subject pronoun or possessive opens a
# new unit unless the part before the comma is a fronted subordinate clause ("when I arrived,
# we left"), so that the pace of speech does not change its measured sentence length.
_NEW_SUBJECT = re.compile(
    r",\s+(?=(?:i|you|he|she|we|they|it|there|my|his|her|our|their)\b)", re.IGNORECASE
)
_FRONTED = re.compile(
    r"^(?:when|if|because|although|though|while|after|before|since|as|once|until|unless)\b",
    re.IGNORECASE,
)


def spoken_units(text: str, language: str) -> str:
    """English transcripts with comma-spliced clauses written as sentences (see above)."""
    if language != "en":
        return text
    out: list[str] = []
    start = 0
    for match in _NEW_SUBJECT.finditer(text):
        clause_start = max(text.rfind(mark, 0, match.start()) for mark in ".?!,") + 1
        if _FRONTED.match(text[clause_start : match.start()].strip()):
            continue
        out.append(text[start : match.start()] + ".")
        rest = text[match.end() :]
        out.append(" " + rest[:1].upper())
        start = match.end() + 1
    out.append(text[start:])
    return "".join(out)


def _capped(overall: float, ceiling: int) -> tuple[float, str]:
    """Keep the level at or below LEVELS[ceiling], the score inside that band."""
    ceiling = max(0, min(ceiling, len(LEVELS) - 1))
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
    flagged = [
        w["word"]
        for w in measured["words"]
        if w["error_type"] in ("mispronunciation", "substitution")
    ]
    text = (
        f"Pronunciation accuracy {measured['accuracy']}/100 from the sounds of each word "
        f"({measured['method']}); prosody {measured['prosody']}/100. "
        f"{_n(len(flagged), 'word')} to work on"
        + (f": {', '.join(flagged[:5])}." if flagged else ".")
    )
    return float(measured["accuracy"]), text


def rate_score(m: FluencyMetrics) -> float:
    """0-100 for the speech rate: full marks inside the band, falling linearly to 0 at the
    floor (too slow) and at the ceiling (too fast)."""
    if m.language in UNSPACED_LANGUAGES:
        value, (low, high), (floor, ceiling) = m.speech_rate_sps, RATE_BAND_SPS, RATE_ZERO_SPS
    else:
        value, (low, high), (floor, ceiling) = m.speech_rate_wpm, RATE_BAND_WPM, RATE_ZERO_WPM
    if value < low:
        return _scale(value, floor, low)
    if value > high:
        return _scale(value, ceiling, high)
    return 100.0


def too_fast(m: FluencyMetrics) -> bool:
    """Faster than speed may lift a level (see TOO_FAST_WPM)."""
    if m.language in UNSPACED_LANGUAGES:
        return m.speech_rate_sps > RATE_BAND_SPS[1] + 1.0
    return m.speech_rate_wpm > TOO_FAST_WPM


def _fluency(m: FluencyMetrics) -> tuple[float, str]:
    rate = rate_score(m)
    if m.language in UNSPACED_LANGUAGES:
        unit = "morae" if m.language == "ja" else "syllables"
        low, high = RATE_BAND_SPS
        rate_text = (
            f"Speech rate {m.speech_rate_sps:.1f} {unit}/s; "
            f"fluent speech is usually {low:g}-{high:g}"
        )
    else:
        low, high = RATE_BAND_WPM
        rate_text = (
            f"Speech rate {m.speech_rate_wpm:.0f} words/min; "
            f"fluent, clear speech is usually {low}-{high}"
        )
    if too_fast(m):
        rate_text += " (too fast to follow easily: slow down)"
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
    text: TextFeatures, reading: ReadingResult | None, relevance: Relevance | None
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
        "connected speech usually links most sentences."
    )
    if relevance is not None:
        message += f" The answer covers {relevance.score:.0f}% of the task's key words"
        if relevance.missing:
            message += f" (not mentioned: {', '.join(relevance.missing[:4])})"
        message += "."
        if relevance.off_topic:
            message += " It does not seem to address the task."
        return 0.5 * linking + 0.3 * development + 0.2 * relevance.score, message
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
            "method": estimate.method,
            "probabilities": estimate.probabilities,
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
