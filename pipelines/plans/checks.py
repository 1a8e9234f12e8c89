"""The properties every plan keeps, checked on a built plan.

Used by the tests, by `python -m bench quality plans` on the hand-written cases in
`tests/fixtures/plans/cases.json`, and by nothing at run time (the builder is written to
keep them; this module says what "keep" means).
"""

from __future__ import annotations

from typing import Any

from pipelines.plans.allocation import MIN_SESSION_MINUTES
from pipelines.plans.builder import Plan
from pipelines.plans.goals import GOALS_BY_ID
from pipelines.plans.hours import MAX_MINUTES_PER_WEEK, MAX_WEEKS, MIN_MINUTES_PER_WEEK

PROPERTIES = (
    "goal_skills_timed",  # every skill a goal weights has minutes
    "weeks_fit_budget",  # each week's sessions add up to the weekly budget
    "every_week_scheduled",  # weeks 1..N, none missing, none cut
    "suggestions_within_limits",  # every suggested budget is one a request accepts
    "weak_skills_get_more",  # more minutes than without the focus, unless the other skills
    # are all at their 10-minute floor (then taking from them would zero one out)
)


def plan_problems(plan: Plan, plain: Plan | None = None) -> dict[str, list[str]]:
    """Problems per property (empty lists when the plan keeps it). `plain` is the same
    request without weak skills, for the weak-skill property."""
    problems: dict[str, list[str]] = {name: [] for name in PROPERTIES}
    goal_skills = {s for g in plan.goals for s, w in GOALS_BY_ID[g].skill_weights.items() if w}
    for skill in sorted(goal_skills):
        if plan.skill_minutes.get(skill, 0) <= 0:
            problems["goal_skills_timed"].append(f"{skill} has 0 minutes")
    rotation: set[str] = set()
    for week in plan.schedule[: plan.rotation_weeks]:
        rotation |= {s.skill for s in week.sessions}
    for skill in sorted(goal_skills - rotation):
        problems["goal_skills_timed"].append(f"{skill} has no session in the rotation")
    if plan.rotation_weeks > plan.weeks:
        problems["goal_skills_timed"].append(
            f"a {plan.rotation_weeks}-week rotation in a {plan.weeks}-week plan"
        )
    for week in plan.schedule:
        if week.minutes != plan.minutes_per_week:
            problems["weeks_fit_budget"].append(f"week {week.week}: {week.minutes} minutes")
    if [w.week for w in plan.schedule] != list(range(1, plan.weeks + 1)):
        problems["every_week_scheduled"].append(
            f"{len(plan.schedule)} weeks scheduled of {plan.weeks}"
        )
    for s in plan.feasibility.suggestions:
        if not (
            MIN_MINUTES_PER_WEEK <= s.minutes_per_week <= MAX_MINUTES_PER_WEEK
            and 1 <= s.weeks <= MAX_WEEKS
        ):
            problems["suggestions_within_limits"].append(s.description)
    others = [m for s, m in plan.skill_minutes.items() if s not in plan.focus]
    at_floor = all(m <= MIN_SESSION_MINUTES for m in others)  # nothing left to give
    if plain is not None and not at_floor:
        for skill in plan.focus:
            if plan.skill_minutes.get(skill, 0) <= plain.skill_minutes.get(skill, 0):
                problems["weak_skills_get_more"].append(
                    f"{skill}: {plan.skill_minutes.get(skill, 0)} minutes, "
                    f"{plain.skill_minutes.get(skill, 0)} without the focus"
                )
    return problems


def expectation_problems(plan: Plan, expect: dict[str, Any]) -> list[str]:
    """The hand-written expectations of a case: `verdict`, `more` ([a, b]: skill a gets more
    minutes than b), `top` (the skill with the most minutes), `rotation_weeks`, `weeks`."""
    out = []
    minutes = plan.skill_minutes
    if "verdict" in expect and plan.feasibility.verdict != expect["verdict"]:
        out.append(f"verdict {plan.feasibility.verdict}, expected {expect['verdict']}")
    for a, b in expect.get("more", []):
        if minutes.get(a, 0) <= minutes.get(b, 0):
            out.append(f"{a} ({minutes.get(a, 0)}) not above {b} ({minutes.get(b, 0)})")
    if "top" in expect:
        top = max(minutes.values())
        if minutes.get(expect["top"], 0) != top:
            out.append(f"{expect['top']} has {minutes.get(expect['top'], 0)}, the most is {top}")
    for key in ("rotation_weeks", "weeks"):
        if key in expect and getattr(plan, key) != expect[key]:
            out.append(f"{key} {getattr(plan, key)}, expected {expect[key]}")
    return out
