"""Spaced-repetition scheduling: SM-2 (Wozniak, 1987) as pure functions.

The algorithm, per review of one word by one learner, with a grade q in 0..5:

- q >= 3 (recalled): the interval becomes 1 day after the first successful repetition,
  6 days after the second, and previous interval * ease (rounded half up) after that; the repetition
  count goes up by one.
- q < 3 (forgotten): the repetition count restarts at 0, the interval at 1 day, and the
  lapse counter goes up by one.
- In both cases the ease factor moves by 0.1 - (5 - q) * (0.08 + (5 - q) * 0.02) and never
  drops below 1.3 (so q=5 adds 0.1, q=4 keeps it, q=3 takes 0.14 off, q=0 takes 0.8 off).
- The word is due again `interval` days after the review.

A yes/no answer maps to a grade: correct -> 4 ("correct after a hesitation", keeps the ease),
incorrect -> 1 ("wrong, but recognised once shown").

One deliberate departure, because a study session can show the same word several times in
a sitting: a correct answer given before the word is due does not advance the schedule (the
state is returned unchanged apart from the review count), so a learner cannot cram a word to
mastery in one evening. A wrong answer always counts as a lapse, due or not.

Mastery: a word is mastered when its interval has reached MASTERY_INTERVAL_DAYS (21), i.e.
the learner has recalled it across roughly a month of spaced reviews without a lapse since.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

INITIAL_EASE = 2.5
MIN_EASE = 1.3
FIRST_INTERVAL_DAYS = 1
SECOND_INTERVAL_DAYS = 6
MASTERY_INTERVAL_DAYS = 21
PASSING_GRADE = 3
CORRECT_GRADE = 4
INCORRECT_GRADE = 1


@dataclass(frozen=True)
class MemoryState:
    """What the scheduler knows about one learner's memory of one word."""

    ease: float = INITIAL_EASE
    interval: int = 0  # days until the next review; 0 before the first successful recall
    repetitions: int = 0  # successful recalls in a row
    due: datetime | None = None  # None: never reviewed, so due now
    lapses: int = 0
    reviews: int = 0  # every graded answer, early ones included
    last_reviewed: datetime | None = None


def grade_of(answer: bool | int) -> int:
    """Turn a yes/no answer or an explicit 0-5 grade into an SM-2 grade."""
    if isinstance(answer, bool):
        return CORRECT_GRADE if answer else INCORRECT_GRADE
    if isinstance(answer, int) and 0 <= answer <= 5:
        return answer
    raise ValueError(f"grade must be a bool or an integer from 0 to 5, not {answer!r}")


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("review time must be timezone-aware")


def is_due(state: MemoryState, now: datetime) -> bool:
    _require_aware(now)
    return state.due is None or state.due <= now


def next_ease(ease: float, grade: int) -> float:
    miss = 5 - grade
    return max(MIN_EASE, round(ease + 0.1 - miss * (0.08 + miss * 0.02), 4))


def review(state: MemoryState, answer: bool | int, now: datetime) -> MemoryState:
    """Apply one answer given at `now` (timezone-aware) and return the new state."""
    _require_aware(now)
    grade = grade_of(answer)
    reviews = state.reviews + 1
    if grade >= PASSING_GRADE and not is_due(state, now):
        return replace(state, reviews=reviews, last_reviewed=now)
    if grade >= PASSING_GRADE:
        if state.repetitions == 0:
            interval = FIRST_INTERVAL_DAYS
        elif state.repetitions == 1:
            interval = SECOND_INTERVAL_DAYS
        else:
            # The previous ease, as in SM-2: the new ease applies from the next interval on.
            interval = max(1, math.floor(state.interval * state.ease + 0.5))
        repetitions = state.repetitions + 1
        lapses = state.lapses
    else:
        interval = FIRST_INTERVAL_DAYS
        repetitions = 0
        lapses = state.lapses + 1
    return MemoryState(
        ease=next_ease(state.ease, grade),
        interval=interval,
        repetitions=repetitions,
        due=now + timedelta(days=interval),
        lapses=lapses,
        reviews=reviews,
        last_reviewed=now,
    )


def is_mastered(state: MemoryState) -> bool:
    return state.interval >= MASTERY_INTERVAL_DAYS
