"""Learning plans: hour estimates, feasibility, schedules, focus, resources, LLM refinement."""

from __future__ import annotations

import copy

import pytest

from pipelines.errors import PipelineError
from pipelines.llm.openai_provider import OpenAIProvider
from pipelines.plans import (
    GOALS,
    SKILLS,
    assess_feasibility,
    build_plan,
    catalogue,
    weak_skills_from_scores,
)
from pipelines.plans.hours import hours_between
from tests.pipelines.text.fake_llm import json_completion
from tests.pipelines.text.llm_samples import ANSWERS


def test_catalogue_lists_goals_with_normalised_skill_weights():
    # Given the catalogue / When listed / Then the core goals exist with weights summing to 1
    goals = {g["id"]: g for g in catalogue()}
    assert {"travel", "work", "exam", "conversation", "academic"} <= set(goals)
    for goal in goals.values():
        assert set(goal["skill_weights"]) == set(SKILLS)
        assert sum(goal["skill_weights"].values()) == pytest.approx(1.0, abs=0.01)
        assert goal["title"] and goal["themes"]


def test_hours_follow_the_guided_learning_hour_ranges():
    # Given level gaps / When estimated / Then the Cambridge GLH differences come out
    assert hours_between("A2", "B1") == hours_between("A2", "B1", 1.0)
    a2_b1 = hours_between("A2", "B1")
    assert (a2_b1.low, a2_b1.high, a2_b1.mid) == (170, 200, 185)
    beginner_c2 = hours_between(None, "C2")
    assert (beginner_c2.low, beginner_c2.high) == (1000, 1200)
    assert hours_between("A2", "B1", 1.5).mid == pytest.approx(277.5)


def test_a2_to_b1_at_three_hours_a_week_fits():
    # Given A2 -> B1 with 3 hours a week over 70 weeks
    plan = build_plan("es", "A2", "B1", ["travel"], 180, 70)
    # When planned / Then it is realistic, every week fits the budget, and B1 is a milestone
    assert plan.feasibility.feasible and plan.feasibility.verdict == "realistic"
    assert plan.feasibility.hours_available == 210
    assert all(week.minutes == 180 for week in plan.schedule)
    assert [week.week for week in plan.schedule] == list(range(1, 71))  # every week
    b1 = [m for m in plan.milestones if m.level == "B1"]
    assert b1 and b1[0].week == 62  # 185 h at 3 h/week


def test_a1_to_c2_in_two_weeks_is_infeasible_with_the_hours_needed():
    # Given an impossible request
    plan = build_plan("en", "A1", "C2", ["exam"], 180, 2)
    f = plan.feasibility
    # When planned / Then it is flagged with the hours needed and what would work instead
    assert not f.feasible and f.verdict == "unrealistic"
    assert (f.hours_needed.low, f.hours_needed.mid) == (910, 1005)
    assert f.hours_available == 6
    assert f.hours_short == 904
    assert f.weeks_needed == 335
    assert f.minutes_per_week_needed == 30150  # a measurement, not a suggestion
    assert f.reachable_level == "A1"
    assert "1005 study hours" in plan.summary and "904 hours short" in plan.summary
    # And what it suggests is what a plan request accepts
    assert [(s.change, s.minutes_per_week, s.weeks) for s in f.suggestions] == [
        ("weeks", 180, 335),
        ("minutes_and_weeks", 3000, 21),
    ]
    assert "30150" not in plan.summary and "3000 minutes a week" in plan.summary


def test_ambitious_when_only_the_low_end_is_covered():
    # Given a budget between the low and mid estimate / Then ambitious but feasible
    f = assess_feasibility("A2", "B1", 180, 60)  # 180 h: >= 170, < 185
    assert (f.verdict, f.feasible) == ("ambitious", True)


def test_weeks_default_to_what_the_budget_needs():
    # Given no number of weeks / When planned / Then as many weeks as the midpoint needs
    plan = build_plan("ja", None, "A2", ["conversation", "culture"], 90)
    assert plan.weeks == 127 and plan.feasibility.verdict == "realistic"


def test_weak_sub_scores_get_more_time():
    # Given the same request with and without weak assessment sub-scores
    scores = {"pronunciation": 80, "fluency": 42, "vocabulary": 75, "grammar": 55}
    plain = build_plan("en", "B1", "B2", ["work"], 240, 20)
    focused = build_plan("en", "B1", "B2", ["work"], 240, 20, skill_scores=scores)
    # When compared / Then the weakest sub-scores become the focus and get more minutes
    assert weak_skills_from_scores(scores) == ["speaking", "grammar"]
    assert focused.focus == ["speaking", "grammar"]
    for skill in focused.focus:
        assert focused.skill_minutes.get(skill, 0) > plain.skill_minutes.get(skill, 0)


def test_goals_shape_the_skill_split():
    # Given an academic and a travel learner with the same budget
    academic = build_plan("en", "B1", "B2", ["academic"], 300, 20).skill_minutes
    travel = build_plan("en", "B1", "B2", ["travel"], 300, 20).skill_minutes
    # Then academic study leans to reading and writing, travel to speaking and listening
    assert academic.get("writing", 0) > travel.get("writing", 0)
    assert travel.get("speaking", 0) + travel.get("listening", 0) > academic.get(
        "speaking", 0
    ) + academic.get("listening", 0)


def test_words_and_speaking_prompts_are_linked_to_sessions():
    # Given word ids and speaking prompt ids
    words = [f"w{i}" for i in range(30)]
    plan = build_plan(
        "fr", "A1", "A2", ["conversation"], 180, 8, word_ids=words, prompt_ids=["p1", "p2"]
    )
    sessions = [s for week in plan.schedule for s in week.sessions]
    linked = [w for s in sessions for w in s.word_ids]
    # When planned / Then every word is introduced, in order, and prompts rotate
    first_time = list(dict.fromkeys(linked))
    assert first_time == words
    prompts_used = [p for s in sessions for p in s.prompt_ids]
    assert prompts_used[:4] == ["p1", "p2", "p1", "p2"]
    assert all(s.skill == "vocabulary" for s in sessions if s.word_ids)
    assert all(s.skill == "speaking" for s in sessions if s.prompt_ids)


def test_every_fourth_week_checks_progress():
    # Given an 8-week plan / Then weeks 4 and 8 are review weeks with an assessment
    plan = build_plan("en", "A2", "B1", ["exam"], 120, 8)
    reviews = [w.week for w in plan.schedule if w.theme == "Review and progress check"]
    assert reviews == [4, 8]
    assert "assessment" in plan.schedule[3].sessions[0].activity
    assert [m.week for m in plan.milestones if m.level is None] == [4, 8]


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("en", "B2", "B1", ["travel"], 120, 10), "target_not_above_current"),
        (("en", "A1", "D1", ["travel"], 120, 10), "invalid_level"),
        (("en", "A1", "B1", ["knitting"], 120, 10), "unknown_goal"),
        (("en", "A1", "B1", ["travel"], 5, 10), "invalid_budget"),
        (("en", "A1", "B1", ["travel"], 120, 0), "invalid_budget"),
    ],
)
def test_bad_requests_fail_with_clear_codes(args, code):
    # Given an invalid request / When planned / Then a permanent error with its code
    with pytest.raises(PipelineError) as err:
        build_plan(*args)
    assert err.value.code == code


def test_plans_are_deterministic():
    # Given the same request twice / Then the same plan
    args = ("es", "A2", "B2", [g.id for g in GOALS[:3]], 200, 30)
    assert build_plan(*args).to_dict() == build_plan(*args).to_dict()


def test_with_an_llm_the_first_weeks_are_rewritten_within_the_budget(fake_openai):
    # Given a model that rewrites week 1 over budget and links an id it was not given
    answer = copy.deepcopy(ANSWERS["learning_plan"])
    answer["weeks"][0]["sessions"] = [
        {
            "skill": "listening",
            "activity": "Airport announcements",
            "minutes": 200,
            "word_ids": ["w1", "invented"],
            "prompt_ids": [],
        },
        {
            "skill": "speaking",
            "activity": "Check-in role-play",
            "minutes": 100,
            "word_ids": [],
            "prompt_ids": [],
        },
    ]
    fake_openai.push(json_completion(answer))
    llm = OpenAIProvider(model="test-model", base_url=fake_openai.base_url)
    # When planned with the LLM
    plan = build_plan("es", "A2", "B1", ["travel"], 180, 12, word_ids=["w1", "w2"], llm=llm)
    # Then week 1 is the model's, with the five skills it dropped given back their draft
    # sessions (10 minutes each) and its own sessions scaled to the 130 minutes left;
    # unknown ids dropped; hours and verdict stay the documented estimate; provenance kept
    week1 = plan.schedule[0]
    assert week1.theme == "At the airport"
    assert [s.minutes for s in week1.sessions] == [87, 43, 10, 10, 10, 10, 10]
    assert week1.minutes == 180
    draft = build_plan("es", "A2", "B1", ["travel"], 180, 12, word_ids=["w1", "w2"])
    assert {s.skill for s in week1.sessions} == {s.skill for s in draft.schedule[0].sessions}
    assert week1.sessions[0].word_ids == ["w1"]
    assert (
        plan.schedule[1].sessions
        == build_plan("es", "A2", "B1", ["travel"], 180, 12, word_ids=["w1", "w2"])
        .schedule[1]
        .sessions
    )
    assert plan.feasibility.verdict == "unrealistic"  # 36 h for 185 h, whatever the model says
    assert plan.summary == answer["summary"]
    assert (plan.provider, plan.prompt_version) == ("openai", "2026-11-01")
