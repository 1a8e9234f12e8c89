"""How a weekly budget is split into sessions and sessions into skills.

The rules a plan keeps, whatever the goals, weak skills and budget:
- every skill a goal weights gets time: at least 10 minutes in each week, or, when the
  budget is too small for that (under 10 minutes per skill), a session in each rotation of
  a few weeks (shorter sessions when the plan is shorter than the rotation);
- the rest of the time follows the goals' weights (largest remainder);
- each weak skill then takes a tenth of the budget from the skills that have the most,
  never taking a skill below its floor;
- each skill's minutes are split into sessions of about 30 minutes (at most 21 a week);
- a week's sessions add up to the weekly budget exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pipelines.cefr import LEVELS
from pipelines.plans.goals import SKILLS, LearningGoal

SESSION_MINUTES = 30  # target length of one session
MIN_SESSION_MINUTES = 10  # below this a session is not worth starting
MAX_SESSIONS_PER_WEEK = 21  # three a day; bigger budgets make longer sessions
WEAK_SHARE = 0.1  # share of the sessions each weak skill takes from the others


@dataclass(frozen=True)
class Allocation:
    rotation: list[list[tuple[str, int]]]  # (skill, minutes) of each session, per week

    @property
    def sessions_per_week(self) -> int:
        return len(self.rotation[0])

    def skill_minutes(self) -> dict[str, int]:
        """Minutes per skill in an average week of the rotation (at least 1 for any skill
        that has a session in it)."""
        totals: dict[str, int] = {}
        for week in self.rotation:
            for skill, minutes in week:
                totals[skill] = totals.get(skill, 0) + minutes
        weeks = len(self.rotation)
        return {s: max(1, round(m / weeks)) for s, m in totals.items()}


def skill_shares(goals: list[LearningGoal], current: str | None) -> dict[str, float]:
    """Each skill's share of the time from the goals' weights (each goal counts the same),
    shifted by stage: beginners need words and sounds first; advanced learners gain most
    from extended reading and writing."""
    weights = {s: 0.0 for s in SKILLS}
    for goal in goals:
        total = sum(goal.skill_weights.values())
        for skill, w in goal.skill_weights.items():
            weights[skill] += w / total
    stage = -1 if current is None else LEVELS.index(current)
    if stage <= 1:
        weights["vocabulary"] *= 1.3
        weights["pronunciation"] *= 1.2
        weights["writing"] *= 0.8
    elif stage >= 3:
        weights["reading"] *= 1.2
        weights["writing"] *= 1.2
        weights["pronunciation"] *= 0.8
    total = sum(weights.values())
    return {s: w / total for s, w in weights.items() if w > 0}


def allocate(
    shares: dict[str, float], minutes_per_week: int, focus: list[str], plan_weeks: int = 1000
) -> Allocation:
    """The sessions of each week of the rotation (one week unless the budget is small)."""
    skills = [s for s in SKILLS if s in shares or s in focus]
    if minutes_per_week >= MIN_SESSION_MINUTES * len(skills):
        minutes = _minutes(shares, skills, minutes_per_week, focus)
        return Allocation([_sessions(minutes)])
    # Too little time for every skill each week: equal sessions, and the skills take turns
    # over as many weeks as it takes for each to come round; a plan shorter than that takes
    # shorter sessions, so that every skill still comes round before it ends.
    n = max(1, minutes_per_week // MIN_SESSION_MINUTES)
    n = min(max(n, math.ceil(len(skills) / plan_weeks)), minutes_per_week)
    weeks = math.ceil(len(skills) / n)
    counts = _split(shares, skills, n * weeks, focus)
    slots = _interleave(counts)
    lengths = _even(minutes_per_week, n)
    return Allocation(
        [list(zip(slots[i * n : (i + 1) * n], lengths, strict=True)) for i in range(weeks)]
    )


def _minutes(
    shares: dict[str, float], skills: list[str], budget: int, focus: list[str]
) -> dict[str, int]:
    """Minutes per skill: a floor of one short session each, the rest by weight, then each
    weak skill takes a tenth of the budget from the skills with the most time to spare."""
    exact = {s: shares.get(s, 0.0) * budget for s in skills}
    minutes = {s: MIN_SESSION_MINUTES for s in skills}
    spare = budget - MIN_SESSION_MINUTES * len(skills)
    weight = sum(max(0.0, exact[s] - MIN_SESSION_MINUTES) for s in skills) or 1.0
    for s in skills:
        minutes[s] += int(spare * max(0.0, exact[s] - MIN_SESSION_MINUTES) / weight)
    for _ in range(budget - sum(minutes.values())):
        lagging = max(skills, key=lambda s: (exact[s] - minutes[s], -SKILLS.index(s)))
        minutes[lagging] += 1
    for skill in focus:
        for _ in range(round(budget * WEAK_SHARE)):
            donors = [s for s in skills if s not in focus and minutes[s] > MIN_SESSION_MINUTES]
            if not donors:
                break
            donor = max(donors, key=lambda s: (minutes[s], -SKILLS.index(s)))
            minutes[donor] -= 1
            minutes[skill] += 1
    return minutes


def _sessions(minutes: dict[str, int]) -> list[tuple[str, int]]:
    """Each skill's minutes in sessions of about SESSION_MINUTES, skills interleaved."""
    counts = {s: max(1, round(m / SESSION_MINUTES)) for s, m in minutes.items() if m > 0}
    while sum(counts.values()) > MAX_SESSIONS_PER_WEEK:
        most = max(counts, key=lambda s: (counts[s], -SKILLS.index(s)))
        counts[most] -= 1
    lengths = {s: _even(minutes[s], n) for s, n in counts.items()}
    return [(s, lengths[s].pop()) for s in _interleave(counts)]


def _split(
    shares: dict[str, float], skills: list[str], total: int, focus: list[str]
) -> dict[str, int]:
    """`total` sessions over the skills: one each, the rest by weight, then extra sessions
    for weak skills taken from those with the most (never a skill's last)."""
    exact = {s: shares.get(s, 0.0) * total for s in skills}
    counts = {s: 1 for s in skills}
    for _ in range(total - len(skills)):
        lagging = max(skills, key=lambda s: (exact[s] - counts[s], -SKILLS.index(s)))
        counts[lagging] += 1
    for skill in focus:
        for _ in range(max(1, round(total * WEAK_SHARE))):
            donors = [s for s in skills if s not in focus and counts[s] > 1]
            if not donors:
                break
            donor = max(donors, key=lambda s: (counts[s], -SKILLS.index(s)))
            counts[donor] -= 1
            counts[skill] += 1
    return counts


def _interleave(counts: dict[str, int]) -> list[str]:
    """Skills in turn, most sessions first, so one skill is not studied back to back."""
    left = dict(counts)
    order = sorted(left, key=lambda s: (-left[s], SKILLS.index(s)))
    slots: list[str] = []
    while any(left.values()):
        for skill in order:
            if left[skill] > 0:
                slots.append(skill)
                left[skill] -= 1
    return slots


def _even(minutes: int, n: int) -> list[int]:
    base, extra = divmod(minutes, n)
    return [base + (1 if i < extra else 0) for i in range(n)]
