"""The week-by-week schedule: every week of the plan, with the content that fills it.

What a schedule links: the organisation's vocabulary (new words from the learner's level up
to the target, and the words due for the learner's spaced-repetition review), the
speaking-task catalogue, and the lessons of the organisation's published courses (by
skill, in course order); the writing assessment takes any text. Sessions without such
content name an activity to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.plans.allocation import Allocation
from pipelines.plans.goals import LearningGoal, activities_for

REVIEW_EVERY = 4  # every 4th week consolidates and measures progress
REVIEW_THEME = "Review and progress check"
ASSESSMENT_ACTIVITY = "Take a speaking or writing assessment to measure progress"


@dataclass(frozen=True)
class Task:
    """A task of the platform's catalogue a session can link (a speaking prompt)."""

    id: str
    title: str
    kind: str = "speaking"


@dataclass(frozen=True)
class LessonLink:
    """A lesson of the organisation's courses a session can link, for one skill."""

    id: str
    title: str
    skill: str


@dataclass(frozen=True)
class Session:
    skill: str
    activity: str
    minutes: int
    word_ids: list[str] = field(default_factory=list)
    prompt_ids: list[str] = field(default_factory=list)
    # What the session links: "new_words", "review_words", "speaking_task", "lesson",
    # "assessment", or "activity" (an activity to do, with no platform content behind it).
    kind: str = "activity"
    lesson_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Week:
    week: int
    theme: str
    sessions: list[Session]
    content: list[str] = field(default_factory=list)  # what fills the week, in words

    @property
    def minutes(self) -> int:
        return sum(s.minutes for s in self.sessions)


def build_schedule(
    goals: list[LearningGoal],
    allocation: Allocation,
    weeks: int,
    word_ids: list[str],
    review_ids: list[str],
    tasks: list[Task],
    lessons: list[LessonLink] | None = None,
) -> list[Week]:
    """All `weeks` weeks; new words in order, due words first in review sessions, speaking
    tasks in turn, and each skill's lessons in course order (once each)."""
    themes = [t for group in zip(*(g.themes for g in goals), strict=False) for t in group]
    themes = themes or ["General practice"]
    titles = {t.id: t.title for t in [*tasks, *(lessons or [])]}
    state = _Cursor(word_ids, review_ids, tasks, lessons or [])
    schedule = []
    for week in range(1, weeks + 1):
        review = week % REVIEW_EVERY == 0
        theme = REVIEW_THEME if review else themes[(week - 1) % len(themes)]
        slots = allocation.rotation[(week - 1) % len(allocation.rotation)]
        seen: dict[str, int] = {}
        sessions = []
        for index, (skill, minutes) in enumerate(slots):
            k = seen[skill] = seen.get(skill, -1) + 1
            choices = activities_for(goals, skill)
            activity = choices[(week - 1 + k) % len(choices)]
            if review and index == 0:
                sessions.append(Session(skill, ASSESSMENT_ACTIVITY, minutes, kind="assessment"))
            elif skill == "vocabulary" and (word_ids or review_ids):
                sessions.append(state.vocabulary(week, k, minutes, review))
            elif skill == "speaking" and tasks:
                sessions.append(state.speaking(minutes))
            elif state.has_lesson(skill):
                sessions.append(state.lesson(skill, minutes))
            else:
                sessions.append(Session(skill, activity, minutes))
        schedule.append(Week(week, theme, sessions, describe(sessions, titles)))
    return schedule


def describe(sessions: list[Session], titles: dict[str, str]) -> list[str]:
    """What fills a week: the linked words and tasks, and the assessments to take."""
    new = {w for s in sessions if s.kind == "new_words" for w in s.word_ids}
    old = {w for s in sessions if s.kind != "new_words" for w in s.word_ids} - new
    out = []
    if new:
        out.append(f"{len(new)} new words from the vocabulary")
    if old:
        out.append(f"{len(old)} words to review (due first)")
    for prompt in dict.fromkeys(p for s in sessions for p in s.prompt_ids):
        title = titles.get(prompt)
        out.append(f"Speaking task {prompt}" + (f": {title}" if title else ""))
    for lesson in dict.fromkeys(x for s in sessions for x in s.lesson_ids):
        title = titles.get(lesson)
        out.append(f"Lesson {lesson}" + (f": {title}" if title else ""))
    if any(s.kind == "assessment" for s in sessions):
        out.append("Progress check: a speaking or writing assessment")
    if any(s.skill == "writing" and "assessment" in s.activity for s in sessions):
        out.append("Writing assessment of the week's text")
    return out


class _Cursor:
    """Where the schedule is in the word list, the review list and the task list."""

    def __init__(
        self,
        word_ids: list[str],
        review_ids: list[str],
        tasks: list[Task],
        lessons: list[LessonLink],
    ):
        self.words, self.due, self.tasks = word_ids, review_ids, tasks
        self.lessons: dict[str, list[LessonLink]] = {}
        for lesson in lessons:
            self.lessons.setdefault(lesson.skill, []).append(lesson)
        self.next_word = self.next_task = 0
        self.introduced: list[str] = []

    def vocabulary(self, week: int, k: int, minutes: int, review: bool) -> Session:
        # Words due for review come first in the first weeks; after that a review session
        # every other vocabulary slot revisits the due and the introduced words.
        reviewing = (
            review or self.next_word >= len(self.words) or (bool(self.due) and (week + k) % 2 == 1)
        )
        if not reviewing:
            count = max(5, minutes // 3)
            new = self.words[self.next_word : self.next_word + count]
            self.next_word += len(new)
            self.introduced.extend(new)
            return Session(
                "vocabulary",
                "Learn the linked new words with spaced repetition",
                minutes,
                new,
                kind="new_words",
            )
        pool = list(dict.fromkeys([*self.due, *self.introduced])) or self.words
        words = _window(pool, week + k, max(5, minutes // 2))
        return Session(
            "vocabulary",
            "Review the linked words with spaced repetition",
            minutes,
            words,
            kind="review_words",
        )

    def has_lesson(self, skill: str) -> bool:
        return bool(self.lessons.get(skill))

    def lesson(self, skill: str, minutes: int) -> Session:
        lesson = self.lessons[skill].pop(0)
        return Session(
            skill, f"Lesson: {lesson.title}", minutes, lesson_ids=[lesson.id], kind="lesson"
        )

    def speaking(self, minutes: int) -> Session:
        task = self.tasks[self.next_task % len(self.tasks)]
        self.next_task += 1
        return Session(
            "speaking",
            f"Speaking task: {task.title} (record it and submit it for assessment)",
            minutes,
            prompt_ids=[task.id],
            kind="speaking_task",
        )


def _window(words: list[str], turn: int, size: int) -> list[str]:
    """A different slice of the words on each review turn, wrapping around; the first turns
    start at the front, where the words due soonest are."""
    if len(words) <= size:
        return list(words)
    start = ((turn - 1) * size) % len(words)
    return (words[start:] + words[:start])[:size]
