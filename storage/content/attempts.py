"""Attempts at exercises and quizzes.

A submission grades its objective items at once and creates one assessment job per
answered assessed item (a text: `writing_assessment`; a recording: `speaking_assessment`).
The attempt is `graded` when its last job ends: the job engine's terminal hook marks the
item, decrements `pending_items` with a conditional UPDATE (the row lock makes concurrent
endings queue up, so exactly one of them sees 0) and finishes the attempt with another
conditional UPDATE (`grading -> graded`), which records `quiz.graded` once.

Functions take the session and never commit; the caller enqueues the jobs after its commit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pipelines.grading import (
    ASSESSED_TYPES,
    AnswerError,
    assessed_score,
    check_assessed_answer,
    grade,
)
from storage.actor import Actor
from storage.content.exercises import get_exercise
from storage.db import utcnow
from storage.errors import Conflict, Forbidden, NotFound, Unprocessable
from storage.ids import new_id
from storage.learning import events
from storage.models.content import Attempt, AttemptJob, Exercise
from storage.models.jobs import Job

# What creates a job: (job type, input) -> the job row (see api.exercises.routes).
JobFactory = Callable[[str, dict[str, Any]], Job]
# A speaking answer's recording, checked as the speaking API checks it -> the job input part.
RecordingCheck = Callable[[str], dict[str, Any]]
JOB_TYPES = {"free_writing": "writing_assessment", "speaking": "speaking_assessment"}


def _answer_problems(exercise: Exercise, answers: Mapping[str, Any]) -> list[dict[str, str]]:
    known = {item["id"] for item in exercise.items}
    return [
        {
            "item_id": item_id,
            "code": "answer_unknown_item",
            "message": "The exercise has no such item.",
        }
        for item_id in answers
        if item_id not in known
    ]


def submit(
    session: Session,
    actor: Actor,
    exercise_id: str,
    learner_id: str | None,
    answers: Mapping[str, Any],
    *,
    make_job: JobFactory,
    recording: RecordingCheck,
    time_spent_seconds: int | None = None,
    now: datetime | None = None,
) -> tuple[Attempt, list[Job]]:
    """Grade what can be graded now and start a job for each assessed answer."""
    exercise = get_exercise(session, actor, exercise_id)
    if learner_id is None:
        raise Unprocessable("Name the learner the attempt is for.", code="learner_required")
    if not actor.is_staff() and learner_id != actor.user_id:
        raise Forbidden("Learners submit their own attempts.", code="learner_not_allowed")
    used = (
        session.scalar(
            select(func.count())
            .select_from(Attempt)
            .where(Attempt.exercise_id == exercise.id, Attempt.learner_user_id == learner_id)
        )
        or 0
    )
    if exercise.max_attempts is not None and used >= exercise.max_attempts:
        raise Conflict(
            f"All {exercise.max_attempts} attempts at this exercise are used.",
            code="attempt_limit_reached",
            details={"max_attempts": exercise.max_attempts, "attempts_used": used},
        )
    problems = _answer_problems(exercise, answers)
    results: list[dict[str, Any]] = []
    assessed: list[tuple[dict[str, Any], Any]] = []
    for item in exercise.items:
        answer = answers.get(item["id"])
        try:
            if item["type"] in ASSESSED_TYPES:
                if answer is None:
                    results.append(grade(item, None))
                    continue
                check_assessed_answer(item, answer)
                assessed.append((item, answer))
                results.append(
                    {
                        "item_id": item["id"],
                        "type": item["type"],
                        "score": None,
                        "max_score": float(item.get("points", 1)),
                        "correct": None,
                        "answered": True,
                        "status": "pending",
                    }
                )
            else:
                results.append(grade(item, answer))
        except AnswerError as exc:
            problems.append({"item_id": exc.item, "code": "answer_invalid", "message": str(exc)})
    if problems:
        raise Unprocessable(
            f"Item {problems[0]['item_id']!r}: {problems[0]['message']}.",
            code=problems[0]["code"],
            details={"items": problems},
        )
    inputs = [(item, _job_input(exercise, item, answer, recording)) for item, answer in assessed]
    now = now or utcnow()
    attempt = Attempt(
        id=new_id("att"),
        organisation_id=exercise.organisation_id,
        exercise_id=exercise.id,
        learner_user_id=learner_id,
        number=used + 1,
        status="grading",
        results=results,
        pending_items=len(inputs),
        max_score=sum(r["max_score"] for r in results),
        time_spent_seconds=time_spent_seconds,
        submitted_at=now,
    )
    try:
        with session.begin_nested():
            session.add(attempt)
            session.flush()
    except IntegrityError:
        raise Conflict(
            "Another attempt at this exercise was submitted at the same time; retry.",
            code="attempt_conflict",
        ) from None
    jobs, job_of = [], {}
    for item, given in inputs:
        job = make_job(JOB_TYPES[item["type"]], given)
        session.add(
            AttemptJob(
                job_id=job.id,
                attempt_id=attempt.id,
                item_id=item["id"],
                organisation_id=attempt.organisation_id,
                status="pending",
                max_score=float(item.get("points", 1)),
            )
        )
        jobs.append(job)
        job_of[item["id"]] = job.id
    if job_of:
        attempt.results = [
            {**r, "job_id": job_of[r["item_id"]]} if r["item_id"] in job_of else r for r in results
        ]
    session.flush()
    if not inputs:
        finish(session, attempt.id, now)
    return attempt, jobs


def _job_input(
    exercise: Exercise, item: dict[str, Any], answer: Any, recording: RecordingCheck
) -> dict[str, Any]:
    common = {
        "language": item["language"],
        "activity_id": f"exercises/{exercise.id}",
        "activity_name": exercise.title,
        "exercise_id": exercise.id,
        "item_id": item["id"],
    }
    if item["type"] == "free_writing":
        return {"text": answer, "task": item.get("prompt") or None, **common}
    reading = item.get("mode") == "reading"
    return {
        **recording(answer["media_id"]),
        **common,
        "prompt_id": None,
        "prompt_text": item.get("prompt") or None,
        "reference_text": item.get("reference_text") if reading else None,
    }


def on_job_terminal(session: Session, job: Job) -> None:
    """Terminal hook of the job engine: an assessed item's job ended."""
    if "assessment" not in job.type:
        return
    points = session.scalar(select(AttemptJob.max_score).where(AttemptJob.job_id == job.id))
    if points is None:
        return
    score = assessed_score(points, job.result) if job.status == "succeeded" else None
    marked = session.execute(
        update(AttemptJob)
        .where(AttemptJob.job_id == job.id, AttemptJob.status == "pending")
        .values(status="graded" if score is not None else "failed", score=score or 0.0)
        .returning(AttemptJob.attempt_id)
    ).first()
    if marked is None:  # already counted
        return
    remaining = session.scalar(
        update(Attempt)
        .where(Attempt.id == marked.attempt_id, Attempt.pending_items > 0)
        .values(pending_items=Attempt.pending_items - 1)
        .returning(Attempt.pending_items)
    )
    if remaining == 0:
        finish(session, marked.attempt_id, job.finished_at or utcnow())


def finish(session: Session, attempt_id: str, now: datetime) -> bool:
    """grading -> graded, once: totals, `quiz.graded`, streak day and badges."""
    attempt = session.scalar(
        select(Attempt).where(Attempt.id == attempt_id).execution_options(populate_existing=True)
    )
    exercise = session.get(Exercise, attempt.exercise_id)
    linked = {
        row.item_id: row
        for row in session.scalars(select(AttemptJob).where(AttemptJob.attempt_id == attempt_id))
    }
    results = []
    for result in attempt.results:
        link = linked.get(result["item_id"])
        if link is not None:
            result = {
                **result,
                "job_id": link.job_id,
                "status": link.status,
                "score": link.score or 0.0,
                "correct": None,
            }
        results.append(result)
    score = round(sum(r["score"] or 0.0 for r in results), 4)
    percent = round(100.0 * score / attempt.max_score, 1) if attempt.max_score else 100.0
    passed = percent >= 100.0 * exercise.pass_score
    done = session.execute(
        update(Attempt)
        .where(Attempt.id == attempt_id, Attempt.status == "grading")
        .values(
            status="graded",
            results=results,
            score=score,
            percent=percent,
            passed=passed,
            graded_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        return False
    session.expire(attempt)
    from storage.content import badges
    from storage.learning.progress import record_activity

    record_activity(session, attempt.organisation_id, attempt.learner_user_id, now)
    data = attempt_data(session, attempt_id)
    events.record_event(
        session,
        attempt.organisation_id,
        "quiz.graded",
        data,
        user_id=attempt.learner_user_id,
        occurred_at=now,
    )
    badges.on_event(
        session, "quiz.graded", attempt.organisation_id, attempt.learner_user_id, data, now
    )
    return True


def attempt_data(session: Session, attempt_id: str) -> dict[str, Any]:
    attempt = session.get(Attempt, attempt_id)
    exercise = session.get(Exercise, attempt.exercise_id)
    return {
        "attempt_id": attempt.id,
        "exercise_id": exercise.id,
        "kind": exercise.kind,
        "title": exercise.title,
        "lesson_id": exercise.lesson_id,
        "course_id": exercise.course_id,
        "learner_id": attempt.learner_user_id,
        "number": attempt.number,
        "status": attempt.status,
        "score": attempt.score,
        "max_score": attempt.max_score,
        "percent": attempt.percent,
        "passed": attempt.passed,
        "submitted_at": attempt.submitted_at.isoformat(),
        "graded_at": attempt.graded_at.isoformat() if attempt.graded_at else None,
    }


def attempts_query(
    organisation_id: str, exercise_id: str, learner_id: str
) -> Select[tuple[Attempt]]:
    return (
        select(Attempt)
        .where(
            Attempt.organisation_id == organisation_id,
            Attempt.exercise_id == exercise_id,
            Attempt.learner_user_id == learner_id,
        )
        .order_by(Attempt.number.desc())
    )


def summary(session: Session, exercise: Exercise, learner_id: str) -> dict[str, Any]:
    """Best and latest graded score, attempts used and left."""
    attempts = list(
        session.scalars(attempts_query(exercise.organisation_id, exercise.id, learner_id))
    )
    graded = [a for a in attempts if a.status == "graded"]
    best = max(graded, key=lambda a: (a.percent or 0.0, -a.number), default=None)
    left = None if exercise.max_attempts is None else max(0, exercise.max_attempts - len(attempts))
    return {
        "exercise_id": exercise.id,
        "learner_id": learner_id,
        "items": attempts,
        "attempts_used": len(attempts),
        "attempts_left": left,
        "best_percent": best.percent if best else None,
        "best_attempt_id": best.id if best else None,
        "latest_percent": graded[0].percent if graded else None,
        "latest_attempt_id": attempts[0].id if attempts else None,
    }


def get_attempt(session: Session, actor: Actor, attempt_id: str) -> Attempt:
    attempt = session.scalar(
        select(Attempt).where(
            Attempt.id == attempt_id, Attempt.organisation_id == actor.organisation_id
        )
    )
    if attempt is None or (not actor.is_staff() and attempt.learner_user_id != actor.user_id):
        raise NotFound(f"No attempt with id {attempt_id!r}.", code="attempt_not_found")
    return attempt
