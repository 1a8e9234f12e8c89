"""Writing / sentence assessment: CEFR level, sub-scores, error spans, feedback."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import prompts
from pipelines.cefr import (
    analyse_text,
    check_language,
    level_for_score,
    split_sentences,
    text_level,
)
from pipelines.cefr.lexicon import english_tags
from pipelines.errors import PipelineError
from pipelines.llm import LLMProvider
from pipelines.writing.checks import available_checks
from pipelines.writing.edits import readable_edits
from pipelines.writing.names import NAMES
from pipelines.writing.scoring import accuracy, overall_score, sub_scores
from pipelines.writing.spans import CheckContext, TextError

DEFAULT_MAX_CHARS = 10_000
# The offline method and its version, recorded as the job's model: the rule-based checks
# (spelling ranked by the bigram model of `ngrams.py`, offered only when clearly better
# (`unknown_words.py`; v3; program names in prose and kept inflections: v5; names and code
# that other scripts' texts use, `cross_lingual.py`: v6), irregular forms, names, agreement,
# verb forms, number) and the feature-based CEFR estimate.
OFFLINE_MODEL = "writing-checks-v6"
# Checks whose errors are a word written wrongly: the text is profiled with them fixed.
_WORD_FIXES = frozenset({"spelling", "contractions", "irregular_forms", "confusions", "names"})
Report = Callable[[str, int], None]


@dataclass(frozen=True)
class WritingAssessment:
    language: str
    cefr_level: str
    cefr_confidence: float  # the level estimate's confidence (calibrated for the model)
    cefr_method: str  # what levelled the text: "cefr-text-model-v3" or "heuristic"
    scores: dict[str, int]  # grammar, vocabulary, coherence, task, overall (0-100)
    errors: list[TextError]
    corrected_text: str | None
    corrected_text_source: str | None  # "llm" or "offline" (top replacement of each error)
    feedback: dict[str, Any]  # summary, strengths, improvements
    lexical_profile: dict[str, Any]
    features: dict[str, Any]
    offline_estimate: dict[str, Any]  # level, score, confidence, method, reasons
    checks_run: list[str]
    checks_skipped: dict[str, str]
    provider: str = "offline"
    model: str | None = OFFLINE_MODEL
    prompt_version: str | None = None
    llm_errors_dropped: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def assess_writing(
    text: str,
    language: str,
    *,
    task: str | None = None,
    llm: LLMProvider | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
    report: Report | None = None,
) -> WritingAssessment:
    """Assess a learner's text. Offline engine always runs; an LLM, if given, refines it.

    Raises PipelineError: text_too_long, text_empty, unsupported_language, and from the
    LLM llm_invalid_output (permanent) or TransientError (retry the job).
    """
    if len(text) > max_chars:
        raise PipelineError(
            "text_too_long",
            f"The text has {len(text)} characters; the limit is {max_chars}.",
            details={"characters": len(text), "limit": max_chars},
        )
    language = check_language(language)
    _report(report, "checking", 10)
    checks, skipped = available_checks(language)
    ctx = CheckContext(text, language, split_sentences(text, language))
    if not ctx.tokens:
        raise PipelineError("text_empty", "The text contains no words to assess.")
    errors: list[TextError] = []
    for check in checks.values():
        errors.extend(check(ctx))
    errors = _dedupe(readable_edits(errors, text))
    _report(report, "analysing", 40)
    # Profile the text with its misspellings fixed: a misspelled word is rare in the
    # frequency lists and would otherwise count as advanced vocabulary ("eated", "london").
    spelling = [e for e in errors if e.category == "spelling" or e.check in _WORD_FIXES]
    corrected_spelling = apply_corrections(text, spelling)
    features = analyse_text(corrected_spelling, language)
    estimate = text_level(corrected_spelling, language, features)
    words = features.lexical.tokens
    scores = sub_scores(features, estimate, errors, task, text)
    level = level_for_score(overall_score(estimate, errors, words))
    base = WritingAssessment(
        language=language,
        cefr_level=level,
        cefr_confidence=estimate.confidence,
        cefr_method=estimate.method,
        scores=scores,
        errors=errors,
        corrected_text=apply_corrections(text, errors),
        corrected_text_source="offline",
        feedback=_feedback(level, estimate.confidence, scores, errors, features, text),
        lexical_profile=dataclasses.asdict(features.lexical),
        features={
            "characters": features.characters,
            "words": words,
            "sentences": features.sentences,
            "mean_sentence_length": features.mean_sentence_length,
            "subordination_ratio": features.subordination_ratio,
            "connector_ratio": features.connector_ratio,
            "accuracy": round(accuracy(errors, words), 1),
        },
        offline_estimate={
            "level": estimate.level,
            "score": estimate.score,
            "confidence": estimate.confidence,
            "method": estimate.method,
            "probabilities": estimate.probabilities,
            "reasons": estimate.reasons,
            "components": estimate.components,
        },
        checks_run=list(checks),
        checks_skipped=skipped,
    )
    if llm is None:
        _report(report, "done", 100)
        return base
    _report(report, "llm", 60)
    return _with_llm(base, text, task, llm)


def apply_corrections(text: str, errors: list[TextError]) -> str:
    """The text with each error's first replacement applied (non-overlapping, left to right)."""
    out, pos = [], 0
    for err in sorted(errors, key=lambda e: (e.offset, e.length)):
        if not err.replacements or err.offset < pos:
            continue
        out.append(text[pos : err.offset])
        out.append(err.replacements[0])
        pos = err.offset + err.length
    out.append(text[pos:])
    return "".join(out)


def _with_llm(
    base: WritingAssessment, text: str, task: str | None, llm: LLMProvider
) -> WritingAssessment:
    measured = {
        "offline_cefr_estimate": {
            k: base.offline_estimate[k] for k in ("level", "score", "confidence")
        },
        "offline_scores": base.scores,
        "features": base.features,
        "level_shares": base.lexical_profile["level_shares"],
        "errors_found_offline": [
            {"offset": e.offset, "length": e.length, "category": e.category, "message": e.message}
            for e in base.errors[:40]
        ],
    }
    prompt = prompts.render(
        "writing_assessment",
        language=prompts.language_name(base.language),
        task=task or "none",
        text=text,
        measured=measured,
    )
    result = llm.generate_json(prompt)
    data = result.data
    llm_errors, dropped = anchor_llm_errors(text, data["errors"])
    merged = _dedupe([*base.errors, *llm_errors])
    # The model's probability of the LLM's level, when there is one: how far the fitted model
    # agrees with it (a heuristic estimate has no probabilities, so its confidence stays).
    probabilities = base.offline_estimate.get("probabilities") or {}
    return dataclasses.replace(
        base,
        cefr_level=data["cefr_level"],
        cefr_method="llm",
        cefr_confidence=probabilities.get(data["cefr_level"], base.cefr_confidence),
        scores={k: int(v) for k, v in data["scores"].items()},
        errors=merged,
        corrected_text=data["corrected_text"] or base.corrected_text,
        corrected_text_source="llm" if data["corrected_text"] else "offline",
        feedback=data["feedback"],
        provider=result.provider,
        model=result.model,
        prompt_version=result.prompt_version,
        llm_errors_dropped=dropped,
    )


def anchor_llm_errors(text: str, items: list[dict[str, Any]]) -> tuple[list[TextError], int]:
    """Place the model's errors on the text; models miscount offsets, so `original` decides.

    An error whose `original` is found at its offset is kept; otherwise the occurrence
    nearest to the given offset is used; an error whose text is not in the learner's text at
    all is dropped and counted.
    """
    kept: list[TextError] = []
    dropped = 0
    for item in items:
        original = item.get("original") or ""
        offset, length = int(item["offset"]), int(item["length"])
        if original:
            if text[offset : offset + len(original)] != original:
                found = _occurrences(text, original)
                if not found:
                    dropped += 1
                    continue
                offset = min(found, key=lambda pos: (abs(pos - offset), pos))
            length = len(original)
        elif offset + length > len(text):
            dropped += 1
            continue
        kept.append(
            TextError(
                offset=offset,
                length=length,
                message=item["message"],
                category=item["category"],
                replacements=list(item.get("replacements") or [])[:3],
                check="llm",
                source="llm",
            )
        )
    return kept, dropped


def _occurrences(text: str, needle: str) -> list[int]:
    found, pos = [], text.find(needle)
    while pos >= 0:
        found.append(pos)
        pos = text.find(needle, pos + 1)
    return found


def _dedupe(errors: list[TextError]) -> list[TextError]:
    """Sorted by position; of overlapping errors the first reported (offline first) wins."""
    kept: list[TextError] = []
    for err in errors:
        end = err.offset + max(err.length, 1)
        if any(err.offset < k.offset + max(k.length, 1) and k.offset < end for k in kept):
            continue
        kept.append(err)
    return sorted(kept, key=lambda e: (e.offset, e.length))


def _feedback(
    level: str,
    confidence: float,
    scores: dict[str, int],
    errors: list[TextError],
    features: Any,
    text: str,
) -> dict[str, Any]:
    named = {
        "grammar": "grammar",
        "vocabulary": "vocabulary range",
        "coherence": "linking and organisation",
        "task": "task completion",
    }
    ranked = sorted(named, key=lambda k: -scores[k])
    strengths = [f"Good {named[k]} ({scores[k]}/100)." for k in ranked if scores[k] >= 60]
    advanced = _strength_words(features.lexical.advanced_words, errors, text, features.language)
    if advanced:
        strengths.append("Advanced words: " + ", ".join(advanced[:4]) + ".")
    improvements = []
    by_category = Counter(e.category for e in errors)
    for category, count in by_category.most_common():
        of_kind = [e for e in errors if e.category == category]
        if category in ("spelling", "word_choice", "grammar"):
            words = sorted({text[e.offset : e.offset + e.length].strip() for e in of_kind})
            shown = ", ".join(repr(w) for w in words if w)[:120]
        else:
            shown = of_kind[0].message
        improvements.append(f"{count} {category.replace('_', ' ')} issue(s): {shown}")
    for k in reversed(ranked):
        if scores[k] < 50:
            improvements.append(_advice(k, features))
    summary = (
        f"Estimated level {level} (overall {scores['overall']}/100, confidence "
        f"{confidence:.0%}); {len(errors)} issue(s) found in {features.lexical.tokens} words."
    )
    return {"summary": summary, "strengths": strengths, "improvements": improvements}


def _strength_words(
    words: list[str], errors: list[TextError], text: str, language: str
) -> list[str]:
    """Advanced words worth praising: written correctly in the learner's own text (no error
    touches any occurrence), and for English listed in cefrpy's graded vocabulary, so an
    unknown word is never praised for being rare."""
    flagged = {text[e.offset : e.offset + e.length].strip().lower() for e in errors}
    as_written = {w.lower() for w in text.split()}
    kept = []
    for word in words:
        if word in flagged or word in NAMES:
            continue
        if not any(word in w for w in as_written):
            continue  # only in the corrected text
        if language == "en" and not english_tags(word):
            continue
        kept.append(word)
    return kept


def _advice(key: str, features: Any) -> str:
    if key == "coherence":
        return (
            f"Link your ideas: {features.connectors} linking word(s) in {features.sentences} "
            "sentence(s); try 'however', 'because', 'for example'."
        )
    if key == "vocabulary":
        return (
            f"Vary your vocabulary: lexical diversity (MTLD) is {features.lexical.mtld:.0f}; "
            "use more precise, less frequent words."
        )
    if key == "grammar":
        return (
            f"Build longer sentences: {features.mean_sentence_length:.1f} words on average and "
            f"{features.subordination_ratio:.2f} subordinate clauses per sentence."
        )
    return f"Answer the task more fully: {features.lexical.tokens} words so far."


def _report(report: Report | None, stage: str, progress: int) -> None:
    if report is not None:
        report(stage, progress)
