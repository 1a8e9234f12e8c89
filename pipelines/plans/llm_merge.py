"""Let an LLM rewrite a draft plan's first weeks, summary and focus, within hard limits.

Kept from the draft whatever the model says: the hour estimate and feasibility verdict
(they come from documented GLH figures), the weeks after those the model rewrote, the
skills: a rewritten week that drops a skill the draft week had gets the draft's session for
it back (at most 10 minutes), and the budget: a rewritten week whose minutes exceed the
weekly budget is scaled down to fit. Word and prompt ids the caller did not offer are
dropped.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import prompts
from pipelines.llm import LLMProvider
from pipelines.plans.allocation import MIN_SESSION_MINUTES
from pipelines.plans.builder import LLM_DRAFT_WEEKS, Milestone, Plan
from pipelines.plans.schedule import Session, Week, describe


def refine_with_llm(
    plan: Plan, llm: LLMProvider, word_ids: list[str], prompt_ids: list[str]
) -> Plan:
    draft = plan.to_dict()
    draft["schedule"] = draft["schedule"][:LLM_DRAFT_WEEKS]
    for week in draft["schedule"]:
        week.pop("content", None)  # fields the answer schema does not have: not shown,
        for session in week["sessions"]:  # so the model does not copy them back
            session.pop("kind", None)
            session["word_ids"] = session["word_ids"][:10]
    prompt = prompts.render(
        "learning_plan",
        language=prompts.language_name(plan.language),
        current_level=plan.current_level or "complete beginner",
        target_level=plan.target_level,
        goals=plan.goals,
        minutes_per_week=plan.minutes_per_week,
        weeks=plan.weeks,
        weak_skills=plan.focus or "none measured",
        resources={"word_ids": word_ids[:200], "prompt_ids": prompt_ids[:50]},
        draft={
            k: draft[k]
            for k in ("summary", "feasibility", "skill_minutes", "focus", "schedule", "milestones")
        },
    )
    result = llm.generate_json(prompt)
    data = result.data
    rewritten = {
        w["week"]: _week(
            w, plan.schedule[w["week"] - 1], plan.minutes_per_week, set(word_ids), set(prompt_ids)
        )
        for w in data["weeks"]
        if 1 <= w["week"] <= len(plan.schedule)
    }
    schedule = [rewritten.get(week.week, week) for week in plan.schedule]
    milestones = [
        Milestone(m["week"], m["description"], m["level"])
        for m in data["milestones"]
        if 1 <= m["week"] <= plan.weeks
    ] or plan.milestones
    return dataclasses.replace(
        plan,
        schedule=schedule,
        milestones=sorted(milestones, key=lambda m: (m.week, m.description)),
        focus=list(dict.fromkeys(data["focus"])) or plan.focus,
        summary=data["summary"],
        provider=result.provider,
        model=result.model,
        prompt_version=result.prompt_version,
    )


def _kind(session: dict[str, Any], words: set[str], prompt_ids: set[str]) -> str:
    if any(p in prompt_ids for p in session["prompt_ids"]):
        return "speaking_task"
    if any(w in words for w in session["word_ids"]):
        return "review_words" if "review" in session["activity"].lower() else "new_words"
    return "activity"


def _week(
    raw: dict[str, Any], draft: Week, budget: int, words: set[str], prompt_ids: set[str]
) -> Week:
    sessions = [
        Session(
            skill=s["skill"],
            activity=s["activity"],
            minutes=int(s["minutes"]),
            word_ids=[w for w in s["word_ids"] if w in words],
            prompt_ids=[p for p in s["prompt_ids"] if p in prompt_ids],
            kind=_kind(s, words, prompt_ids),
        )
        for s in raw["sessions"]
    ]
    covered = {s.skill for s in sessions}
    restored = list(
        {
            s.skill: dataclasses.replace(s, minutes=min(s.minutes, MIN_SESSION_MINUTES))
            for s in reversed(draft.sessions)
            if s.skill not in covered
        }.values()
    )[::-1]
    room = budget - sum(s.minutes for s in restored)
    if room < len(sessions):  # no room for the model's sessions next to the draft's skills
        return draft
    sessions = _fit(sessions, room) + restored
    return Week(raw["week"], raw["theme"], sessions, describe(sessions, {}))


def _fit(sessions: list[Session], room: int) -> list[Session]:
    """Scale sessions down to `room` minutes (largest remainder, at least 1 minute each)."""
    total = sum(s.minutes for s in sessions)
    if total <= room:
        return sessions
    exact = [s.minutes * room / total for s in sessions]
    minutes = [max(1, int(e)) for e in exact]
    by_remainder = sorted(range(len(sessions)), key=lambda i: -(exact[i] - int(exact[i])))
    for i in by_remainder[: max(0, room - sum(minutes))]:
        minutes[i] += 1
    return [dataclasses.replace(s, minutes=m) for s, m in zip(sessions, minutes, strict=True)]
