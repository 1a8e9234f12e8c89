"""Teachers' review of assessment results, and an assignment's results for export.

A review never changes the job: it is a row beside it keeping the AI level and sub-scores it
replaced, who reviewed and when. The newest review of a job is its reviewed result.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.classes import Staff, get_assignment
from storage.errors import Conflict, NotFound, Unprocessable
from storage.ids import new_id
from storage.learning.profiles import record_assessed_level
from storage.models.batches import Batch, BatchItem
from storage.models.classes import ScoreReview
from storage.models.identity import User
from storage.models.jobs import Job
from storage.webhooks.events import dispatch_after_commit, job_data, record_event

MAX_SCORE = 100


def ai_result(job: Job) -> tuple[str | None, dict[str, int]]:
    """The AI's level and sub-scores: speaking results nest the level under `cefr`,
    writing results name it `cefr_level`."""
    result = job.result or {}
    level = (result.get("cefr") or {}).get("level") or result.get("cefr_level")
    scores = result.get("scores") or {}
    return level, {k: v for k, v in scores.items() if isinstance(v, int | float)}


def _assignment_job(
    session: Session, staff: Staff, assignment_id: str, job_id: str
) -> tuple[Job, BatchItem]:
    get_assignment(session, staff, assignment_id)
    return _job_of(session, staff, assignment_id, job_id)


def _job_of(
    session: Session, staff: Staff, assignment_id: str, job_id: str
) -> tuple[Job, BatchItem]:
    found = session.execute(
        select(Job, BatchItem)
        .join(BatchItem, BatchItem.job_id == Job.id)
        .join(Batch, Batch.id == BatchItem.batch_id)
        .where(
            Job.id == job_id,
            Job.organisation_id == staff.organisation_id,
            Batch.assignment_id == assignment_id,
        )
    ).first()
    if found is None:
        raise NotFound(f"No result {job_id!r} in the assignment.", code="result_not_found")
    return found[0], found[1]


def latest_reviews(session: Session, job_ids: list[str]) -> dict[str, ScoreReview]:
    latest: dict[str, ScoreReview] = {}
    if not job_ids:
        return latest
    for review in session.scalars(
        select(ScoreReview)
        .where(ScoreReview.job_id.in_(job_ids))
        .order_by(ScoreReview.created_at, ScoreReview.id)
    ):
        latest[review.job_id] = review
    return latest


def review(
    session: Session, staff: Staff, assignment_id: str, job_id: str, data: dict[str, Any]
) -> ScoreReview:
    """Override the level and/or sub-scores of a finished result, with a comment."""
    assignment = get_assignment(session, staff, assignment_id)
    job, item = _job_of(session, staff, assignment_id, job_id)
    if job.status != "succeeded":
        raise Conflict(
            f"The job is {job.status}; only results can be reviewed.", code="result_not_ready"
        )
    level, scores = ai_result(job)
    changed = data.get("scores") or {}
    unknown = sorted(set(changed) - set(scores))
    if unknown:
        raise Unprocessable(
            f"The result has no sub-score {unknown[0]!r}.",
            code="unknown_sub_score",
            details={"sub_scores": sorted(scores)},
        )
    if not data.get("level") and not changed:
        raise Unprocessable("Give a level or sub-scores to change.", code="review_empty")
    previous = latest_reviews(session, [job.id]).get(job.id)
    base_scores = dict(previous.scores) if previous else dict(scores)
    row = ScoreReview(
        id=new_id("rev"),
        organisation_id=staff.organisation_id,
        job_id=job.id,
        assignment_id=assignment_id,
        reviewer_id=staff.user_id,
        level=data.get("level") or (previous.level if previous else level),
        scores={**base_scores, **changed},
        comment=data["comment"],
        ai_level=level,
        ai_scores=scores,
    )
    session.add(row)
    session.flush()
    if data.get("level") and item.learner_id:
        # The reviewed level is the learner's level for the language, as a measured one is.
        record_assessed_level(
            session,
            organisation_id=staff.organisation_id,
            user_id=item.learner_id,
            language=assignment.language,
            level=data["level"],
            job_id=job.id,
            at=row.created_at,
        )
    event, _ = record_event(
        session,
        staff.organisation_id,
        "result.reviewed",
        {
            "job_id": job.id,
            "assignment_id": assignment_id,
            "review_id": row.id,
            "learner_id": item.learner_id,
            "ai": {"level": level, "scores": scores},
            "reviewed": {"level": row.level, "scores": row.scores},
            "comment": row.comment,
            "reviewer_id": staff.user_id,
            "job": reviewed_job(job, row, level_changed=bool(data.get("level"))),
        },
        user_id=item.learner_id,
        job_id=job.id,
        occurred_at=row.created_at,
    )
    # The reviewed grade replaces the AI's in the gradebooks the learner was launched from.
    from storage import lti

    dispatch_after_commit(session, [d.id for d in lti.grade_deliveries(session, event, job)])
    return row


def reviewed_job(job: Job, review: ScoreReview, *, level_changed: bool) -> dict[str, Any]:
    """The job's public representation with the reviewed result in place of the AI's: what
    LMS formats (xAPI, LTI AGS) report after a review, dated when it was made.

    A level changed without a new `overall` drops the AI's overall score: it no longer stands
    behind the level, so the grade becomes the reviewed level on the CEFR scale.
    """
    body = job_data(job)
    result = dict(body["result"] or {})
    scores = dict(review.scores)
    if level_changed and scores.get("overall") == (review.ai_scores or {}).get("overall"):
        scores.pop("overall", None)
    result["scores"] = scores
    if isinstance(result.get("cefr"), dict):
        result["cefr"] = {**result["cefr"], "level": review.level}
    else:
        result["cefr_level"] = review.level
    result["feedback"] = f"Reviewed by a teacher: {review.comment}"
    result["review"] = {
        "id": review.id,
        "reviewer_id": review.reviewer_id,
        "ai_level": review.ai_level,
        "ai_scores": review.ai_scores,
    }
    body["result"] = result
    body["finished_at"] = review.created_at.isoformat() if review.created_at else None
    return body


def history(session: Session, staff: Staff, assignment_id: str, job_id: str) -> list[ScoreReview]:
    _assignment_job(session, staff, assignment_id, job_id)
    return list(
        session.scalars(
            select(ScoreReview)
            .where(ScoreReview.job_id == job_id)
            .order_by(ScoreReview.created_at, ScoreReview.id)
        )
    )


EXPORT_COLUMNS = (
    "learner_email",
    "learner_name",
    "learner_external_id",
    "item",
    "batch_id",
    "job_id",
    "status",
    "error_code",
    "ai_level",
    "ai_scores",
    "reviewed_level",
    "reviewed_scores",
    "final_level",
    "review_comment",
    "reviewed_by",
    "reviewed_at",
    "finished_at",
)


def result_rows(
    session: Session,
    staff: Staff,
    assignment_id: str,
    *,
    status: str | None = None,
    learner_id: str | None = None,
    chunk: int = 500,
) -> Iterator[dict[str, Any]]:
    """Every item of the assignment's batches, oldest first, with the AI and reviewed
    results."""
    get_assignment(session, staff, assignment_id)
    after: int | None = 0
    while after is not None:
        rows, after = result_page(
            session,
            staff.organisation_id,
            assignment_id,
            after,
            chunk,
            status=status,
            learner_id=learner_id,
        )
        yield from rows


def result_page(
    session: Session,
    organisation_id: str,
    assignment_id: str,
    after: int,
    limit: int,
    *,
    status: str | None = None,
    learner_id: str | None = None,
) -> tuple[list[dict[str, Any]], int | None]:
    """One chunk of results after the item id `after` (of `limit` items before the status
    filter), and the id to continue from: None when the chunk was the last one."""
    stmt = (
        select(BatchItem, Job, User)
        .join(Batch, Batch.id == BatchItem.batch_id)
        .outerjoin(Job, Job.id == BatchItem.job_id)
        .outerjoin(User, User.id == BatchItem.learner_id)
        .where(
            Batch.assignment_id == assignment_id,
            Batch.organisation_id == organisation_id,
            BatchItem.id > after,
        )
        .order_by(BatchItem.id)
        .limit(limit)
    )
    if learner_id:
        stmt = stmt.where(BatchItem.learner_id == learner_id)
    found = session.execute(stmt).all()
    reviews = latest_reviews(session, [job.id for _, job, _ in found if job is not None])
    rows = [_row(item, job, user, reviews.get(item.job_id or "")) for item, job, user in found]
    following = found[-1][0].id if len(found) == limit else None
    return [r for r in rows if status is None or r["status"] == status], following


def _row(
    item: BatchItem, job: Job | None, user: User | None, reviewed: ScoreReview | None
) -> dict[str, Any]:
    level, scores = ai_result(job) if job is not None else (None, {})
    return {
        "item_id": item.id,
        "learner_id": item.learner_id,
        "learner_email": user.email if user else None,
        "learner_name": user.name if user else None,
        "learner_external_id": user.external_id if user else None,
        "item": item.name,
        "batch_id": item.batch_id,
        "job_id": item.job_id,
        "status": job.status if job is not None else "error",
        "error_code": item.error_code
        or ((job.error or {}).get("code") if job is not None else None),
        "ai_level": level,
        "ai_scores": scores,
        "reviewed_level": reviewed.level if reviewed else None,
        "reviewed_scores": reviewed.scores if reviewed else None,
        "final_level": reviewed.level if reviewed and reviewed.level else level,
        "review_comment": reviewed.comment if reviewed else None,
        "reviewed_by": reviewed.reviewer_id if reviewed else None,
        "reviewed_at": reviewed.created_at.isoformat() if reviewed else None,
        "finished_at": job.finished_at.isoformat() if job is not None and job.finished_at else None,
    }
