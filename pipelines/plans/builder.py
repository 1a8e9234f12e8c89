"""Build a weekly study plan from a level gap, goals, a time budget and weak skills."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from pipelines.cefr import LEVELS, check_language
from pipelines.errors import PipelineError
from pipelines.llm import LLMProvider
from pipelines.plans.allocation import allocate, skill_shares
from pipelines.plans.goals import GOALS_BY_ID, SKILLS, LearningGoal
from pipelines.plans.hours import (
    MAX_MINUTES_PER_WEEK,
    MAX_WEEKS,
    MIN_MINUTES_PER_WEEK,
    Feasibility,
    assess_feasibility,
    week_reaching,
)
from pipelines.plans.schedule import (
    REVIEW_EVERY,
    LessonLink,
    Session,
    Task,
    Week,
    build_schedule,
)

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

__all__ = ["Milestone", "Plan", "Session", "Task", "Week", "build_plan", "weak_skills_from_scores"]


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
    skill_minutes: dict[str, int]  # planned minutes per skill in an average week
    rotation_weeks: int  # 1, or the weeks over which a small budget visits every skill
    focus: list[str]
    feasibility: Feasibility
    schedule: list[Week]  # every week of the plan
    milestones: list[Milestone]
    summary: str
    content: str  # where the linked words and tasks come from, and what is not linked
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
        (
            (value, SUBSCORE_SKILLS[name])
            for name, value in scores.items()
            if name in SUBSCORE_SKILLS and value < 70
        ),
        key=lambda pair: (pair[0], SKILLS.index(pair[1])),
    )
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
    review_word_ids: list[str] | None = None,
    tasks: list[Task] | None = None,
    lessons: list[LessonLink] | None = None,
    difficulty_factor: float = 1.0,
    llm: LLMProvider | None = None,
) -> Plan:
    """A deterministic plan; with an LLM, the model rewrites the first weeks and the summary.

    `weeks` None means "as long as it takes at this pace", at most 520 (then the plan says it
    is not enough). `word_ids` are new words in teaching order, `review_word_ids` the words
    due for review, `tasks` (or bare `prompt_ids`) speaking tasks to link, `lessons` the
    organisation's lessons for the level range in course order. Raises
    PipelineError for a level that is not A1..C2, a target not above the current level, an
    unknown goal, or a budget outside 15..3000 minutes per week / 1..520 weeks.
    """
    language = check_language(language)
    _check_levels(current_level, target_level)
    goal_objs = _goals(goals)
    if not MIN_MINUTES_PER_WEEK <= minutes_per_week <= MAX_MINUTES_PER_WEEK:
        raise PipelineError(
            "invalid_budget",
            f"minutes_per_week must be between {MIN_MINUTES_PER_WEEK} and {MAX_MINUTES_PER_WEEK}.",
        )
    if weeks is None:
        weeks = min(
            MAX_WEEKS,
            assess_feasibility(
                current_level, target_level, minutes_per_week, 1, difficulty_factor
            ).weeks_needed,
        )
    if not 1 <= weeks <= MAX_WEEKS:
        raise PipelineError(
            "invalid_budget", f"weeks must be between 1 and {MAX_WEEKS}, got {weeks}."
        )
    feasibility = assess_feasibility(
        current_level, target_level, minutes_per_week, weeks, difficulty_factor
    )
    focus = _focus(weak_skills or [], skill_scores or {})
    allocation = allocate(skill_shares(goal_objs, current_level), minutes_per_week, focus, weeks)
    known = {t.id for t in tasks or []}
    task_list = [*(tasks or []), *(Task(p, "") for p in prompt_ids or [] if p not in known)]
    task_list = [Task(t.id, t.title or f"prompt {t.id}", t.kind) for t in task_list]
    new_words = [w for w in word_ids or [] if w not in set(review_word_ids or [])]
    schedule = build_schedule(
        goal_objs, allocation, weeks, new_words, list(review_word_ids or []), task_list, lessons
    )
    plan = Plan(
        language=language,
        current_level=current_level,
        target_level=target_level,
        goals=[g.id for g in goal_objs],
        minutes_per_week=minutes_per_week,
        weeks=weeks,
        sessions_per_week=allocation.sessions_per_week,
        skill_minutes=allocation.skill_minutes(),
        rotation_weeks=len(allocation.rotation),
        focus=focus,
        feasibility=feasibility,
        schedule=schedule,
        milestones=_milestones(
            current_level, target_level, minutes_per_week, weeks, difficulty_factor, feasibility
        ),
        summary=_summary(current_level, target_level, weeks, minutes_per_week, feasibility, focus),
        content=_content_note(new_words, review_word_ids or [], task_list, schedule),
    )
    if llm is None:
        return plan
    from pipelines.plans.llm_merge import refine_with_llm

    return refine_with_llm(
        plan, llm, list(word_ids or []) + list(review_word_ids or []), [t.id for t in task_list]
    )


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
        out.append(Milestone(week, "Progress check: take an assessment"))
    if not feasibility.feasible:
        reached = feasibility.reachable_level or "no new level"
        out.append(
            Milestone(
                weeks,
                f"End of plan: about {reached} expected, not {target}",
                feasibility.reachable_level,
            )
        )
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
        text += f" You are {f.hours_short:.0f} hours short."
        if f.suggestions:
            text += " " + " Or: ".join(s.description for s in f.suggestions)
        else:
            text += " No budget a plan allows covers it: aim for a nearer level first."
    if focus:
        text += f" Extra time goes to {', '.join(focus)}."
    return text


def _content_note(
    words: list[str], due: list[str], tasks: list[Task], schedule: list[Any] | None = None
) -> str:
    linked = []
    lessons = {x for week in schedule or [] for s in week.sessions for x in s.lesson_ids}
    if words or due:
        linked.append(
            f"{len(words) + len(due)} words from the organisation's vocabulary "
            f"({len(due)} due for review)"
        )
    if tasks:
        linked.append(f"{len(tasks)} speaking tasks from the task catalogue")
    if lessons:
        linked.append(f"{len(lessons)} lessons of the organisation's courses")
    text = "Linked content: " + (" and ".join(linked) if linked else "none") + ". "
    if lessons:
        return text + (
            "Sessions a linked item does not fill name an activity to do, and "
            "writing sessions use the writing assessment."
        )
    return text + (
        "No course lessons were linked (the organisation has none for this "
        "language and level range): the other sessions name an activity to do, "
        "and writing sessions use the writing assessment."
    )
