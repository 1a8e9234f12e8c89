"""Streaks through the API and the hourly reset job, with a controllable clock, across
timezones and a DST change; the job is idempotent and safe to run twice at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.db import db
from storage.learning.progress import reset_broken_streaks
from storage.models.learning import Streak
from workers.learning import STREAK_RESET_JOB_ID, STREAK_RESET_LOCK, reset_streaks
from workers.locks import exclusive
from workers.scheduler import scheduled_jobs

LA, AKL, KIRITIMATI = "America/Los_Angeles", "Pacific/Auckland", "Pacific/Kiritimati"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


class Learners:
    """Learners in given timezones, each with a word to review in a session."""

    def __init__(self, client, accounts, vocab) -> None:
        self.client = client
        self.admin = accounts.admin()
        self.accounts = accounts
        self.word = vocab.word(self.admin, "ことば")

    def new(self, timezone: str):
        learner = self.accounts.member(self.admin, "learner", timezone=timezone)
        session = self.client.post("/api/v1/study-sessions", headers=learner.headers, json={})
        learner.extra["session"] = session.get_json()["id"]
        return learner

    def review(self, learner) -> None:
        response = self.client.post(
            f"/api/v1/study-sessions/{learner.extra['session']}/reviews",
            headers=learner.headers,
            json={"word_id": self.word["id"], "correct": True},
        )
        assert response.status_code == 201, response.get_json()

    def streak(self, learner) -> dict:
        response = self.client.get(f"/api/v1/users/{learner.id}/streak", headers=learner.headers)
        assert response.status_code == 200
        return response.get_json()


def current(user_id: str) -> int:
    db.session.expire_all()
    return db.session.get(Streak, user_id).current


def test_reviews_count_each_learners_local_day_once(client, accounts, vocab, clock):
    # Given learners in Los Angeles, Auckland and Kiritimati (UTC+14)
    people = Learners(client, accounts, vocab)
    la, akl, kiri = people.new(LA), people.new(AKL), people.new(KIRITIMATI)
    # When all three review at 11:30 UTC and again at 12:30 UTC on 1 June 2024
    for moment in (utc(2024, 6, 1, 11, 30), utc(2024, 6, 1, 12, 30)):
        clock.set(moment)
        for learner in (la, akl, kiri):
            people.review(learner)
    # Then only Auckland crossed local midnight between them (23:30 -> 00:30)
    assert {
        name: (people.streak(who)["current_streak"], people.streak(who)["last_active_date"])
        for name, who in (("la", la), ("akl", akl), ("kiri", kiri))
    } == {"la": (1, "2024-06-01"), "akl": (2, "2024-06-02"), "kiri": (1, "2024-06-02")}
    assert people.streak(akl)["timezone"] == AKL


def test_a_dst_night_in_los_angeles_is_still_one_day(client, accounts, vocab, clock):
    # Given a Los Angeles learner reviewing at 00:30 PST on 10 March 2024 (clocks spring forward)
    people = Learners(client, accounts, vocab)
    learner = people.new(LA)
    clock.set(utc(2024, 3, 10, 8, 30))
    people.review(learner)
    # When they review at 23:59 PDT the same day and at 00:30 PDT on 11 March (23 h later)
    clock.set(utc(2024, 3, 11, 6, 59))
    people.review(learner)
    assert people.streak(learner)["current_streak"] == 1
    clock.set(utc(2024, 3, 11, 7, 30))
    people.review(learner)
    # Then the streak is two days
    streak = people.streak(learner)
    assert (streak["current_streak"], streak["longest_streak"], streak["last_active_date"]) == (
        2,
        2,
        "2024-03-11",
    )


def test_the_job_resets_each_learner_at_their_own_midnight(
    client, accounts, vocab, clock, captured_events
):
    # Given three learners who reviewed at 11:30 UTC on 1 June 2024:
    # 04:30 on 1 June in Los Angeles, 23:30 on 1 June in Auckland, 01:30 on 2 June at UTC+14
    people = Learners(client, accounts, vocab)
    la, akl, kiri = people.new(LA), people.new(AKL), people.new(KIRITIMATI)
    clock.set(utc(2024, 6, 1, 11, 30))
    for learner in (la, akl, kiri):
        people.review(learner)
    # When the job runs at 12:00 UTC on 2 June (3 June 00:00 in Auckland)
    assert reset_streaks(utc(2024, 6, 2, 12, 0)) == 1
    # Then only the Auckland learner, who missed 2 June, is reset
    assert (current(la.id), current(akl.id), current(kiri.id)) == (1, 0, 1)
    assert [
        (e["type"], e["user_id"], e["data"]["previous_streak"], e["data"]["reason"])
        for e in captured_events
    ] == [("streak.reset", akl.id, 1, "missed_day")]
    assert captured_events[0]["organisation_id"] == people.admin.organisation_id
    # When it runs at 10:00 UTC on 3 June (4 June 00:00 at UTC+14, 3 June 03:00 in LA)
    assert reset_streaks(utc(2024, 6, 3, 10, 0)) == 2
    # Then the other two are reset, and the longest streaks are kept
    assert (current(la.id), current(kiri.id)) == (0, 0)
    assert people.streak(la)["longest_streak"] == 1
    # And a further run finds nothing to do and records no event
    assert reset_streaks(utc(2024, 6, 3, 11, 0)) == 0
    assert len(captured_events) == 3


def test_the_job_respects_a_dst_change(client, accounts, vocab, clock, captured_events):
    # Given a Los Angeles learner last active at noon PST on 9 March 2024
    people = Learners(client, accounts, vocab)
    learner = people.new(LA)
    clock.set(utc(2024, 3, 9, 20, 0))
    people.review(learner)
    # When the job runs at 06:59 UTC on 11 March (23:59 PDT on 10 March): nothing
    assert reset_streaks(utc(2024, 3, 11, 6, 59)) == 0
    # Then at 07:00 UTC, local midnight of 11 March under PDT (not 08:00 as under PST), reset
    assert reset_streaks(utc(2024, 3, 11, 7, 0)) == 1
    assert current(learner.id) == 0


def test_reads_show_a_broken_streak_before_the_job_runs(client, accounts, vocab, clock):
    # Given a learner active on 1 June (UTC) whose streak the job has not yet reset
    people = Learners(client, accounts, vocab)
    learner = people.new("UTC")
    clock.set(utc(2024, 6, 1, 9, 0))
    people.review(learner)
    # When their stats are read on 3 June
    clock.set(utc(2024, 6, 3, 0, 30))
    stats = client.get(f"/api/v1/users/{learner.id}/stats", headers=learner.headers).get_json()
    # Then the current streak reads 0 (the longest stays 1), though the row still says 1
    assert (stats["current_streak"], stats["longest_streak"]) == (0, 1)
    assert current(learner.id) == 1


def test_two_concurrent_runs_reset_each_streak_once(
    client, accounts, vocab, clock, captured_events
):
    # Given eight learners whose streaks broke
    people = Learners(client, accounts, vocab)
    learners = [people.new(zone) for zone in (LA, AKL, KIRITIMATI, "UTC") * 2]
    clock.set(utc(2024, 6, 1, 11, 30))
    for learner in learners:
        people.review(learner)
    app = client.application
    barrier = threading.Barrier(2)
    results: list[int | None] = []

    def run() -> None:
        with app.app_context():
            barrier.wait()
            results.append(reset_streaks(utc(2024, 6, 5, 0, 0), batch_size=3))
            db.session.remove()

    # When two scheduler replicas run the job at the same moment
    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # Then every streak was reset exactly once, with one event each
    assert sum(r or 0 for r in results) == 8
    assert sorted(e["user_id"] for e in captured_events) == sorted(x.id for x in learners)
    assert all(current(x.id) == 0 for x in learners)


def test_rows_locked_by_another_run_are_skipped(client, accounts, vocab, clock, captured_events):
    # Given three learners whose streaks broke
    people = Learners(client, accounts, vocab)
    learners = [people.new(zone) for zone in (LA, AKL, KIRITIMATI)]
    clock.set(utc(2024, 6, 1, 11, 30))
    for learner in learners:
        people.review(learner)
    now = utc(2024, 6, 5)
    # When one run has reset them but not yet committed (its rows stay locked)
    with Session(db.engine) as other:
        first, _ = reset_broken_streaks(other, now)
        assert sorted(first) == sorted(x.id for x in learners)
        # Then a second run at the same time skips the locked rows instead of waiting
        second, cursor = reset_broken_streaks(db.session, now)
        assert (second, cursor) == ([], None)
        db.session.rollback()
        other.commit()
    # And after the commit a rerun finds nothing left: each was reset once
    assert reset_broken_streaks(db.session, now) == ([], None)
    assert len(captured_events) == 3


def test_a_held_lock_means_another_replica_is_running(
    client, accounts, vocab, clock, captured_events
):
    # Given a broken streak and the job's lock held elsewhere
    people = Learners(client, accounts, vocab)
    learner = people.new("UTC")
    clock.set(utc(2024, 6, 1, 9, 0))
    people.review(learner)
    with exclusive(STREAK_RESET_LOCK) as held:
        assert held
        # When the job runs, it does nothing and says so
        assert reset_streaks(utc(2024, 6, 5)) is None
    assert current(learner.id) == 1 and captured_events == []
    # Then once the lock is free it runs
    assert reset_streaks(utc(2024, 6, 5)) == 1


def test_the_job_is_in_the_schedulers_list_hourly(app):
    # Given the scheduler's one job list
    jobs = {job.id: job for job in scheduled_jobs(app)}
    # Then the streak reset is there under its stable id, every hour
    job = jobs[STREAK_RESET_JOB_ID]
    assert (job.func, job.trigger, job.trigger_args) == (reset_streaks, "interval", {"hours": 1})


def test_reset_on_request_by_the_learner_or_an_admin(
    client, accounts, vocab, clock, captured_events
):
    # Given a learner with a two-day streak, another learner, a teacher and another org's admin
    people = Learners(client, accounts, vocab)
    learner = people.new(AKL)
    bob = people.new("UTC")
    teacher = accounts.member(people.admin, "teacher")
    outsider = accounts.admin()
    for moment in (utc(2024, 6, 1, 1), utc(2024, 6, 2, 1)):
        clock.set(moment)
        people.review(learner)
    url = f"/api/v1/users/{learner.id}/streak/reset"
    # Then another learner and the teacher are refused, and another organisation sees nothing
    assert client.put(url, headers=bob.headers).status_code == 403
    assert client.put(url, headers=teacher.headers).status_code == 403
    assert client.put(url, headers=outsider.headers).status_code == 404
    assert people.streak(learner)["current_streak"] == 2
    # When the learner resets it
    response = client.put(url, headers=learner.headers)
    # Then it is 0, the longest is kept, and a streak.reset event says why
    assert response.status_code == 200
    assert response.get_json() == {
        "user_id": learner.id,
        "current_streak": 0,
        "longest_streak": 2,
        "last_active_date": "2024-06-02",
        "timezone": AKL,
    }
    assert [
        (e["user_id"], e["data"]["reason"], e["data"]["previous_streak"]) for e in captured_events
    ] == [(learner.id, "requested", 2)]
    # And a review later the same local day starts a new streak of one
    clock.set(utc(2024, 6, 2, 3))
    people.review(learner)
    assert people.streak(learner)["current_streak"] == 1
    # And an admin may reset it too; resetting a zero streak records nothing more
    assert client.put(url, headers=people.admin.headers).get_json()["current_streak"] == 0
    assert client.put(url, headers=people.admin.headers).status_code == 200
    assert len(captured_events) == 2
    assert db.session.scalars(select(Streak.longest).where(Streak.user_id == learner.id)).one() == 2


def test_a_reset_is_a_webhook_event_for_partners(client, accounts, vocab, clock):
    # Given an admin subscribed to streak.reset and a learner whose streak broke
    people = Learners(client, accounts, vocab)
    subscribed = client.post(
        "/api/v1/webhooks",
        headers=people.admin.headers,
        json={"url": "http://127.0.0.1:9/hook", "events": ["streak.reset"]},
    )
    assert subscribed.status_code == 201, subscribed.get_json()
    learner = people.new(KIRITIMATI)
    clock.set(utc(2024, 6, 1, 9, 0))
    people.review(learner)
    # When the job resets it (no sink replaced: the webhooks area records the event)
    assert reset_streaks(utc(2024, 6, 5)) == 1
    # Then the organisation's event log holds one streak.reset for the learner
    listed = client.get("/api/v1/events", headers=people.admin.headers).get_json()["items"]
    resets = [event for event in listed if event["type"] == "streak.reset"]
    assert [
        (e["data"]["user_id"], e["data"]["previous_streak"], e["data"]["last_active_date"])
        for e in resets
    ] == [(learner.id, 1, "2024-06-01")]
