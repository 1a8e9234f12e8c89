"""Erasing a learner: the account is cut off at once, and a job removes their recordings from
the bucket, their rows everywhere and the account, leaving an audit trail without personal
data; other learners keep everything; an interrupted erasure resumes."""

from __future__ import annotations

import json
import time

from sqlalchemy import func, or_, select

from storage import audit, erasure, mail
from storage.db import db, utcnow
from storage.ids import new_id
from storage.models.audit import AuditRecord
from storage.models.identity import User
from storage.models.jobs import Job
from storage.models.learning import LearningProfile, StudySession
from storage.models.lms import LmsIdentity
from storage.models.mail import OutboundMail
from storage.models.media import Media
from storage.models.usage import UsageRecord
from storage.models.webhooks import WebhookEvent
from storage.objectstore.keys import media_key
from tests.api.apihelpers import assert_problem

TEXT = {
    "text": "Last summer I travelled to Valencia with two friends. We visited the old "
    "town, we ate paella near the beach and we practised our Spanish every day.",
    "language": "en",
}


def erase(s3_app, admin, user_id: str):
    return s3_app.client.post(
        f"/api/v1/learners/{user_id}/erasure", headers={**admin.headers, "Prefer": "wait=30"}
    )


def rows_of(user_id: str) -> dict[str, int]:
    db.session.expire_all()

    def count(model, *where) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(*where))

    return {
        "media": count(Media, Media.owner_user_id == user_id),
        "jobs": count(Job, or_(Job.learner_user_id == user_id, Job.owner_user_id == user_id)),
        "events": count(WebhookEvent, WebhookEvent.user_id == user_id),
        "profiles": count(LearningProfile, LearningProfile.user_id == user_id),
        "sessions": count(StudySession, StudySession.user_id == user_id),
        "lms": count(LmsIdentity, LmsIdentity.user_id == user_id),
        "account": count(User, User.id == user_id),
    }


def test_a_learner_is_erased_end_to_end_and_others_keep_their_data(s3_app):
    c = s3_app.client
    # Given a learner with recordings, an assessed text (level, events to a webhook), a
    # diagnostic job, a study session and an LMS id; and a classmate with the same
    admin = s3_app.accounts.admin()
    c.post("/api/v1/webhooks", json={"url": "https://partner.example/hooks"}, headers=admin.headers)
    learner, classmate = (s3_app.accounts.member(admin, "learner") for _ in range(2))
    for who in (learner, classmate):
        recordings = [s3_app.record(who) for _ in range(3)]
        assessed = c.post(
            "/api/v1/assessments/writing", json=TEXT, headers={**who.headers, "Prefer": "wait=30"}
        )
        assert assessed.get_json()["status"] == "succeeded", assessed.get_json()
        s3_app.ping(admin, who)
        assert c.post("/api/v1/study-sessions", json={}, headers=who.headers).status_code == 201
        assert (
            c.put(
                f"/api/v1/lms-identities/{who.id}",
                json={"external_id": f"lms-{who.id}"},
                headers=admin.headers,
            ).status_code
            == 200
        )
        # (an LMS link as an LTI launch or a partner's provisioning leaves it)
        db.session.add(
            LmsIdentity(
                id=new_id("lmi"),
                organisation_id=who.organisation_id,
                lms="moodle",
                external_id=f"s-{who.id}",
                user_id=who.id,
            )
        )
        db.session.commit()
        who.extra["keys"] = {_key(m["id"]) for m in recordings}
    before = rows_of(learner.id)
    assert all(before.values()), before
    assert learner.extra["keys"] <= s3_app.keys()

    # When the admin asks for the learner's erasure
    answer = erase(s3_app, admin, learner.id)

    # Then the erasure job succeeded and reports what it removed
    assert answer.status_code == 200, answer.get_json()
    job = answer.get_json()
    assert (job["type"], job["status"]) == ("learner_erasure", "succeeded"), job
    erased = job["result"]["erased"]
    assert (erased["media"], erased["jobs"], erased["account"]) == (3, 2, 1)
    assert erased["learning_profiles"] == erased["study_sessions"] == 1
    assert erased["lms_identities"] == 1 and erased["webhook_events"] >= 2
    # And nothing of theirs is left: no object in the bucket, no row anywhere
    assert learner.extra["keys"].isdisjoint(s3_app.keys())
    assert rows_of(learner.id) == dict.fromkeys(before, 0)
    assert_problem(c.get("/api/v1/auth/me", headers=learner.headers), 401, "account_inactive")
    # And the classmate keeps everything
    assert rows_of(classmate.id) == rows_of_expected(classmate.id)
    assert classmate.extra["keys"] <= s3_app.keys()
    # And the audit log has the request and the erasure, without personal data
    log = c.get(
        "/api/v1/admin/audit", headers=admin.headers, query_string={"target_id": learner.id}
    ).get_json()["items"]
    assert [(r["action"], r["actor"]["type"]) for r in log] == [
        ("learner.erased", "system"),
        ("learner.erasure_requested", "user"),
    ]
    # (the counts of credential tables show as redacted, as every secret-looking key does)
    assert log[0]["after"] == audit.scrub(erased)
    assert learner.email not in json.dumps(log)
    # And asking again finds no such learner
    assert_problem(erase(s3_app, admin, learner.id), 404, "user_not_found")


def rows_of_expected(user_id: str) -> dict[str, int]:
    # The classmate's rows, as made above: 3 recordings, 2 jobs, a profile, a session, an
    # LMS id, the account; at least the assessment's events.
    counts = rows_of(user_id)
    assert counts["events"] >= 2
    return {**counts, "media": 3, "jobs": 2, "profiles": 1, "sessions": 1, "lms": 1, "account": 1}


def test_only_admins_erase_and_only_learners_are_erased(s3_app):
    c = s3_app.client
    admin = s3_app.accounts.admin()
    teacher = s3_app.accounts.member(admin, "teacher")
    learner = s3_app.accounts.member(admin, "learner")
    outsider = s3_app.accounts.member(s3_app.accounts.admin(), "learner")
    # When a teacher asks, or the admin names a teacher or another organisation's learner
    # Then each is refused, and nobody was deactivated
    assert_problem(erase(s3_app, teacher, learner.id), 403, "insufficient_role")
    assert_problem(erase(s3_app, admin, teacher.id), 409, "erasure_not_learner")
    assert_problem(erase(s3_app, admin, outsider.id), 404, "user_not_found")
    for who in (teacher, learner, outsider):
        assert c.get("/api/v1/auth/me", headers=who.headers).status_code == 200


def test_an_erasure_of_a_thousand_recordings_interrupted_halfway_resumes(s3_app):
    # Given a learner with 1,000 recordings in the bucket
    admin = s3_app.accounts.admin()
    learner = s3_app.accounts.member(admin, "learner")
    org = learner.organisation_id
    keys = set()
    for _ in range(1000):
        media_id = new_id("med")
        key = media_key(org, media_id, "take.wav")
        s3_app.store.put(key, b"RIFF....WAVE", 12, "audio/wav")
        db.session.add(
            Media(
                id=media_id,
                organisation_id=org,
                owner_user_id=learner.id,
                kind="audio",
                filename="take.wav",
                object_key=key,
                size=12,
                status="ready",
                visibility="private",
                created_at=utcnow(),
            )
        )
        keys.add(key)
    db.session.commit()
    # And an erasure that stopped after one batch of 300 (its objects and rows both gone)
    with s3_app.app.app_context():
        assert erasure.erase_media_batch(db.session, s3_app.store, org, learner.id, 300) == 300
        db.session.commit()
    assert len(keys - s3_app.keys()) == 300

    # When the erasure is asked again
    answer = erase(s3_app, admin, learner.id)

    # Then it removes the other 700 and the account, and leaves no object or row of theirs
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["result"]["erased"]["media"] == 700
    assert keys.isdisjoint(s3_app.keys())
    assert rows_of(learner.id) == dict.fromkeys(rows_of(learner.id), 0)
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditRecord)
            .where(AuditRecord.action == "learner.erased")
        )
        == 1
    )


def _key(media_id: str) -> str:
    return db.session.get(Media, media_id).object_key


def test_a_job_running_during_the_erasure_writes_nothing_back(s3_app):
    c = s3_app.client
    # Given a learner whose long diagnostic job is running, with webhook events configured
    admin = s3_app.accounts.admin()
    c.post("/api/v1/webhooks", json={"url": "https://partner.example/hooks"}, headers=admin.headers)
    learner = s3_app.accounts.member(admin, "learner")
    running = c.post(
        "/api/v1/jobs/ping", json={"learner": learner.id, "sleep_ms": 20_000}, headers=admin.headers
    ).get_json()
    job_id = running["id"]
    for _ in range(300):
        db.session.expire_all()
        if db.session.get(Job, job_id).status == "running":
            break
        time.sleep(0.05)
    assert db.session.get(Job, job_id).status == "running"

    # When the learner's erasure is asked for while it runs
    answer = erase(s3_app, admin, learner.id)

    # Then the erasure waited for the job to stop (asked to, at once) and then removed it
    # with everything else: no row of the learner or about the job is left behind
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == "succeeded"
    db.session.expire_all()
    assert db.session.get(Job, job_id) is None
    assert rows_of(learner.id) == dict.fromkeys(rows_of(learner.id), 0)
    assert (
        db.session.scalar(
            select(func.count()).select_from(WebhookEvent).where(WebhookEvent.job_id == job_id)
        )
        == 0
    )
    # And its usage stays for the organisation's totals, without the learner
    assert db.session.scalars(
        select(UsageRecord.learner_user_id).where(UsageRecord.job_id == job_id)
    ).all() == [None]


def test_mail_not_yet_sent_to_an_erased_learner_is_withdrawn(s3_app):
    # Given a learner and a classmate, each with a message queued to them and not yet sent
    admin = s3_app.accounts.admin()
    learner, classmate = (s3_app.accounts.member(admin, "learner") for _ in range(2))
    box = s3_app.app.extensions["secret_box"]
    queued = {}
    for who in (learner, classmate):
        message = mail.render(
            "password_reset",
            who.email.upper(),
            name="Sam",
            email=who.email,
            link="https://learn.example/reset#t",
            ttl_minutes=30,
        )
        queued[who.id] = mail.queue(db.session, box, "password_reset", message).id
    db.session.commit()
    # When the learner is erased
    answer = erase(s3_app, admin, learner.id)
    assert answer.get_json()["status"] == "succeeded", answer.get_json()
    # Then the learner's message is withdrawn: wiped, and never sent
    db.session.expire_all()
    withdrawn = db.session.get(OutboundMail, queued[learner.id])
    assert (withdrawn.status, withdrawn.message) == (mail.WITHDRAWN, None)
    assert answer.get_json()["result"]["erased"]["outbound_mail"] == 1
    # And the classmate's is left to go out
    kept = db.session.get(OutboundMail, queued[classmate.id])
    assert kept.status != mail.WITHDRAWN
