"""The learning-goals catalogue: what a learner wants the language for, and what that means
for how their time is split between skills."""

from __future__ import annotations

from dataclasses import dataclass, field

SKILLS = ("speaking", "listening", "reading", "writing", "vocabulary", "grammar", "pronunciation")


@dataclass(frozen=True)
class LearningGoal:
    id: str
    title: str
    description: str
    skill_weights: dict[str, float]  # relative; normalised when plans mix goals
    activities: dict[str, tuple[str, ...]] = field(default_factory=dict)  # per skill
    themes: tuple[str, ...] = ()


_GENERIC_ACTIVITIES = {
    "speaking": ("Answer a speaking prompt aloud and record it", "Shadow a short dialogue"),
    "listening": (
        "Listen to a short podcast episode and note key words",
        "Watch a short video with subtitles in the language",
    ),
    "reading": (
        "Read a graded article and summarise it in three sentences",
        "Read a short story chapter",
    ),
    "writing": (
        "Write a paragraph and submit it for a writing assessment",
        "Write a short message to a friend",
    ),
    "vocabulary": (
        "Learn and review the week's words with spaced repetition",
        "Review due words and write one sentence with each",
    ),
    "grammar": (
        "Study one grammar point and do ten practice sentences",
        "Correct your own errors from last week's writing",
    ),
    "pronunciation": (
        "Minimal-pair drills on difficult sounds",
        "Read a text aloud and compare with a model recording",
    ),
}

GOALS: tuple[LearningGoal, ...] = (
    LearningGoal(
        "conversation",
        "Everyday conversation",
        "Talk with people about daily life, opinions and plans.",
        {
            "speaking": 3,
            "listening": 2.5,
            "vocabulary": 2,
            "pronunciation": 1.5,
            "grammar": 1,
            "reading": 0.5,
            "writing": 0.5,
        },
        {
            "speaking": (
                "Talk about your day for two minutes",
                "Role-play meeting someone new",
                "Describe a photo and give your opinion",
            )
        },
        ("Introducing yourself", "Daily routines", "Plans and invitations", "Opinions"),
    ),
    LearningGoal(
        "travel",
        "Travel",
        "Get around, book, order, ask for directions and handle problems abroad.",
        {
            "speaking": 2.5,
            "listening": 2.5,
            "vocabulary": 2.5,
            "pronunciation": 1,
            "reading": 1,
            "grammar": 0.5,
            "writing": 0.5,
        },
        {
            "speaking": (
                "Role-play ordering in a restaurant",
                "Ask for and give directions",
                "Role-play checking in at a hotel",
            ),
            "listening": ("Listen to station and airport announcements",),
            "reading": ("Read signs, menus and timetables",),
        },
        ("At the airport", "Hotels", "Eating out", "Directions", "Shopping", "Emergencies"),
    ),
    LearningGoal(
        "work",
        "Work and career",
        "Meetings, e-mails, phone calls and presentations at work.",
        {
            "speaking": 2.5,
            "writing": 2,
            "listening": 2,
            "vocabulary": 2,
            "reading": 1.5,
            "grammar": 1,
            "pronunciation": 0.5,
        },
        {
            "writing": (
                "Write a work e-mail and submit it for assessment",
                "Write meeting notes from a recording",
            ),
            "speaking": ("Present your job in two minutes", "Role-play a phone call with a client"),
        },
        ("Introductions at work", "E-mails", "Meetings", "Phone calls", "Presentations"),
    ),
    LearningGoal(
        "exam",
        "Exam preparation",
        "Prepare for a certificate exam (Cambridge, DELE, DELF, Goethe, JLPT).",
        {
            "reading": 2,
            "listening": 2,
            "writing": 2,
            "speaking": 2,
            "grammar": 2,
            "vocabulary": 2,
            "pronunciation": 0.5,
        },
        {
            "writing": ("Write a timed exam essay and submit it for assessment",),
            "reading": ("Do a timed reading comprehension paper",),
            "listening": ("Do a timed listening paper",),
        },
        (
            "Exam format",
            "Reading papers",
            "Listening papers",
            "Writing tasks",
            "Speaking test",
            "Mock exam",
        ),
    ),
    LearningGoal(
        "academic",
        "Academic study",
        "Follow lectures, read papers and write essays at university.",
        {
            "reading": 3,
            "writing": 3,
            "listening": 2,
            "vocabulary": 2,
            "grammar": 1.5,
            "speaking": 1,
            "pronunciation": 0.5,
        },
        {
            "reading": ("Read an academic article and outline its argument",),
            "writing": ("Write an argumentative paragraph with sources",),
            "listening": ("Take notes from a recorded lecture",),
        },
        ("Lectures", "Academic reading", "Essays", "Seminars", "Citing sources"),
    ),
    LearningGoal(
        "culture",
        "Culture and media",
        "Enjoy films, series, music, books and news in the language.",
        {
            "listening": 3,
            "reading": 2.5,
            "vocabulary": 2,
            "speaking": 1,
            "pronunciation": 1,
            "grammar": 0.5,
            "writing": 0.5,
        },
        {
            "listening": (
                "Watch an episode of a series with subtitles in the language",
                "Listen to a song and fill in the lyrics",
            ),
            "reading": ("Read a news article", "Read a chapter of a graded reader"),
        },
        ("Films and series", "Music", "News", "Books", "Food and festivals"),
    ),
    LearningGoal(
        "relocation",
        "Living abroad",
        "Settle in: housing, administration, health, neighbours and local life.",
        {
            "speaking": 2.5,
            "listening": 2.5,
            "reading": 1.5,
            "vocabulary": 2,
            "writing": 1,
            "grammar": 1,
            "pronunciation": 1,
        },
        {
            "reading": ("Read a rental contract or an official letter",),
            "speaking": ("Role-play a doctor's appointment", "Role-play talking to a neighbour"),
        },
        ("Housing", "Administration", "Health", "Neighbours", "Work and school"),
    ),
)

GOALS_BY_ID = {g.id: g for g in GOALS}


def activities_for(goals: list[LearningGoal], skill: str) -> tuple[str, ...]:
    """Goal-specific activities for a skill first, then the generic ones."""
    specific = [a for g in goals for a in g.activities.get(skill, ())]
    return tuple(dict.fromkeys([*specific, *_GENERIC_ACTIVITIES[skill]]))


def catalogue() -> list[dict]:
    """The catalogue as plain dicts for the API."""
    return [
        {
            "id": g.id,
            "title": g.title,
            "description": g.description,
            "skill_weights": _normalise(g.skill_weights),
            "themes": list(g.themes),
        }
        for g in GOALS
    ]


def _normalise(weights: dict[str, float]) -> dict[str, float]:
    total = sum(weights.values())
    return {s: round(weights.get(s, 0) / total, 3) for s in SKILLS}
