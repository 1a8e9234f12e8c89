"""How many study hours a level gap takes, and whether a time budget covers it.

Guided learning hours (GLH) are Cambridge English's approximate cumulative figures for
reaching each CEFR level from zero ("Guided learning hours", Cambridge English Support
site): A1 90-100, A2 180-200, B1 350-400, B2 500-600, C1 700-800, C2 1,000-1,200. Hours from
level X to level Y are (Y_low - X_low) to (Y_high - X_high); the estimate is the midpoint.
They describe learners of English; for other languages we apply the same figures unless
the caller gives a difficulty factor (e.g. from FSI's language categories for English
speakers: about 1.0 Spanish/French, 1.3 German, 1.6 Russian, 3.3 Japanese).

Verdict: "realistic" when the budget covers the midpoint, "ambitious" when it covers the
low end only, "unrealistic" below that (then the hours short, the minutes per week needed
to finish on time, the weeks needed at the current pace, and the highest level reachable
in the budget are given).

`minutes_per_week_needed` and `weeks_needed` are measurements and may exceed what a plan
request accepts (15..3,000 minutes a week, 1..520 weeks). What the plan *suggests* is in
`suggestions`: only budgets a plan request accepts, each with the level it reaches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from pipelines.cefr import LEVELS

# What a plan request accepts (the API validates the same bounds).
MIN_MINUTES_PER_WEEK = 15
MAX_MINUTES_PER_WEEK = 3000
MAX_WEEKS = 520

GLH: dict[str, tuple[int, int]] = {
    "A1": (90, 100),
    "A2": (180, 200),
    "B1": (350, 400),
    "B2": (500, 600),
    "C1": (700, 800),
    "C2": (1000, 1200),
}


@dataclass(frozen=True)
class HourEstimate:
    low: float
    high: float
    mid: float


@dataclass(frozen=True)
class Suggestion:
    """A budget a plan request accepts, and the level it reaches."""

    change: str  # "minutes", "weeks", "minutes_and_weeks" or "target"
    minutes_per_week: int
    weeks: int
    target_level: str
    description: str


@dataclass(frozen=True)
class Feasibility:
    verdict: str  # realistic, ambitious, unrealistic
    feasible: bool
    hours_needed: HourEstimate
    hours_available: float
    hours_short: float  # 0 unless unrealistic
    minutes_per_week_needed: int  # to cover the midpoint in the weeks given
    weeks_needed: int  # to cover the midpoint at the minutes given
    reachable_level: str | None  # highest level the budget reaches (None: not even A1)
    suggestions: list[Suggestion] = field(default_factory=list)  # within the request limits


def cumulative(level: str | None) -> tuple[float, float]:
    """Cumulative GLH range for a level; None means a complete beginner (0 hours)."""
    return (0.0, 0.0) if level is None else tuple(float(h) for h in GLH[level])  # type: ignore[return-value]


def hours_between(current: str | None, target: str, factor: float = 1.0) -> HourEstimate:
    (cur_low, cur_high), (tgt_low, tgt_high) = cumulative(current), cumulative(target)
    low = max(0.0, tgt_low - cur_low) * factor
    high = max(0.0, tgt_high - cur_high) * factor
    low, high = min(low, high), max(low, high)
    return HourEstimate(round(low, 1), round(high, 1), round((low + high) / 2, 1))


def assess_feasibility(
    current: str | None, target: str, minutes_per_week: int, weeks: int, factor: float = 1.0
) -> Feasibility:
    needed = hours_between(current, target, factor)
    available = round(minutes_per_week * weeks / 60, 1)
    if available >= needed.mid:
        verdict = "realistic"
    elif available >= needed.low:
        verdict = "ambitious"
    else:
        verdict = "unrealistic"
    reachable = reachable_level(current, available, factor)
    return Feasibility(
        verdict=verdict,
        feasible=verdict != "unrealistic",
        hours_needed=needed,
        hours_available=available,
        hours_short=round(max(0.0, needed.low - available), 1) if verdict == "unrealistic" else 0,
        minutes_per_week_needed=math.ceil(needed.mid * 60 / weeks) if weeks else 0,
        weeks_needed=math.ceil(needed.mid * 60 / minutes_per_week) if minutes_per_week else 0,
        reachable_level=reachable,
        suggestions=[]
        if verdict == "realistic"
        else suggest(current, target, minutes_per_week, weeks, needed, reachable),
    )


def suggest(
    current: str | None,
    target: str,
    minutes: int,
    weeks: int,
    needed: HourEstimate,
    reachable: str | None,
) -> list[Suggestion]:
    """Budgets that cover the midpoint estimate, each within the request limits: more minutes
    in the same weeks, more weeks at the same minutes, the most minutes a request allows over
    the weeks that then takes; and the level the current budget does reach."""
    out: list[Suggestion] = []
    more_minutes = max(MIN_MINUTES_PER_WEEK, math.ceil(needed.mid * 60 / weeks))
    if more_minutes <= MAX_MINUTES_PER_WEEK:
        out.append(
            Suggestion(
                "minutes",
                more_minutes,
                weeks,
                target,
                f"Study {more_minutes} minutes a week for {weeks} weeks.",
            )
        )
    more_weeks = math.ceil(needed.mid * 60 / minutes)
    if more_weeks <= MAX_WEEKS:
        out.append(
            Suggestion(
                "weeks",
                minutes,
                more_weeks,
                target,
                f"Keep {minutes} minutes a week and plan {more_weeks} weeks.",
            )
        )
    if more_minutes > MAX_MINUTES_PER_WEEK:
        at_most = math.ceil(needed.mid * 60 / MAX_MINUTES_PER_WEEK)
        if at_most <= MAX_WEEKS:
            out.append(
                Suggestion(
                    "minutes_and_weeks",
                    MAX_MINUTES_PER_WEEK,
                    at_most,
                    target,
                    f"Study {MAX_MINUTES_PER_WEEK} minutes a week (the most a plan allows) for "
                    f"{at_most} weeks.",
                )
            )
    if reachable and reachable != current and reachable != target:
        out.append(
            Suggestion(
                "target",
                minutes,
                weeks,
                reachable,
                f"Aim for {reachable} in this budget, then plan the next step.",
            )
        )
    return out


def reachable_level(current: str | None, hours: float, factor: float = 1.0) -> str | None:
    """The highest level whose midpoint from `current` fits in `hours`."""
    reached = current
    for level in LEVELS:
        if current is not None and LEVELS.index(level) <= LEVELS.index(current):
            continue
        if hours_between(current, level, factor).mid <= hours:
            reached = level
    return reached


def week_reaching(current: str | None, level: str, minutes_per_week: int, factor: float) -> int:
    """The study week in which the midpoint hours for `level` are reached at this pace."""
    hours = hours_between(current, level, factor).mid
    return max(1, math.ceil(hours * 60 / minutes_per_week)) if minutes_per_week else 0
