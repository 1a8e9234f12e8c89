"""Learning plans: goals catalogue, guided-learning-hour estimates, weekly schedules."""

from pipelines.plans.builder import Milestone, Plan, build_plan, weak_skills_from_scores
from pipelines.plans.goals import GOALS, GOALS_BY_ID, SKILLS, LearningGoal, catalogue
from pipelines.plans.hours import (
    GLH,
    MAX_MINUTES_PER_WEEK,
    MAX_WEEKS,
    MIN_MINUTES_PER_WEEK,
    Feasibility,
    HourEstimate,
    Suggestion,
    assess_feasibility,
)
from pipelines.plans.schedule import LessonLink, Session, Task, Week

__all__ = [
    "GLH",
    "GOALS",
    "GOALS_BY_ID",
    "SKILLS",
    "Feasibility",
    "HourEstimate",
    "MAX_MINUTES_PER_WEEK",
    "MAX_WEEKS",
    "MIN_MINUTES_PER_WEEK",
    "LearningGoal",
    "LessonLink",
    "Milestone",
    "Plan",
    "Session",
    "Suggestion",
    "Task",
    "Week",
    "assess_feasibility",
    "build_plan",
    "catalogue",
    "weak_skills_from_scores",
]
