"""The hand-written plan cases: every plan keeps the plan properties and each case's own
expectations (goal weights and weak skills together, budgets, every week scheduled)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.plans import MAX_MINUTES_PER_WEEK, MAX_WEEKS, build_plan
from pipelines.plans.checks import expectation_problems, plan_problems

CASES = json.loads(
    (Path(__file__).parents[2] / "fixtures" / "plans" / "cases.json").read_text("utf-8")
)["cases"]


def _build(case: dict, weak: list[str]):
    return build_plan(
        case["language"],
        case["current"],
        case["target"],
        case["goals"],
        case["minutes"],
        case["weeks"],
        weak_skills=weak,
    )


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case_keeps_the_plan_properties_and_its_expectations(case):
    # Given a hand-written request / When planned with and without its weak skills
    plan, plain = _build(case, case["weak"]), _build(case, [])
    # Then no property is broken and the case's own expectations hold
    problems = {name: found for name, found in plan_problems(plan, plain).items() if found}
    assert problems == {}
    assert expectation_problems(plan, case["expect"]) == []


def test_the_case_set_is_large_and_varied():
    # Given the case set / Then it covers small and maximum budgets, long plans and weak skills
    assert len(CASES) >= 20
    assert {c["minutes"] for c in CASES} >= {15, 3000}
    assert any(c["weeks"] is None for c in CASES) and any(c["weak"] for c in CASES)


def test_speaking_goals_never_leave_speaking_or_listening_at_zero():
    # Given goals that weight speaking highest, with and without weak skills named
    for weak in ([], ["speaking"], ["listening"], ["grammar", "writing", "reading"]):
        plan = build_plan("en", "A2", "B1", ["conversation", "travel"], 120, 30, weak_skills=weak)
        # Then speaking and listening always have time, and every session fits the week
        assert plan.skill_minutes["speaking"] > 0 and plan.skill_minutes["listening"] > 0
        assert all(week.minutes == 120 for week in plan.schedule)


def test_a_long_plan_schedules_all_its_weeks():
    # Given a 62-week plan (the old schedule stopped at week 52)
    plan = build_plan("es", "A2", "B1", ["travel"], 180, None)
    # Then every week is there
    assert plan.weeks == 62
    assert [w.week for w in plan.schedule] == list(range(1, 63))


def test_suggestions_stay_within_what_a_request_accepts():
    # Given a request that would need about 3,930 minutes a week
    plan = build_plan("en", "A1", "C1", ["exam"], 600, 10)
    f = plan.feasibility
    assert f.minutes_per_week_needed > MAX_MINUTES_PER_WEEK
    # Then no suggestion asks for more than the API's limits, and the summary says none does
    assert f.suggestions
    for s in f.suggestions:
        assert s.minutes_per_week <= MAX_MINUTES_PER_WEEK and s.weeks <= MAX_WEEKS
    assert str(f.minutes_per_week_needed) not in plan.summary


def test_weeks_say_which_words_and_tasks_fill_them():
    # Given due words, new words and catalogue speaking tasks
    from pipelines.plans import Task

    plan = build_plan(
        "en",
        "A2",
        "B1",
        ["conversation"],
        180,
        8,
        word_ids=[f"w{i}" for i in range(40)],
        review_word_ids=["d1", "d2"],
        tasks=[Task("spp_en_a2_1", "Your last holiday")],
    )
    # Then weeks name their words and tasks (review and new words take turns); due words come
    # first in the first review; the plan says where its content comes from and what it lacks
    week1, week2 = plan.schedule[:2]
    assert "2 words to review (due first)" in week1.content
    assert any("new words" in c for c in week2.content)
    assert "Speaking task spp_en_a2_1: Your last holiday" in week1.content
    reviews = [s.word_ids for w in plan.schedule for s in w.sessions if s.kind == "review_words"]
    assert reviews and reviews[0][:2] == ["d1", "d2"]
    assert "No course lessons were linked" in plan.content
    assert "2 due for review" in plan.content


def test_weeks_link_course_lessons_by_skill_in_order():
    # Given two grammar lessons and a reading lesson of the organisation's courses
    from pipelines.plans import LessonLink

    lessons = [
        LessonLink("lsn_g1", "Present simple", "grammar"),
        LessonLink("lsn_r1", "A short story", "reading"),
        LessonLink("lsn_g2", "Past simple", "grammar"),
    ]
    plan = build_plan("en", "A1", "A2", ["exam"], 240, 8, lessons=lessons)
    # Then grammar and reading sessions link them, each once and in course order
    linked = [
        (s.skill, s.lesson_ids[0]) for w in plan.schedule for s in w.sessions if s.kind == "lesson"
    ]
    assert [lid for skill, lid in linked if skill == "grammar"] == ["lsn_g1", "lsn_g2"]
    assert [lid for skill, lid in linked if skill == "reading"] == ["lsn_r1"]
    # And the weeks and the plan say so
    assert any(c == "Lesson lsn_g1: Present simple" for w in plan.schedule for c in w.content)
    assert "3 lessons of the organisation's courses" in plan.content
