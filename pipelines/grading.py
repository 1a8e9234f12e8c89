"""Exercise items: checking what an author wrote, and grading a learner's answers.

Plain Python on plain values (no database): `check_items` validates items as authored and
`grade` scores one answer of an objective item. Assessed items (`free_writing`,
`speaking`) are graded by the writing and speaking assessment jobs; `assessed_score` turns
such a job's result into the item's points.

Item types and their answers:

- multiple_choice: `options` (2..20), `correct` (indexes, at least one); answer: an index,
  or a list of indexes when several are correct.
- gap_fill: `text` with one `___` per gap, `gaps` (accepted variants per gap); answer: a
  list of strings, one per gap.
- ordering: `options`, `correct_order` (a permutation of their indexes); answer: a list of
  indexes.
- matching: `left`, `right`, `pairs` ([left, right] index pairs, each left once); answer: a
  list, the right index for each left.
- free_writing: `prompt`, `language`, optional `min_words`; answer: the text.
- speaking: `prompt`, `language`, `mode` free or reading (`reference_text` to read);
  answer: `{"media_id"}` of a recording.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

OBJECTIVE_TYPES = ("multiple_choice", "gap_fill", "ordering", "matching")
ASSESSED_TYPES = ("free_writing", "speaking")
ITEM_TYPES = OBJECTIVE_TYPES + ASSESSED_TYPES
MAX_ITEMS = 100
MAX_OPTIONS = 20
GAP = "___"
SPEAKING_MODES = ("free", "reading")


@dataclass(frozen=True)
class ItemProblem:
    item: str
    code: str
    message: str


def _problem(item: str, code: str, message: str) -> ItemProblem:
    return ItemProblem(item, code, message)


def _is_index_list(value: Any, size: int) -> bool:
    return isinstance(value, list) and all(
        isinstance(i, int) and not isinstance(i, bool) and 0 <= i < size for i in value
    )


def _strings(value: Any, *, at_least: int = 1) -> bool:
    return (
        isinstance(value, list)
        and len(value) >= at_least
        and all(isinstance(v, str) and v.strip() for v in value)
    )


def check_items(items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[ItemProblem]]:
    """The items with ids and points filled in, and every problem found (each names its
    item). Codes: item_type, item_id_duplicate, item_prompt, options, no_correct_answer,
    gaps, ordering, matching, language, reference_text, points."""
    problems: list[ItemProblem] = []
    checked: list[dict[str, Any]] = []
    seen: set[str] = set()
    if len(items) > MAX_ITEMS:
        problems.append(_problem("", "too_many_items", f"At most {MAX_ITEMS} items."))
    for index, raw in enumerate(items, start=1):
        item = dict(raw)
        item_id = str(item.get("id") or f"i{index}")
        item["id"] = item_id
        if item_id in seen:
            problems.append(_problem(item_id, "item_id_duplicate", "Item ids must be unique."))
        seen.add(item_id)
        kind = item.get("type")
        if kind not in ITEM_TYPES:
            problems.append(
                _problem(item_id, "item_type", f"type must be one of {', '.join(ITEM_TYPES)}.")
            )
            continue
        points = item.setdefault("points", 1)
        if (
            isinstance(points, bool)
            or not isinstance(points, int | float)
            or not (0 < points <= 100)
        ):
            problems.append(_problem(item_id, "points", "points must be in (0, 100]."))
        if not isinstance(item.get("prompt", ""), str):
            problems.append(_problem(item_id, "item_prompt", "prompt must be text."))
        problems.extend(_CHECKS[kind](item))
        checked.append(item)
    return checked, problems


def _check_choice(item: dict[str, Any]) -> list[ItemProblem]:
    options, correct = item.get("options"), item.get("correct")
    if not _strings(options, at_least=2) or len(options) > MAX_OPTIONS:
        return [_problem(item["id"], "options", f"2 to {MAX_OPTIONS} non-empty options.")]
    if isinstance(correct, int) and not isinstance(correct, bool):
        correct = item["correct"] = [correct]
    if not _is_index_list(correct, len(options)) or not correct:
        return [
            _problem(
                item["id"],
                "no_correct_answer",
                "correct must name at least one option by its index.",
            )
        ]
    item["correct"] = sorted(set(correct))
    return []


def _check_gaps(item: dict[str, Any]) -> list[ItemProblem]:
    gaps, text = item.get("gaps"), item.get("text")
    if not isinstance(gaps, list) or not gaps or not all(_strings(g) for g in gaps):
        return [
            _problem(
                item["id"],
                "no_correct_answer",
                "gaps must list, for each gap, at least one accepted answer.",
            )
        ]
    if not isinstance(text, str) or text.count(GAP) != len(gaps):
        return [_problem(item["id"], "gaps", f"text must hold one {GAP} per gap ({len(gaps)}).")]
    return []


def _check_ordering(item: dict[str, Any]) -> list[ItemProblem]:
    options, order = item.get("options"), item.get("correct_order")
    if not _strings(options, at_least=2) or len(options) > MAX_OPTIONS:
        return [_problem(item["id"], "options", f"2 to {MAX_OPTIONS} non-empty options.")]
    if not _is_index_list(order, len(options)) or sorted(order) != list(range(len(options))):
        return [
            _problem(
                item["id"],
                "no_correct_answer",
                "correct_order must be a permutation of the option indexes.",
            )
        ]
    return []


def _check_matching(item: dict[str, Any]) -> list[ItemProblem]:
    left, right, pairs = item.get("left"), item.get("right"), item.get("pairs")
    if (
        not _strings(left, at_least=2)
        or not _strings(right, at_least=2)
        or max(len(left), len(right)) > MAX_OPTIONS
    ):
        return [_problem(item["id"], "options", "left and right need 2 to 20 entries each.")]
    if (
        not isinstance(pairs, list)
        or not pairs
        or not all(
            isinstance(p, list)
            and len(p) == 2
            and _is_index_list([p[0]], len(left))
            and _is_index_list([p[1]], len(right))
            for p in pairs
        )
    ):
        return [
            _problem(item["id"], "no_correct_answer", "pairs must list [left, right] index pairs.")
        ]
    lefts = [p[0] for p in pairs]
    if sorted(lefts) != list(range(len(left))) or len({p[1] for p in pairs}) != len(pairs):
        return [
            _problem(
                item["id"],
                "matching",
                "each left entry is paired exactly once, each right at most once.",
            )
        ]
    return []


def _check_writing(item: dict[str, Any]) -> list[ItemProblem]:
    if not isinstance(item.get("language"), str) or not item["language"]:
        return [_problem(item["id"], "language", "An assessed item names its language.")]
    return []


def _check_speaking(item: dict[str, Any]) -> list[ItemProblem]:
    problems = _check_writing(item)
    mode = item.setdefault("mode", "free")
    if mode not in SPEAKING_MODES:
        problems.append(_problem(item["id"], "item_type", "mode must be free or reading."))
    elif mode == "reading" and not (
        isinstance(item.get("reference_text"), str) and item["reference_text"].strip()
    ):
        problems.append(
            _problem(
                item["id"], "reference_text", "A reading item needs the reference_text to read."
            )
        )
    return problems


_CHECKS = {
    "multiple_choice": _check_choice,
    "gap_fill": _check_gaps,
    "ordering": _check_ordering,
    "matching": _check_matching,
    "free_writing": _check_writing,
    "speaking": _check_speaking,
}

# What learners may see of an item (the answers stay with the author).
ANSWER_KEYS = ("correct", "gaps", "correct_order", "pairs")


def public_item(item: Mapping[str, Any]) -> dict[str, Any]:
    shown = {k: v for k, v in item.items() if k not in ANSWER_KEYS}
    if item.get("type") == "gap_fill":
        shown["gap_count"] = len(item.get("gaps") or [])
    if item.get("type") == "multiple_choice":
        shown["multiple"] = len(item.get("correct") or []) > 1
    return shown


# Grading -----------------------------------------------------------------------------


class AnswerError(ValueError):
    """An answer of the wrong type or shape for its item."""

    def __init__(self, item: str, message: str) -> None:
        super().__init__(message)
        self.item = item


_SPACES = re.compile(r"\s+")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


def normalise(text: str, *, case_sensitive: bool = False) -> str:
    """Compare typed answers as a reader would: Unicode NFC, straight quotes, single
    spaces, no surrounding space or final full stop, case folded unless it matters."""
    value = unicodedata.normalize("NFC", text).translate(_QUOTES)
    value = _SPACES.sub(" ", value).strip().rstrip(".").strip()
    return value if case_sensitive else value.casefold()


def grade(item: Mapping[str, Any], answer: Any) -> dict[str, Any]:
    """The result of one objective item: score, max_score, correct, and per part for gaps
    and matching. None as the answer scores 0 (unanswered)."""
    kind, points = item["type"], float(item.get("points", 1))
    if answer is None:
        return {
            "item_id": item["id"],
            "type": kind,
            "score": 0.0,
            "max_score": points,
            "correct": False,
            "answered": False,
        }
    fraction, parts = _GRADERS[kind](item, answer)
    result = {
        "item_id": item["id"],
        "type": kind,
        "score": round(points * fraction, 4),
        "max_score": points,
        "correct": fraction == 1.0,
        "answered": True,
    }
    if parts is not None:
        result["parts"] = parts
    return result


def _indexes(item: Mapping[str, Any], answer: Any, size: int) -> list[int]:
    if not _is_index_list(answer, size):
        raise AnswerError(item["id"], f"expected a list of indexes below {size}")
    return answer


def _grade_choice(item: Mapping[str, Any], answer: Any) -> tuple[float, None]:
    size = len(item["options"])
    if isinstance(answer, int) and not isinstance(answer, bool):
        answer = [answer]
    chosen = _indexes(item, answer, size)
    return (1.0 if sorted(set(chosen)) == list(item["correct"]) else 0.0), None


def _grade_gaps(item: Mapping[str, Any], answer: Any) -> tuple[float, list[bool]]:
    gaps = item["gaps"]
    if (
        not isinstance(answer, list)
        or len(answer) != len(gaps)
        or not all(isinstance(a, str) for a in answer)
    ):
        raise AnswerError(item["id"], f"expected a list of {len(gaps)} strings, one per gap")
    strict = bool(item.get("case_sensitive"))
    parts = [
        normalise(given, case_sensitive=strict)
        in {normalise(v, case_sensitive=strict) for v in accepted}
        for given, accepted in zip(answer, gaps, strict=True)
    ]
    return sum(parts) / len(parts), parts


def _grade_ordering(item: Mapping[str, Any], answer: Any) -> tuple[float, None]:
    chosen = _indexes(item, answer, len(item["options"]))
    return (1.0 if chosen == list(item["correct_order"]) else 0.0), None


def _grade_matching(item: Mapping[str, Any], answer: Any) -> tuple[float, list[bool]]:
    left, right = item["left"], item["right"]
    if not isinstance(answer, list) or len(answer) != len(left):
        raise AnswerError(item["id"], f"expected a list of {len(left)} right-hand indexes")
    chosen = _indexes(item, answer, len(right))
    expected = {p[0]: p[1] for p in item["pairs"]}
    parts = [chosen[i] == expected[i] for i in range(len(left))]
    return sum(parts) / len(parts), parts


_GRADERS = {
    "multiple_choice": _grade_choice,
    "gap_fill": _grade_gaps,
    "ordering": _grade_ordering,
    "matching": _grade_matching,
}


def check_assessed_answer(item: Mapping[str, Any], answer: Any) -> None:
    """An assessed item's answer has the right shape (the text, or a recording's id)."""
    if item["type"] == "free_writing":
        if not isinstance(answer, str) or not answer.strip():
            raise AnswerError(item["id"], "expected the written text")
        minimum = item.get("min_words")
        if isinstance(minimum, int) and len(answer.split()) < minimum:
            raise AnswerError(item["id"], f"write at least {minimum} words")
    elif not (
        isinstance(answer, Mapping)
        and isinstance(answer.get("media_id"), str)
        and answer["media_id"]
    ):
        raise AnswerError(item["id"], 'expected {"media_id": "<a recording>"}')


def assessed_score(points: float, result: Mapping[str, Any] | None) -> float | None:
    """Points from an assessment job's result (its overall score, 0-100); None when the
    result has no score."""
    scores = (result or {}).get("scores")
    overall = scores.get("overall") if isinstance(scores, Mapping) else None
    if isinstance(overall, bool) or not isinstance(overall, int | float):
        return None
    return round(points * max(0.0, min(100.0, float(overall))) / 100.0, 4)
