"""SM-2 scheduling: interval sequences, lapses, the ease floor, early reviews and mastery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage.learning.srs import (
    MIN_EASE,
    MemoryState,
    grade_of,
    is_due,
    is_mastered,
    next_ease,
    review,
)

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def review_when_due(state: MemoryState, answer: bool | int) -> MemoryState:
    """Answer exactly when the word falls due (or at T0 for a new word)."""
    return review(state, answer, state.due or T0)


def test_correct_answers_on_time_give_1_6_15_38_days() -> None:
    # Given a new word
    state = MemoryState()
    intervals = []
    # When the learner answers correctly each time it falls due
    for _ in range(5):
        state = review_when_due(state, True)
        intervals.append(state.interval)
    # Then SM-2 with an unchanged ease of 2.5 spaces the reviews 1, 6, 15, 38, 95 days apart
    assert intervals == [1, 6, 15, 38, 95]
    assert state.ease == pytest.approx(2.5)
    assert state.repetitions == 5
    assert state.reviews == 5
    assert state.lapses == 0


def test_perfect_grades_raise_the_ease_and_stretch_intervals() -> None:
    # Given a new word answered with grade 5 every time it falls due
    state = MemoryState()
    seen = []
    for _ in range(4):
        state = review_when_due(state, 5)
        seen.append((state.interval, state.ease))
    # Then each answer adds 0.1 to the ease and the third interval uses the ease before it
    assert [interval for interval, _ in seen] == [1, 6, 16, 45]
    assert [ease for _, ease in seen] == pytest.approx([2.6, 2.7, 2.8, 2.9])


def test_due_date_is_the_review_time_plus_the_interval() -> None:
    # Given a word answered correctly twice
    first = review(MemoryState(), True, T0)
    second = review(first, True, first.due)
    # Then each due date is the answer time plus the interval in days
    assert first.due == T0 + timedelta(days=1)
    assert second.due == T0 + timedelta(days=1 + 6)
    assert second.last_reviewed == T0 + timedelta(days=1)


def test_a_wrong_answer_is_a_lapse_that_restarts_the_intervals_with_a_lower_ease() -> None:
    # Given a word recalled three times (interval 15 days)
    state = MemoryState()
    for _ in range(3):
        state = review_when_due(state, True)
    assert state.interval == 15
    # When the learner gets it wrong when it falls due
    state = review_when_due(state, False)
    # Then it is due tomorrow again, counted as a lapse, and the ease drops by 0.54 (grade 1)
    assert (state.interval, state.repetitions, state.lapses) == (1, 0, 1)
    assert state.ease == pytest.approx(1.96)
    # And the next recalls use the lower ease: 1, 6, then 6 * 1.96 = 11.76 -> 12 days
    intervals = []
    for _ in range(3):
        state = review_when_due(state, True)
        intervals.append(state.interval)
    assert intervals == [1, 6, 12]


def test_ease_never_drops_below_the_floor() -> None:
    # Given a word the learner keeps failing with grade 0
    state = MemoryState()
    for _ in range(10):
        state = review_when_due(state, 0)
    # Then the ease stops at 1.3 and every lapse is counted
    assert state.ease == MIN_EASE
    assert state.lapses == 10


def test_grade_3_lowers_the_ease_and_grade_4_keeps_it() -> None:
    assert next_ease(2.5, 3) == pytest.approx(2.36)
    assert next_ease(2.5, 4) == pytest.approx(2.5)
    assert next_ease(2.5, 5) == pytest.approx(2.6)


def test_a_correct_answer_before_the_word_is_due_does_not_advance_it() -> None:
    # Given a word recalled once, due in one day
    state = review(MemoryState(), True, T0)
    # When the learner answers it correctly again an hour later in the same sitting
    again = review(state, True, T0 + timedelta(hours=1))
    # Then the schedule is unchanged; only the review is counted
    assert (again.interval, again.repetitions, again.due, again.ease) == (
        state.interval,
        state.repetitions,
        state.due,
        state.ease,
    )
    assert again.reviews == 2
    assert again.last_reviewed == T0 + timedelta(hours=1)


def test_a_wrong_answer_before_the_word_is_due_is_still_a_lapse() -> None:
    # Given a word recalled twice, due in six days
    state = review_when_due(review_when_due(MemoryState(), True), True)
    # When the learner gets it wrong the next day
    wrong = review(state, False, state.last_reviewed + timedelta(days=1))
    # Then it restarts
    assert (wrong.interval, wrong.repetitions, wrong.lapses) == (1, 0, 1)


def test_mastery_starts_at_an_interval_of_21_days() -> None:
    # Given a word recalled on time three times (15 days) and then a fourth time (38 days)
    state = MemoryState()
    for _ in range(3):
        state = review_when_due(state, True)
    # Then it is not mastered at 15 days and is mastered at 38 days
    assert not is_mastered(state)
    state = review_when_due(state, True)
    assert is_mastered(state)
    # And a lapse takes mastery away
    assert not is_mastered(review_when_due(state, False))


def test_new_words_are_due_and_reviewed_words_fall_due_at_their_date() -> None:
    state = review(MemoryState(), True, T0)
    assert is_due(MemoryState(), T0)
    assert not is_due(state, T0 + timedelta(hours=23))
    assert is_due(state, T0 + timedelta(days=1))


def test_bad_inputs_are_refused() -> None:
    # A naive time, an out-of-range grade, a non-grade value
    with pytest.raises(ValueError):
        review(MemoryState(), True, datetime(2024, 3, 1, 9, 0))
    with pytest.raises(ValueError):
        grade_of(6)
    with pytest.raises(ValueError):
        grade_of(-1)
    with pytest.raises(ValueError):
        grade_of("yes")  # type: ignore[arg-type]
    assert grade_of(True) == 4 and grade_of(False) == 1 and grade_of(0) == 0
