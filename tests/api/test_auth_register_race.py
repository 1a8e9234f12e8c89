"""Two registrations of one email at the same moment: the second is a 409, not a 500."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text
from sqlalchemy.orm import Session

from storage import identity
from storage.db import db
from tests.api.apihelpers import assert_problem
from tests.factories import PASSWORD


def wait_for_lock_waiter(deadline_seconds: float = 20.0) -> None:
    """Until a backend of this database waits on a row or index lock."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        with db.engine.connect() as connection:
            if connection.scalar(query):
                return
        time.sleep(0.05)
    raise AssertionError("the second registration never reached the unique index")


def test_concurrent_registration_of_one_email_is_409(app, client):
    # Given a registration of an email that is written but not yet committed
    first = Session(db.engine)
    identity.register(first, email="race@example.test", password=PASSWORD, name="First")
    first.flush()
    with ThreadPoolExecutor(max_workers=1) as pool:
        # When the same email registers through the API meanwhile (it passes the existence
        # check and waits on the unique index), and then the first commits
        second = pool.submit(
            client.post,
            "/api/v1/auth/register",
            json={"email": "race@example.test", "password": PASSWORD, "name": "Second"},
        )
        wait_for_lock_waiter()
        first.commit()
        first.close()
        response = second.result(timeout=30)
    # Then the API answers email_taken, and the first account is the one that exists
    assert_problem(response, 409, "email_taken")
    login = client.post(
        "/api/v1/auth/login", json={"email": "race@example.test", "password": PASSWORD}
    )
    assert login.status_code == 200
