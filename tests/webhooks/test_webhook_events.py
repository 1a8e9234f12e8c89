"""Events other areas announce reach endpoints too: a learner's streak reset."""

from __future__ import annotations

from standardwebhooks.webhooks import Webhook

from tests.webhooks.webhook_support import finish_assessment


def test_streak_reset_is_delivered(accounts, hooks, client, receiver, worker) -> None:
    # Given an endpoint for streak.reset and a learner with a one-day streak (an assessment)
    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    endpoint = hooks.create(admin, receiver.url(), events=["streak.reset"])
    finish_assessment(admin.organisation_id, learner.id, {"cefr": "A2", "language": "en"})
    streak = client.get(f"/api/v1/users/{learner.id}/streak", headers=admin.headers).get_json()
    assert streak["current_streak"] == 1

    # When an admin resets the streak
    reset = client.put(f"/api/v1/users/{learner.id}/streak/reset", headers=admin.headers)
    assert reset.status_code == 200

    # Then the endpoint receives a signed streak.reset event about that learner, and only it
    request = receiver.wait_for(1)[0]
    payload = Webhook(endpoint["secret"]).verify(request.body, request.headers)
    assert payload["type"] == "streak.reset"
    assert payload["data"]["user_id"] == learner.id
    assert payload["data"]["previous_streak"] == 1
    # (the assessed A2 also earned the learner the level_a2 badge)
    assert sorted(e["type"] for e in hooks.events(admin)) == [
        "badge.awarded",
        "job.succeeded",
        "streak.reset",
    ]
    assert len(hooks.deliveries(admin, endpoint["id"])) == 1


def test_media_import_completed_is_delivered(accounts, hooks, receiver, worker) -> None:
    # Given an endpoint for media.import.completed
    teacher_admin = accounts.admin()
    endpoint = hooks.create(teacher_admin, receiver.url(), events=["media.import.completed"])

    # When a bulk media import job finishes
    counts = {
        "items": 3,
        "stored": 2,
        "linked": 2,
        "errors": 1,
        "words_created": 1,
        "words_updated": 1,
    }
    job_id = finish_assessment(
        teacher_admin.organisation_id,
        teacher_admin.id,
        {"items": [], "counts": counts},
        job_input={},
        job_type="media_import",
    )

    # Then the endpoint receives the import's counts (and not the job.succeeded event)
    request = receiver.wait_for(1)[0]
    payload = Webhook(endpoint["secret"]).verify(request.body, request.headers)
    assert payload["type"] == "media.import.completed"
    assert payload["data"] == {"job_id": job_id, "counts": counts}
    assert len(hooks.deliveries(teacher_admin, endpoint["id"])) == 1
    assert sorted(e["type"] for e in hooks.events(teacher_admin)) == [
        "job.succeeded",
        "media.import.completed",
    ]


def test_events_past_retention_are_purged(app, accounts, hooks) -> None:
    from datetime import timedelta

    from storage.db import db, utcnow
    from storage.webhooks import events
    from workers.webhooks.delivery import purge_old_events

    # Given an old event with a delivery and a recent one (no worker: deliveries wait)
    admin = accounts.admin()
    hooks.create(admin, "https://partner.example/hooks")
    old_at = utcnow() - timedelta(days=events.EVENT_RETENTION_DAYS + 1)
    _, [old_delivery] = events.record_event(
        db.session, admin.organisation_id, "webhook.test", {"n": 1}, occurred_at=old_at
    )
    recent, _ = events.record_event(db.session, admin.organisation_id, "webhook.test", {"n": 2})
    db.session.commit()
    old_delivery_id, recent_id = old_delivery.id, recent.id

    # When the retention job runs
    purge_old_events()

    # Then only the recent event and its delivery remain
    assert [e["id"] for e in hooks.events(admin)] == [recent_id]
    assert old_delivery_id not in {d["id"] for d in hooks.deliveries(admin)}
    assert len(hooks.deliveries(admin)) == 1
