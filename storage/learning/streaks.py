"""Daily streaks counted in the learner's own calendar, as pure functions.

A streak is a run of consecutive LOCAL calendar days, in the learner's IANA timezone, each
with at least one qualifying activity (a review, a finished assessment). Days are compared
as dates after converting the UTC instant with zoneinfo, never by adding 24 hours, so a
23- or 25-hour day at a DST change is still exactly one day, and +14/-11 offsets put an
instant on the day the learner sees on their own clock.

Rules:
- The first activity ever, or the first after a reset (current == 0), starts a streak of 1.
- Another activity on the same local day changes nothing: a day counts once.
- An activity on the local day after the last active one extends the streak by 1.
- An activity two or more local days later starts a new streak of 1.
- An activity dated before the last active day (a late-arriving result, or a learner who
  moved west) changes nothing: it cannot rewrite days already counted.
- The streak breaks (should_reset) when the last active local day is before yesterday in
  the learner's timezone: missing yesterday entirely is what ends a streak, while today is
  still open for activity.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class StreakState:
    current: int = 0
    longest: int = 0
    last_active_local_date: date | None = None


def resolve_timezone(name: str) -> ZoneInfo:
    """The IANA zone called `name`; ValueError when there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {name!r}") from exc


def local_date(at_utc: datetime, tz: str | ZoneInfo) -> date:
    """The calendar date on the learner's clock at the instant `at_utc` (timezone-aware)."""
    if at_utc.tzinfo is None or at_utc.utcoffset() is None:
        raise ValueError("instant must be timezone-aware")
    zone = tz if isinstance(tz, ZoneInfo) else resolve_timezone(tz)
    return at_utc.astimezone(zone).date()


def record_activity(state: StreakState, at_utc: datetime, tz: str | ZoneInfo) -> StreakState:
    """Count a qualifying activity at `at_utc` on the learner's local day."""
    day = local_date(at_utc, tz)
    last = state.last_active_local_date
    if last is not None and day < last:
        return state
    if state.current == 0 or last is None:
        current = 1
    elif day == last:
        return state
    elif day == last + ONE_DAY:
        current = state.current + 1
    else:
        current = 1
    return StreakState(
        current=current, longest=max(state.longest, current), last_active_local_date=day
    )


def should_reset(state: StreakState, now_utc: datetime, tz: str | ZoneInfo) -> bool:
    """True when a running streak is broken: no activity yesterday or today, local time."""
    if state.current == 0 or state.last_active_local_date is None:
        return False
    return state.last_active_local_date < local_date(now_utc, tz) - ONE_DAY


def reset(state: StreakState) -> StreakState:
    """The streak after a break or a reset on request; the longest streak is kept."""
    return replace(state, current=0)


def current_at(state: StreakState, now_utc: datetime, tz: str | ZoneInfo) -> int:
    """The streak a reader should see at `now_utc`, even if the hourly reset has not run yet."""
    return 0 if should_reset(state, now_utc, tz) else state.current
