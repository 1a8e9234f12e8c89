"""Learning profiles: CEFR level with a history of changes and their source; access rules;
the level measured by a finished assessment job."""

from __future__ import annotations

from sqlalchemy import func, select

from storage import jobs as engine
from storage.db import db
from storage.jobs import JobSpec
from storage.models.learning import LearningProfile

PROFILE_KEYS = {
    "id",
    "user_id",
    "language",
    "level",
    "level_source",
    "goals",
    "history",
    "created_at",
    "updated_at",
}


def test_profile_lifecycle_keeps_the_level_history(client, accounts, clock):
    # Given a learner and their teacher
    admin = accounts.admin()
    teacher = accounts.member(admin, "teacher")
    learner = accounts.member(admin, "learner")
    # When the learner declares A1 Japanese with goals
    created = client.post(
        "/api/v1/profiles",
        headers=learner.headers,
        json={"language": "ja", "level": "A1", "goals": ["travel"]},
    )
    assert created.status_code == 201, created.get_json()
    profile = created.get_json()
    assert set(profile) == PROFILE_KEYS
    assert (profile["user_id"], profile["level"], profile["level_source"]) == (
        learner.id,
        "A1",
        "self",
    )
    url = f"/api/v1/profiles/{profile['id']}"
    # And a day later the teacher moves them to A2
    clock.advance(days=1)
    moved = client.patch(url, headers=teacher.headers, json={"level": "A2"})
    assert moved.status_code == 200
    # Then the history lists both changes, with source, author and time
    history = moved.get_json()["history"]
    assert [(h["from_level"], h["to_level"], h["source"], h["changed_by"]) for h in history] == [
        (None, "A1", "self", learner.id),
        ("A1", "A2", "teacher", teacher.id),
    ]
    assert history[1]["changed_at"].startswith("2024-06-02T12:00:00")
    # And changing only the goals adds no history
    goals = client.patch(
        url, headers=learner.headers, json={"goals": ["work", "conversation"]}
    ).get_json()
    assert goals["goals"] == ["work", "conversation"] and len(goals["history"]) == 2
    # And the learner's list holds the profile; a second Japanese profile is 409
    listed = client.get("/api/v1/profiles", headers=learner.headers).get_json()
    assert [p["id"] for p in listed["items"]] == [profile["id"]]
    clash = client.post("/api/v1/profiles", headers=learner.headers, json={"language": "ja"})
    assert clash.status_code == 409 and clash.get_json()["code"] == "profile_exists"
    # When the learner deletes it, it is gone
    assert client.delete(url, headers=learner.headers).status_code == 204
    assert client.get(url, headers=learner.headers).status_code == 404


def test_profiles_are_private_to_the_learner_and_their_staff(client, accounts):
    # Given two learners of one organisation and a teacher of another
    admin = accounts.admin()
    alice = accounts.member(admin, "learner")
    bob = accounts.member(admin, "learner")
    teacher = accounts.member(admin, "teacher")
    outsider = accounts.member(accounts.admin(), "teacher")
    profile = client.post(
        "/api/v1/profiles", headers=alice.headers, json={"language": "fr", "level": "B1"}
    ).get_json()
    url = f"/api/v1/profiles/{profile['id']}"
    # Then the other learner is refused, and cannot create one for Alice
    refused = client.get(url, headers=bob.headers)
    assert refused.status_code == 403 and refused.get_json()["code"] == "not_your_record"
    assert client.patch(url, headers=bob.headers, json={"level": "C2"}).status_code == 403
    assert (
        client.post(
            "/api/v1/profiles", headers=bob.headers, json={"language": "de", "user_id": alice.id}
        ).status_code
        == 403
    )
    assert client.get("/api/v1/profiles", headers=bob.headers).get_json()["items"] == []
    assert (
        client.get(f"/api/v1/profiles?user_id={alice.id}", headers=bob.headers).status_code == 403
    )
    # And the other organisation's teacher does not even see it
    assert client.get(url, headers=outsider.headers).status_code == 404
    assert (
        client.post(
            "/api/v1/profiles",
            headers=outsider.headers,
            json={"language": "de", "user_id": alice.id},
        ).status_code
        == 404
    )
    # And her own teacher reads it, lists it by user, and creates one for her
    assert client.get(url, headers=teacher.headers).status_code == 200
    by_user = client.get(f"/api/v1/profiles?user_id={alice.id}", headers=teacher.headers).get_json()
    assert [p["id"] for p in by_user["items"]] == [profile["id"]]
    made = client.post(
        "/api/v1/profiles",
        headers=teacher.headers,
        json={"language": "de", "level": "A1", "user_id": alice.id},
    )
    assert made.status_code == 201
    assert (made.get_json()["user_id"], made.get_json()["level_source"]) == (alice.id, "teacher")


def finish_assessment(
    organisation_id: str, user_id: str, result: dict, job_type: str = "writing_assessment"
) -> str:
    """Run an assessment job through the engine's state changes to `succeeded`."""
    spec = JobSpec(type=job_type, queue="text", actor="writing_assessment")
    job = engine.create_job(
        db.session,
        spec,
        organisation_id=organisation_id,
        input={"text": "…", "language": result.get("language", "en")},
        owner_user_id=user_id,
    )
    db.session.commit()
    running = engine.claim(db.session, job.id, "run-1")
    assert engine.complete(db.session, running, "run-1", result)
    db.session.commit()
    return job.id


def test_a_finished_assessment_sets_the_level_with_its_source(client, accounts):
    # Given a learner who declared A1 English
    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    client.post("/api/v1/profiles", headers=learner.headers, json={"language": "en", "level": "A1"})
    # When a writing assessment of theirs finishes at B1 (and a Spanish one at A2)
    job_id = finish_assessment(
        learner.organisation_id, learner.id, {"cefr_level": "B1", "language": "en"}
    )
    finish_assessment(
        learner.organisation_id,
        learner.id,
        {"cefr": {"level": "A2"}, "language": "es"},
        "speaking_assessment",
    )
    # Then the English profile is B1 from the assessment, with the job in its history
    profiles = client.get("/api/v1/profiles", headers=learner.headers).get_json()["items"]
    english = next(p for p in profiles if p["language"] == "en")
    assert (english["level"], english["level_source"]) == ("B1", "assessment")
    assert english["history"][-1] == {
        **english["history"][-1],
        "from_level": "A1",
        "to_level": "B1",
        "source": "assessment",
        "job_id": job_id,
        "changed_by": None,
    }
    # And a Spanish profile was created for the level measured there
    spanish = next(p for p in profiles if p["language"] == "es")
    assert (spanish["level"], spanish["level_source"]) == ("A2", "assessment")
    # And the stats count both assessments and show the levels per language
    stats = client.get(f"/api/v1/users/{learner.id}/stats", headers=learner.headers).get_json()
    assert stats["assessments_taken"] == 2
    assert stats["levels"] == [
        {"language": "en", "level": "B1", "source": "assessment"},
        {"language": "es", "level": "A2", "source": "assessment"},
    ]


def test_jobs_that_are_not_finished_assessments_change_no_level(client, accounts):
    # Given a learner without profiles
    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    # When a non-assessment job succeeds with a level-like result
    finish_assessment(
        learner.organisation_id, learner.id, {"cefr_level": "C1", "language": "en"}, "learning_plan"
    )
    # Then no profile appears, and no assessment is counted
    assert db.session.scalar(select(func.count()).select_from(LearningProfile)) == 0
    stats = client.get(f"/api/v1/users/{learner.id}/stats", headers=learner.headers).get_json()
    assert stats["assessments_taken"] == 0 and stats["current_streak"] == 0
