"""Streaks on the learner's local calendar: midnight, DST changes, extreme offsets, resets.

Every instant below is written in UTC, with the learner's wall-clock time in a comment, so
the expected local days do not depend on the code under test.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from storage.learning.streaks import (
    StreakState,
    current_at,
    local_date,
    record_activity,
    reset,
    should_reset,
)

LA = "America/Los_Angeles"
AKL = "Pacific/Auckland"
KIRITIMATI = "Pacific/Kiritimati"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def run(tz: str, *instants: datetime, state: StreakState | None = None) -> StreakState:
    state = state or StreakState()
    for instant in instants:
        state = record_activity(state, instant, tz)
    return state


def test_the_same_two_instants_fall_on_different_local_days_per_timezone() -> None:
    # Given two activities an hour apart, at 11:30 and 12:30 UTC on 1 June 2024
    first, second = utc(2024, 6, 1, 11, 30), utc(2024, 6, 1, 12, 30)
    # When they are counted for learners in three timezones
    la = run(LA, first, second)  # 04:30 and 05:30 on 1 June
    akl = run(AKL, first, second)  # 23:30 on 1 June and 00:30 on 2 June
    kiri = run(KIRITIMATI, first, second)  # 01:30 and 02:30 on 2 June
    # Then only the Auckland learner crossed local midnight between them
    assert (la.current, la.last_active_local_date) == (1, date(2024, 6, 1))
    assert (akl.current, akl.last_active_local_date) == (2, date(2024, 6, 2))
    assert (kiri.current, kiri.last_active_local_date) == (1, date(2024, 6, 2))


def test_kiritimati_day_starts_at_10_utc_the_day_before() -> None:
    # Given a learner at UTC+14
    # When activities fall one minute either side of local midnight
    state = run(KIRITIMATI, utc(2024, 6, 1, 9, 59), utc(2024, 6, 1, 10, 0))
    # Then they count as two consecutive days: 1 June 23:59 and 2 June 00:00
    assert local_date(utc(2024, 6, 1, 10, 0), KIRITIMATI) == date(2024, 6, 2)
    assert (state.current, state.longest) == (2, 2)


def test_a_day_counts_once_however_many_activities() -> None:
    # Given five activities on the same Los Angeles day (07:00 to 23:00 PDT on 3 July)
    instants = [utc(2024, 7, 3, hour, 0) for hour in (14, 16, 20, 23)] + [utc(2024, 7, 4, 6, 0)]
    state = run(LA, *instants)
    # Then the streak is one day
    assert (state.current, state.longest, state.last_active_local_date) == (1, 1, date(2024, 7, 3))


def test_spring_forward_in_los_angeles_23_hours_apart_is_the_next_day() -> None:
    # Given an activity at 00:30 PST on 10 March 2024, the day clocks jump from 02:00 to 03:00
    state = run(LA, utc(2024, 3, 10, 8, 30))
    # When the learner is active at 23:59 PDT the same day, then at 00:30 PDT on 11 March
    same_day = record_activity(state, utc(2024, 3, 11, 6, 59), LA)
    next_day = record_activity(same_day, utc(2024, 3, 11, 7, 30), LA)
    # Then the first counts nothing new and the second, 23 hours after the start, is day two
    assert same_day == state
    assert (next_day.current, next_day.last_active_local_date) == (2, date(2024, 3, 11))


def test_fall_back_in_los_angeles_a_25_hour_day_counts_once() -> None:
    # Given activities at 00:10 PDT and 23:50 PST on 3 November 2024 (24 h 40 min apart)
    state = run(LA, utc(2024, 11, 3, 7, 10), utc(2024, 11, 4, 7, 50))
    assert (state.current, state.last_active_local_date) == (1, date(2024, 11, 3))
    # When the learner is active at 00:05 PST on 4 November
    state = record_activity(state, utc(2024, 11, 4, 8, 5), LA)
    # Then that is the second day
    assert (state.current, state.last_active_local_date) == (2, date(2024, 11, 4))


def test_auckland_dst_end_and_start() -> None:
    # Given a learner in Auckland active at 00:30 NZDT on 7 April 2024 (clocks go back at 03:00)
    # When they are active again at 23:30 NZST (25 hours on the clock that day, same date)
    # and at 00:05 NZST on 8 April
    april = run(AKL, utc(2024, 4, 6, 11, 30), utc(2024, 4, 7, 11, 30))
    assert (april.current, april.last_active_local_date) == (1, date(2024, 4, 7))
    april = record_activity(april, utc(2024, 4, 7, 12, 5), AKL)
    # Then 8 April is day two
    assert (april.current, april.last_active_local_date) == (2, date(2024, 4, 8))
    # Given 29 September 2024, when clocks jump from 02:00 NZST to 03:00 NZDT (a 23-hour day),
    # when the learner is active at 00:30 on the 29th and 00:30 on the 30th, 23 hours apart
    september = run(AKL, utc(2024, 9, 28, 12, 30), utc(2024, 9, 29, 11, 30))
    # Then these are two consecutive days
    assert (september.current, september.last_active_local_date) == (2, date(2024, 9, 30))


def test_a_missed_day_starts_a_new_streak_and_keeps_the_longest() -> None:
    # Given a three-day streak in Los Angeles (5, 6 and 7 July at noon PDT)
    state = run(LA, utc(2024, 7, 5, 19), utc(2024, 7, 6, 19), utc(2024, 7, 7, 19))
    assert (state.current, state.longest) == (3, 3)
    # When the learner skips 8 July and is active on 9 July
    state = record_activity(state, utc(2024, 7, 9, 19), LA)
    # Then a new streak of one begins and the longest stays three
    assert (state.current, state.longest, state.last_active_local_date) == (1, 3, date(2024, 7, 9))


def test_an_activity_dated_before_the_last_active_day_changes_nothing() -> None:
    # Given a learner last active on 7 July (Los Angeles)
    state = run(LA, utc(2024, 7, 6, 19), utc(2024, 7, 7, 19))
    # When a result finished on 5 July arrives late
    # Then the streak is unchanged
    assert record_activity(state, utc(2024, 7, 5, 19), LA) == state


def test_activity_after_a_reset_starts_at_one_even_on_the_same_day() -> None:
    # Given a four-day streak, reset on request on its last day
    state = run(AKL, *(utc(2024, 7, day, 0) for day in (1, 2, 3, 4)))
    state = reset(state)
    assert (state.current, state.longest) == (0, 4)
    # When the learner is active again later that same local day (4 July 12:00 -> 16:00 NZST)
    state = record_activity(state, utc(2024, 7, 4, 4), AKL)
    # Then the new streak is one day and the longest is kept
    assert (state.current, state.longest) == (1, 4)


@pytest.mark.parametrize(
    ("tz", "last_active", "still_running", "broken"),
    [
        # Last active 9 March; 11 March begins at 07:00 UTC (PDT), not 08:00 (PST)
        (LA, date(2024, 3, 9), utc(2024, 3, 11, 6, 59), utc(2024, 3, 11, 7, 0)),
        # Last active 1 June; 3 June begins at 10:00 UTC on 2 June at UTC+14
        (KIRITIMATI, date(2024, 6, 1), utc(2024, 6, 2, 9, 59), utc(2024, 6, 2, 10, 0)),
        # Last active 5 April; 7 April begins at 11:00 UTC (NZDT, before clocks go back)
        (AKL, date(2024, 4, 5), utc(2024, 4, 6, 10, 59), utc(2024, 4, 6, 11, 0)),
        # Last active 2 November; 4 November begins at 08:00 UTC (PST after falling back)
        (LA, date(2024, 11, 2), utc(2024, 11, 4, 7, 59), utc(2024, 11, 4, 8, 0)),
    ],
)
def test_reset_exactly_when_yesterday_passes_without_activity(
    tz: str, last_active: date, still_running: datetime, broken: datetime
) -> None:
    # Given a running streak last active on a local day
    state = StreakState(current=5, longest=7, last_active_local_date=last_active)
    # When the clock reads one minute before and at the learner's local midnight two days on
    # Then the streak survives until that midnight and is broken from it
    assert not should_reset(state, still_running, tz)
    assert current_at(state, still_running, tz) == 5
    assert should_reset(state, broken, tz)
    assert current_at(state, broken, tz) == 0


def test_the_same_instant_breaks_one_learner_and_not_another() -> None:
    # Given two learners last active on 1 June, one at UTC+14 and one in Los Angeles
    state = StreakState(current=2, longest=2, last_active_local_date=date(2024, 6, 1))
    # When the hourly job runs at 10:00 UTC on 2 June (3 June 00:00 / 2 June 03:00 local)
    now = utc(2024, 6, 2, 10, 0)
    # Then only the Kiritimati learner's streak is broken
    assert should_reset(state, now, KIRITIMATI)
    assert not should_reset(state, now, LA)


def test_nothing_to_reset_without_a_running_streak() -> None:
    now = utc(2024, 6, 30)
    assert not should_reset(StreakState(), now, LA)
    assert not should_reset(StreakState(0, 9, date(2024, 1, 1)), now, LA)


def test_bad_timezone_and_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        record_activity(StreakState(), utc(2024, 6, 1), "Mars/Olympus_Mons")
    with pytest.raises(ValueError):
        record_activity(StreakState(), utc(2024, 6, 1), "")
    with pytest.raises(ValueError):
        record_activity(StreakState(), datetime(2024, 6, 1, 12), LA)
