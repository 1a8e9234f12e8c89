"""Retention: an organisation's periods are set by its admins (audited), and the scheduled
sweep removes recordings (object and row), finished jobs, learning plans and conversations
older than them, in batches,
skipping rows another sweeper holds, leaving staff media and other organisations alone."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.db import db, utcnow
from storage.models.audit import AuditRecord
from storage.models.conversations import ConversationMessage, ConversationSession
from storage.models.jobs import Job
from storage.models.media import Media
from storage.models.plans import LearningPlan
from tests.api.apihelpers import assert_problem
from tests.retention.conftest import age_job, age_media
from workers import retention
from workers.scheduler import scheduled_jobs

RETENTION = "/api/v1/organisation/retention"


def test_admins_set_the_periods_and_the_change_is_audited(client, accounts):
    # Given an admin and a teacher
    admin = accounts.admin()
    teacher = accounts.member(admin, "teacher")
    # When the admin reads the default, then sets 30 days for recordings only
    default = client.get(RETENTION, headers=admin.headers)
    changed = client.put(
        RETENTION, json={"media_days": 30, "results_days": None}, headers=admin.headers
    )
    # Then everything is kept by default, and the new periods are answered and read back
    assert default.get_json() == {"media_days": None, "results_days": None}
    assert changed.status_code == 200, changed.get_json()
    assert client.get(RETENTION, headers=admin.headers).get_json() == {
        "media_days": 30,
        "results_days": None,
    }
    # And the change is in the audit log
    log = client.get(
        "/api/v1/admin/audit", headers=admin.headers, query_string={"action": "retention.changed"}
    ).get_json()["items"]
    assert [(r["before"], r["after"]) for r in log] == [({"media_days": None}, {"media_days": 30})]
    # And bad periods and other roles are refused
    assert_problem(
        client.put(RETENTION, json={"media_days": 0, "results_days": None}, headers=admin.headers),
        422,
        "validation_error",
    )
    assert_problem(
        client.put(RETENTION, json={"media_days": 30}, headers=admin.headers),
        422,
        "validation_error",
    )
    assert_problem(
        client.put(RETENTION, json={"media_days": 1, "results_days": 1}, headers=teacher.headers),
        403,
        "insufficient_role",
    )


def test_the_sweep_removes_old_recordings_and_results_in_batches(s3_app):
    c = s3_app.client
    # Given an organisation keeping recordings and results 30 days, with three old
    # recordings, a new one, an old staff upload, an old and a new finished job
    admin = s3_app.accounts.admin()
    learner = s3_app.accounts.member(admin, "learner")
    assert (
        c.put(
            RETENTION, json={"media_days": 30, "results_days": 30}, headers=admin.headers
        ).status_code
        == 200
    )
    old = [s3_app.record(learner) for _ in range(3)]
    new = s3_app.record(learner)
    staff = s3_app.record(admin)
    for media in (*old, staff):
        age_media(media["id"], 40)
    old_job, new_job = s3_app.ping(admin, learner), s3_app.ping(admin, learner)
    age_job(old_job["id"], 31)
    # And another organisation without retention, with an old recording
    other = s3_app.accounts.admin()
    theirs = s3_app.record(s3_app.accounts.member(other, "learner"))
    age_media(theirs["id"], 400)
    keys_of = {m["id"]: _key(m["id"]) for m in (*old, new, staff, theirs)}

    # When the scheduled sweep runs (batches of 2)
    assert "retention.sweep" in [j.id for j in scheduled_jobs(s3_app.app)]
    swept = sweep(s3_app)

    # Then the old recordings are gone from the bucket and the table, the rest stays
    assert swept[admin.organisation_id] == {
        "media": 3,
        "jobs": 1,
        "learning_plans": 0,
        "conversations": 0,
    }
    assert other.organisation_id not in swept
    db.session.expire_all()
    remaining = set(db.session.scalars(select(Media.id)))
    assert remaining >= {new["id"], staff["id"], theirs["id"]}
    assert remaining.isdisjoint({m["id"] for m in old})
    keys = s3_app.keys()
    assert {keys_of[m["id"]] for m in old}.isdisjoint(keys)
    assert {keys_of[new["id"]], keys_of[staff["id"]], keys_of[theirs["id"]]} <= keys
    # And the old job is gone, the new one answers
    assert db.session.get(Job, old_job["id"]) is None
    assert c.get(f"/api/v1/jobs/{new_job['id']}", headers=admin.headers).status_code == 200
    # And the sweep left a system record; a second sweep finds nothing more
    record = db.session.scalars(
        select(AuditRecord).where(AuditRecord.action == "retention.swept")
    ).one()
    assert (record.actor_type, record.after) == (
        "system",
        {"media": 3, "jobs": 1, "learning_plans": 0, "conversations": 0},
    )
    assert set(sweep(s3_app)[admin.organisation_id].values()) == {0}


def test_a_row_held_by_another_sweeper_is_skipped_then_removed(s3_app):
    # Given two old recordings, one of them locked by another transaction
    admin = s3_app.accounts.admin()
    learner = s3_app.accounts.member(admin, "learner")
    s3_app.client.put(
        RETENTION, json={"media_days": 1, "results_days": None}, headers=admin.headers
    )
    held, free = s3_app.record(learner), s3_app.record(learner)
    for media in (held, free):
        age_media(media["id"], 2)
    with Session(db.engine) as other:
        other.execute(select(Media).where(Media.id == held["id"]).with_for_update())
        # When the sweep runs meanwhile
        first = sweep(s3_app)
        other.rollback()
    # Then it removed the free one without waiting, and the next run removes the other
    assert first[admin.organisation_id]["media"] == 1
    db.session.expire_all()
    assert db.session.get(Media, free["id"]) is None
    assert db.session.get(Media, held["id"]) is not None
    assert sweep(s3_app)[admin.organisation_id]["media"] == 1
    db.session.expire_all()
    assert db.session.get(Media, held["id"]) is None


def sweep(s3_app) -> dict:
    """The scheduled job as the scheduler runs it: in the app's context."""
    with s3_app.app.app_context():
        return retention.sweep()


def _key(media_id: str) -> str:
    return db.session.get(Media, media_id).object_key


def test_the_sweep_removes_old_learning_plans_and_conversations(s3_app):
    c = s3_app.client
    # Given an organisation keeping results 30 days, whose learner has two learning plans
    # and two conversations, one of each older than that
    admin = s3_app.accounts.admin()
    learner = s3_app.accounts.member(admin, "learner")
    assert (
        c.put(
            RETENTION, json={"media_days": None, "results_days": 30}, headers=admin.headers
        ).status_code
        == 200
    )
    body = {"language": "es", "current_level": "A2", "target_level": "B1", "minutes_per_week": 120}
    plans = []
    for _ in range(2):
        job = c.post(
            "/api/v1/plans", json=body, headers={**learner.headers, "Prefer": "wait=30"}
        ).get_json()
        assert job["status"] == "succeeded", job
        plans.append(job["result"]["plan_id"])
    talks = [
        c.post(
            "/api/v1/conversations/sessions",
            json={"language": "en", "level": "A2"},
            headers=learner.headers,
        ).get_json()["id"]
        for _ in range(2)
    ]
    old_day = utcnow() - timedelta(days=31)
    db.session.execute(
        update(LearningPlan).where(LearningPlan.id == plans[0]).values(created_at=old_day)
    )
    db.session.execute(
        update(ConversationSession)
        .where(ConversationSession.id == talks[0])
        .values(created_at=old_day, ended_at=old_day)
    )
    db.session.commit()

    # When the sweep runs
    swept = sweep(s3_app)[admin.organisation_id]

    # Then the old plan and the old conversation (with its messages) are gone, the new stay
    assert (swept["learning_plans"], swept["conversations"]) == (1, 1)
    db.session.expire_all()
    assert set(db.session.scalars(select(LearningPlan.id))) == {plans[1]}
    assert set(db.session.scalars(select(ConversationSession.id))) == {talks[1]}
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(ConversationMessage)
            .where(ConversationMessage.session_id == talks[0])
        )
        == 0
    )
    assert c.get(f"/api/v1/plans/{plans[1]}", headers=learner.headers).status_code == 200
