"""Feedback at the end of a conversation: corrections per learner turn, the level the
learner showed, and words from the partner's lines worth adding to their word list.

Corrections come from the offline writing checks (`pipelines.writing`), without the
capitalisation and punctuation checks, which judge a transcript's or a chat line's form
rather than the learner's language; the LLM partner's recasts are kept beside them. The
level is the text level (`pipelines.cefr`) of everything the learner said, with each turn's
own; audio turns also get the speaking scorer's level from their transcripts. New words are
the partner's words at the learner's level or the next one that the learner did not use and
that are not in their word list yet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pipelines.cefr import LEVELS, text_level
from pipelines.conversation.level import word_difficulty
from pipelines.errors import PipelineError
from pipelines.speaking import assess_speaking
from pipelines.transcription import Transcript
from pipelines.writing import assess_writing

METHOD = "conversation-feedback-v1"
FORM_CHECKS = ("capitalisation", "final_punctuation", "spacing")
MAX_NEW_WORDS = 12
_WORD = re.compile(r"[^\W\d_]{3,}")
_FUNCTION_WORDS = frozenset(
    "the and you your are was were have has had this that with for from what would like "
    "there here they them their our she his her its who how why when where which will can "
    "could should very".split()
)


@dataclass(frozen=True)
class TurnRecord:
    message_id: str
    position: int
    role: str
    kind: str
    text: str
    transcript: dict[str, Any] | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _corrections(text: str, language: str) -> dict[str, Any]:
    try:
        result = assess_writing(text, language)
    except PipelineError as exc:
        return {"corrections": [], "skipped": exc.code}
    kept = [
        {k: e[k] for k in ("offset", "length", "message", "category", "replacements")}
        for e in result.to_dict()["errors"]
        if e.get("check") not in FORM_CHECKS
    ]
    return {"corrections": kept, "level": result.cefr_level, "corrected_text": _apply(text, kept)}


def _apply(text: str, corrections: list[dict[str, Any]]) -> str:
    for error in sorted(corrections, key=lambda e: -e["offset"]):
        if error["replacements"]:
            start = error["offset"]
            text = text[:start] + error["replacements"][0] + text[start + error["length"] :]
    return text


def _speaking_level(turn: TurnRecord, language: str) -> dict[str, Any] | None:
    if not turn.transcript:
        return None
    try:
        spoken = assess_speaking(Transcript.from_dict(turn.transcript), language=language)
    except PipelineError:
        return None
    return {
        "level": spoken.cefr_level,
        "score": spoken.cefr_score,
        "speech_rate_wpm": spoken.fluency.speech_rate_wpm,
        "method": spoken.cefr_method,
    }


def _new_words(
    turns: list[TurnRecord], language: str, level: str, known: set[str]
) -> list[dict[str, Any]]:
    used = {w.lower() for t in turns if t.role == "learner" for w in _WORD.findall(t.text)}
    wanted = LEVELS[LEVELS.index(level) : LEVELS.index(level) + 2]
    found: dict[str, dict[str, Any]] = {}
    for turn in turns:
        if turn.role != "partner":
            continue
        for word in _WORD.findall(turn.text):
            term = word.lower()
            if (
                term in found
                or term in used
                or term in known
                or term in _FUNCTION_WORDS
                or word[0].isupper()
                and not turn.text.startswith(word)
            ):
                continue
            difficulty = word_difficulty(term, language)
            if difficulty in wanted:
                found[term] = {
                    "term": term,
                    "level": difficulty,
                    "example": turn.text,
                    "message_id": turn.message_id,
                }
    ordered = sorted(found.values(), key=lambda w: (-LEVELS.index(w["level"]), w["term"]))
    return ordered[:MAX_NEW_WORDS]


def session_feedback(
    turns: list[TurnRecord], *, language: str, level: str, known_terms: set[str]
) -> dict[str, Any]:
    learner = [t for t in turns if t.role == "learner" and t.text]
    base = language.split("-")[0]
    per_turn = []
    for turn in learner:
        checked = _corrections(turn.text, base)
        per_turn.append(
            {
                "message_id": turn.message_id,
                "position": turn.position,
                "kind": turn.kind,
                "text": turn.text,
                **checked,
                "speaking": _speaking_level(turn, base) if turn.kind == "audio" else None,
                "other_language": turn.details.get("other_language"),
            }
        )
    recasts = [
        {"message_id": t.message_id, "position": t.position, **t.details["correction"]}
        for t in turns
        if t.role == "partner" and t.details.get("correction")
    ]
    said = " ".join(t.text for t in learner)
    overall = None
    if said:
        estimate = text_level(said, base)
        overall = {
            "level": estimate.level,
            "score": estimate.score,
            "confidence": estimate.confidence,
            "method": estimate.method,
        }
    spoken = [t["speaking"] for t in per_turn if t.get("speaking")]
    return {
        "status": "ready",
        "method": METHOD,
        "session_level": level,
        "turns": per_turn,
        "recasts": recasts,
        "level": {
            "writing": overall,
            "speaking": _median_level(spoken),
            "per_turn": [
                {
                    "position": t["position"],
                    "writing": t.get("level"),
                    "speaking": (t.get("speaking") or {}).get("level"),
                }
                for t in per_turn
            ],
        },
        "vocabulary": _new_words(turns, base, level, known_terms),
        "summary": {
            "learner_turns": len(learner),
            "audio_turns": sum(1 for t in learner if t.kind == "audio"),
            "corrections": sum(len(t["corrections"]) for t in per_turn),
            "other_language_turns": sum(1 for t in per_turn if t["other_language"]),
        },
    }


def _median_level(spoken: list[dict[str, Any]]) -> dict[str, Any] | None:
    if not spoken:
        return None
    ordered = sorted(spoken, key=lambda s: LEVELS.index(s["level"]))
    middle = ordered[len(ordered) // 2]
    return {"level": middle["level"], "turns": len(spoken), "method": middle["method"]}
