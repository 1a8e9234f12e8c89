"""Learning plans: goals catalogue, guided-learning-hour estimates, weekly schedules."""

from pipelines.plans.builder import (
    Milestone,
    Plan,
    Session,
    Week,
    build_plan,
    weak_skills_from_scores,
)
from pipelines.plans.goals import GOALS, GOALS_BY_ID, SKILLS, LearningGoal, catalogue
from pipelines.plans.hours import GLH, Feasibility, HourEstimate, assess_feasibility

__all__ = [
    "GLH",
    "GOALS",
    "GOALS_BY_ID",
    "SKILLS",
    "Feasibility",
    "HourEstimate",
    "LearningGoal",
    "Milestone",
    "Plan",
    "Session",
    "Week",
    "assess_feasibility",
    "build_plan",
    "catalogue",
    "weak_skills_from_scores",
]
