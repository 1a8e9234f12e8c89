"""The per-process cache of what an access token's authentication reads (AUTH_CACHE_SECONDS)
never lets a revoked token or a deactivated account through once the change is committed:
at once in the process that made it, and in the others as soon as the change is announced
on Redis."""

from __future__ import annotations

import time

import redis
from sqlalchemy import update

from api import authcache, cachesync
from storage.db import db
from storage.models.identity import User
from tests.api.apihelpers import assert_problem


def test_a_deactivation_refuses_a_token_used_a_moment_before(client, accounts):
    # Given a learner whose token was just accepted (so its state is cached)
    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    assert client.get("/api/v1/jobs", headers=learner.headers).status_code == 200
    # When an admin deactivates the learner
    answer = client.post(
        f"/api/v1/organisation/members/{learner.id}/deactivate", headers=admin.headers
    )
    assert answer.status_code == 200, answer.get_json()
    # Then the same token is refused on the next request (deactivation revokes its tokens)
    assert_problem(client.get("/api/v1/jobs", headers=learner.headers), 401, "token_revoked")


def test_a_logout_refuses_the_token_at_once(client, accounts):
    # Given an admin whose token was just accepted
    admin = accounts.admin()
    assert client.get("/api/v1/jobs", headers=admin.headers).status_code == 200
    # When they log out
    assert client.post("/api/v1/auth/logout", headers=admin.headers).status_code in (200, 204)
    # Then the token is refused
    assert_problem(client.get("/api/v1/jobs", headers=admin.headers), 401, "token_revoked")


def test_a_change_announced_by_another_process_empties_the_cache(app, client, accounts):
    # Given a learner whose token was just accepted (so its state is cached)
    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    assert client.get("/api/v1/jobs", headers=learner.headers).status_code == 200
    # When another process deactivates the learner (a write this process does not see) and
    # announces it on Redis as every process does after such a commit
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(update(User).where(User.id == learner.id).values(is_active=False))
        runtime = app.extensions["runtime"]
        # (as long as the row is not re-read, the cached state still lets the token in)
        publisher = redis.Redis.from_url(runtime.settings.redis_url)
        publisher.publish(authcache.channel(runtime.settings.queue_prefix), "changed")
    # Then the token is refused as soon as the announcement is heard
    deadline = time.monotonic() + 4  # under AUTH_CACHE_SECONDS: the announcement, not expiry
    while client.get("/api/v1/jobs", headers=learner.headers).status_code == 200:
        assert time.monotonic() < deadline, "the announcement did not empty the cache"
        time.sleep(0.05)
    assert_problem(client.get("/api/v1/jobs", headers=learner.headers), 401, "account_inactive")


def test_a_process_does_not_empty_its_caches_again_for_its_own_announcement(app):
    # Given a listener of this process on a channel
    cleared: list[int] = []
    with app.app_context():
        runtime = app.extensions["runtime"]
        cachesync.ensure_listener("test-own-announcements", lambda: cleared.append(1))
        subscribed = len(cleared)  # the listener empties the cache once when it subscribes
        # When this process announces a change (it emptied its own caches as it committed),
        # and then another process does
        cachesync.announce("test-own-announcements")
        publisher = redis.Redis.from_url(runtime.settings.redis_url)
        name = cachesync.channel(runtime.settings.queue_prefix, "test-own-announcements")
        publisher.publish(name, "another-process")
    # Then only the other process's announcement empties the cache (messages arrive in order,
    # so once the second is heard the first has been too)
    deadline = time.monotonic() + 4
    while len(cleared) < subscribed + 1:
        assert time.monotonic() < deadline, "the other process's announcement was not heard"
        time.sleep(0.02)
    time.sleep(0.1)
    assert len(cleared) == subscribed + 1
