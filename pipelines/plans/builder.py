"""Build a weekly study plan from a level gap, goals, a time budget and weak skills."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from pipelines.cefr import LEVELS, check_language
from pipelines.errors import PipelineError
from pipelines.llm import LLMProvider
from pipelines.plans.goals import GOALS_BY_ID, SKILLS, LearningGoal, activities_for
from pipelines.plans.hours import Feasibility, assess_feasibility, week_reaching

MAX_SCHEDULE_WEEKS = 52  # longer plans list milestones beyond this, not every week
SESSION_MINUTES = 30  # target length of one session
REVIEW_EVERY = 4  # every 4th week consolidates and measures progress
LLM_DRAFT_WEEKS = 4  # weeks of the draft shown to the model (keeps the prompt small)

# Sub-scores of the speaking and writing assessments, mapped to the plan's skills.
SUBSCORE_SKILLS = {
    "pronunciation": "pronunciation",
    "fluency": "speaking",
    "coherence": "speaking",
    "vocabulary": "vocabulary",
    "grammar": "grammar",
    "task": "writing",
    "listening": "listening",
    "reading": "reading",
    "writing": "writing",
    "speaking": "speaking",
}


@dataclass(frozen=True)
class Session:
    skill: str
    activity: str
    minutes: int
    word_ids: list[str] = field(default_factory=list)
    prompt_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Week:
    week: int
    theme: str
    sessions: list[Session]

    @property
    def minutes(self) -> int:
        return sum(s.minutes for s in self.sessions)


@dataclass(frozen=True)
class Milestone:
    week: int
    description: str
    level: str | None = None


@dataclass(frozen=True)
class Plan:
    language: str
    current_level: str | None
    target_level: str
    goals: list[str]
    minutes_per_week: int
    weeks: int
    sessions_per_week: int
    skill_minutes: dict[str, int]  # planned minutes per skill in a regular week
    focus: list[str]
    feasibility: Feasibility
    schedule: list[Week]
    schedule_truncated: bool
    milestones: list[Milestone]
    summary: str
    provider: str = "offline"
    model: str | None = None
    prompt_version: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for week, raw in zip(self.schedule, data["schedule"], strict=True):
            raw["minutes"] = week.minutes
        return data


def weak_skills_from_scores(scores: dict[str, float], limit: int = 2) -> list[str]:
    """The skills behind the lowest assessment sub-scores under 70 (at most `limit`)."""
    ranked = sorted(
        ((value, SUBSCORE_SKILLS[name]) for name, value in scores.items()
         if name in SUBSCORE_SKILLS and value < 70),
        key=lambda pair: (pair[0], SKILLS.index(pair[1])),
    )  # fmt: skip
    return list(dict.fromkeys(skill for _, skill in ranked))[:limit]


def build_plan(
    language: str,
    current_level: str | None,
    target_level: str,
    goals: list[str],
    minutes_per_week: int,
    weeks: int | None = None,
    *,
    weak_skills: list[str] | None = None,
    skill_scores: dict[str, float] | None = None,
    word_ids: list[str] | None = None,
    prompt_ids: list[str] | None = None,
    difficulty_factor: float = 1.0,
    llm: LLMProvider | None = None,
) -> Plan:
    """A deterministic plan; with an LLM, the model rewrites the first weeks and the summary.

    `weeks` None means "as long as it takes at this pace". Raises PipelineError for a level
    that is not A1..C2, a target not above the current level, an unknown goal, or a budget
    outside 15..3000 minutes per week / 1..520 weeks.
    """
    language = check_language(language)
    _check_levels(current_level, target_level)
    goal_objs = _goals(goals)
    if not 15 <= minutes_per_week <= 3000:
        raise PipelineError("invalid_budget", "minutes_per_week must be between 15 and 3000.")
    if weeks is None:
        weeks = assess_feasibility(
            current_level, target_level, minutes_per_week, 1, difficulty_factor
        ).weeks_needed
    if not 1 <= weeks <= 520:
        raise PipelineError("invalid_budget", f"weeks must be between 1 and 520, got {weeks}.")
    feasibility = assess_feasibility(
        current_level, target_level, minutes_per_week, weeks, difficulty_factor
    )
    focus = _focus(weak_skills or [], skill_scores or {})
    shares = _skill_shares(goal_objs, current_level)
    n_sessions = max(1, min(14, round(minutes_per_week / SESSION_MINUTES)))
    slots = _allocate(shares, n_sessions, focus)
    lengths = _session_lengths(minutes_per_week, n_sessions)
    schedule = _schedule(goal_objs, slots, lengths, min(weeks, MAX_SCHEDULE_WEEKS),
                         list(word_ids or []), list(prompt_ids or []))  # fmt: skip
    skill_minutes: dict[str, int] = {}
    for skill, minutes in zip(slots, lengths, strict=True):
        skill_minutes[skill] = skill_minutes.get(skill, 0) + minutes
    plan = Plan(
        language=language,
        current_level=current_level,
        target_level=target_level,
        goals=[g.id for g in goal_objs],
        minutes_per_week=minutes_per_week,
        weeks=weeks,
        sessions_per_week=n_sessions,
        skill_minutes=skill_minutes,
        focus=focus,
        feasibility=feasibility,
        schedule=schedule,
        schedule_truncated=weeks > MAX_SCHEDULE_WEEKS,
        milestones=_milestones(
            current_level, target_level, minutes_per_week, weeks, difficulty_factor, feasibility
        ),  # fmt: skip
        summary=_summary(current_level, target_level, weeks, minutes_per_week, feasibility, focus),
    )
    if llm is None:
        return plan
    from pipelines.plans.llm_merge import refine_with_llm

    return refine_with_llm(plan, llm, word_ids or [], prompt_ids or [])


def _check_levels(current: str | None, target: str) -> None:
    for level in (current, target):
        if level is not None and level not in LEVELS:
            raise PipelineError("invalid_level", f"{level!r} is not a CEFR level A1..C2.")
    if current is not None and LEVELS.index(target) <= LEVELS.index(current):
        raise PipelineError(
            "target_not_above_current",
            f"The target level {target} must be above the current level {current}.",
        )


def _goals(ids: list[str]) -> list[LearningGoal]:
    unknown = [g for g in ids if g not in GOALS_BY_ID]
    if unknown:
        raise PipelineError(
            "unknown_goal",
            f"Unknown learning goal(s): {', '.join(unknown)}.",
            details={"known": sorted(GOALS_BY_ID)},
        )
    return [GOALS_BY_ID[g] for g in dict.fromkeys(ids or ["conversation"])]


def _focus(weak: list[str], scores: dict[str, float]) -> list[str]:
    bad = [s for s in weak if s not in SKILLS]
    if bad:
        raise PipelineError("invalid_skill", f"Unknown skill(s): {', '.join(bad)}.")
    return list(dict.fromkeys([*weak, *weak_skills_from_scores(scores)]))[:3]


def _skill_shares(goals: list[LearningGoal], current: str | None) -> dict[str, float]:
    weights = {s: 0.0 for s in SKILLS}
    for goal in goals:
        total = sum(goal.skill_weights.values())
        for skill, w in goal.skill_weights.items():
            weights[skill] += w / total
    # Beginners need words and sounds first; advanced learners gain most from extended
    # reading and writing.
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
    return {s: w / total for s, w in weights.items()}


def _allocate(shares: dict[str, float], n: int, focus: list[str]) -> list[str]:
    """Largest-remainder split of n sessions over skills by goal weights; then each weak skill
    gets one more session a week, taken from the non-weak skill that has the most."""
    exact = {s: shares[s] * n for s in SKILLS}
    counts = {s: int(exact[s]) for s in SKILLS}
    by_remainder = sorted(SKILLS, key=lambda s: (-(exact[s] - counts[s]), SKILLS.index(s)))
    for skill in by_remainder[: n - sum(counts.values())]:
        counts[skill] += 1
    for skill in focus:
        donors = [s for s in SKILLS if s not in focus and counts[s] > 0]
        if not donors:
            break
        donor = max(donors, key=lambda s: (counts[s], -SKILLS.index(s)))
        counts[donor] -= 1
        counts[skill] += 1
    order = sorted(SKILLS, key=lambda s: (-counts[s], SKILLS.index(s)))
    # Interleave skills so the same skill is not studied in consecutive sessions.
    slots: list[str] = []
    while len(slots) < n:
        for skill in order:
            if counts[skill] > 0:
                slots.append(skill)
                counts[skill] -= 1
    return slots


def _session_lengths(minutes: int, n: int) -> list[int]:
    base, extra = divmod(minutes, n)
    return [base + (1 if i < extra else 0) for i in range(n)]


def _schedule(
    goals: list[LearningGoal],
    slots: list[str],
    lengths: list[int],
    weeks: int,
    word_ids: list[str],
    prompt_ids: list[str],
) -> list[Week]:
    themes = [t for group in zip(*(g.themes for g in goals), strict=False) for t in group]
    themes = themes or ["General practice"]
    next_word, next_prompt, introduced = 0, 0, []
    schedule = []
    for week in range(1, weeks + 1):
        review = week % REVIEW_EVERY == 0
        theme = "Review and progress check" if review else themes[(week - 1) % len(themes)]
        seen: dict[str, int] = {}
        sessions = []
        for index, (skill, minutes) in enumerate(zip(slots, lengths, strict=True)):
            k = seen[skill] = seen.get(skill, -1) + 1
            choices = activities_for(goals, skill)
            activity = choices[(week - 1 + k) % len(choices)]
            words: list[str] = []
            prompts_: list[str] = []
            if review and index == 0:
                activity = "Take a speaking or writing assessment to measure progress"
            elif skill == "vocabulary" and word_ids:
                if review or next_word >= len(word_ids):
                    words = _review_window(introduced or word_ids, week + k, max(5, minutes // 2))
                    activity = "Review earlier words with spaced repetition"
                else:
                    count = max(5, minutes // 3)
                    words = word_ids[next_word : next_word + count]
                    next_word += len(words)
                    introduced.extend(words)
            elif skill == "speaking" and prompt_ids:
                prompts_ = [prompt_ids[next_prompt % len(prompt_ids)]]
                next_prompt += 1
                activity = "Answer the linked speaking prompt and record it"
            sessions.append(Session(skill, activity, minutes, words, prompts_))
        schedule.append(Week(week, theme, sessions))
    return schedule


def _review_window(words: list[str], turn: int, size: int) -> list[str]:
    """A different slice of the words learnt so far on each review turn, wrapping around."""
    if len(words) <= size:
        return list(words)
    start = (turn * size) % len(words)
    return (words[start:] + words[:start])[:size]


def _milestones(
    current: str | None,
    target: str,
    minutes: int,
    weeks: int,
    factor: float,
    feasibility: Feasibility,
) -> list[Milestone]:
    start = 0 if current is None else LEVELS.index(current) + 1
    out = []
    for level in LEVELS[start : LEVELS.index(target) + 1]:
        week = week_reaching(current, level, minutes, factor)
        if week <= weeks:
            out.append(Milestone(week, f"Expected to reach {level}", level))
    for week in range(REVIEW_EVERY, weeks + 1, REVIEW_EVERY):
        if week <= MAX_SCHEDULE_WEEKS:
            out.append(Milestone(week, "Progress check: take an assessment"))
    if not feasibility.feasible:
        reached = feasibility.reachable_level or "no new level"
        out.append(Milestone(weeks, f"End of plan: about {reached} expected, not {target}",
                             feasibility.reachable_level))  # fmt: skip
    return sorted(out, key=lambda m: (m.week, m.level is None, m.description))


def _summary(
    current: str | None,
    target: str,
    weeks: int,
    minutes: int,
    f: Feasibility,
    focus: list[str],
) -> str:
    start = current or "beginner"
    text = (
        f"{start} to {target} needs about {f.hours_needed.mid:.0f} study hours "
        f"({f.hours_needed.low:.0f}-{f.hours_needed.high:.0f}); {weeks} weeks at {minutes} "
        f"minutes a week gives {f.hours_available:.0f} hours: {f.verdict}."
    )
    if not f.feasible:
        text += (
            f" You are {f.hours_short:.0f} hours short: study {f.minutes_per_week_needed} "
            f"minutes a week, or plan {f.weeks_needed} weeks at your current pace."
        )
    if focus:
        text += f" Extra time goes to {', '.join(focus)}."
    return text
