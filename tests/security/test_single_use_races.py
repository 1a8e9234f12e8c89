"""Second probe of rows 1, 2 and 6: other things that may be taken once, taken by requests
arriving together, on PostgreSQL and on embedded SQLite (which ignores FOR UPDATE, so a
row read "for update" there must still be read under the database's write lock)."""

from __future__ import annotations

import threading
import time
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from storage import oidc
from storage.db import db, utcnow
from storage.errors import AppError
from tests.mediasamples import wav_of_seconds
from tests.security.conftest import at_once

MEDIA = "/api/v1/media"


def test_parallel_completes_of_one_upload_complete_it_once(any_app, any_client, any_accounts):
    # Given a presigned upload whose file was written
    teacher = any_accounts.admin()
    started = any_client.post(
        f"{MEDIA}/uploads", headers=teacher.headers, json={"filename": "a.wav", "kind": "audio"}
    ).get_json()
    media_id = started["media"]["id"]
    assert (
        any_client.put(
            urlsplit(started["upload"]["url"]).path, data=wav_of_seconds(1.0)
        ).status_code
        == 200
    )
    # When it is completed by several requests at the same moment
    answers = at_once(
        any_app,
        [lambda c: c.post(f"{MEDIA}/{media_id}/complete", headers=teacher.headers)] * 3,
    )
    # Then one completes it and the others are told it is no longer pending
    statuses = sorted(getattr(a, "status_code", repr(a)) for a in answers)
    assert statuses == [200, 409, 409], [getattr(a, "data", a) for a in answers]


def test_an_oidc_sign_in_state_is_taken_once(any_app, any_accounts):
    # Given a sign-in started with a provider
    admin = any_accounts.admin()
    with any_app.app_context():
        session = Session(db.engine)
        provider, _ = oidc.put_provider(
            session,
            admin.organisation_id,
            "idp",
            {"issuer": "https://idp.example", "client_id": "c", "client_secret": "s"},
        )
        state = oidc.start_login(session, provider, "https://platform.example/cb").state
        session.commit()
        session.close()
    # When two callbacks bring its state back at the same moment (each commits a moment
    # after taking it, as the callback does once the state is spent)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def callback() -> None:
        with any_app.app_context():
            session = Session(db.engine)
            barrier.wait(10)
            try:
                oidc.take_login(session, state, utcnow())
                time.sleep(0.3)
                session.commit()
                outcomes.append("taken")
            except AppError as exc:
                session.rollback()
                outcomes.append(exc.code)
            finally:
                session.close()

    threads = [threading.Thread(target=callback) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    # Then exactly one sign-in goes on
    assert sorted(outcomes) == ["oidc_state_invalid", "taken"], outcomes
