"""Races under real concurrency, on PostgreSQL and embedded SQLite: one refresh token, one
invite and the last admin are each taken once, however many requests arrive together."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import identity
from storage.db import db
from storage.models.identity import RefreshToken, User
from tests.api.apihelpers import bearer
from tests.factories import PASSWORD
from tests.security.conftest import at_once

PARALLEL = 4


def _jti(app, refresh_token: str) -> str:
    from flask_jwt_extended import decode_token

    with app.app_context():
        return decode_token(refresh_token)["jti"]


def test_parallel_redemptions_of_one_refresh_token_give_one_session(any_app, any_accounts):
    # Given a signed-in user
    admin = any_accounts.admin()
    body = {"refresh_token": admin.refresh_token}
    # When the same refresh token is redeemed by several requests at the same moment
    answers = at_once(any_app, [lambda c: c.post("/api/v1/auth/refresh", json=body)] * PARALLEL)
    # Then exactly one gets new tokens and the others are refused as reuse
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [401] * (PARALLEL - 1), statuses
    for answer in answers:
        if answer.status_code == 401:
            assert answer.get_json()["code"] in ("token_reused", "token_revoked")


def test_a_refresh_racing_a_logout_does_not_revive_the_family(app, client, accounts):
    # Given a login, and a refresh of its token that is written but not yet committed
    admin = accounts.admin()
    jti = _jti(app, admin.refresh_token)
    refreshing = Session(db.engine)
    stored = identity.rotate_refresh_token(refreshing, jti)
    identity.record_refresh_token(
        refreshing,
        jti="minted-in-the-race",
        user_id=stored.user_id,
        family_id=stored.family_id,
        expires_at=stored.expires_at,
    )
    refreshing.flush()
    family_id, user_id = stored.family_id, stored.user_id
    # When the session logs out meanwhile (it waits for the refresh's row lock), and then the
    # refresh commits the token it minted
    logout: dict = {}
    thread = threading.Thread(
        target=lambda: logout.update(
            answer=app.test_client().post("/api/v1/auth/logout", headers=admin.headers)
        )
    )
    thread.start()
    time.sleep(0.5)
    refreshing.commit()
    refreshing.close()
    thread.join(30)
    assert logout["answer"].status_code == 204
    # Then the family stays revoked: the new token is refused and its access tokens die
    with Session(db.engine) as session:
        _, revoked = identity.access_token_state(session, "any-access-jti", family_id, user_id)
        assert revoked
        try:
            identity.rotate_refresh_token(session, "minted-in-the-race")
        except Exception as exc:
            assert getattr(exc, "code", None) == "token_revoked"
        else:
            raise AssertionError("a token minted in the race was accepted")


def test_one_invite_redeemed_in_parallel_makes_one_member(any_app, any_client, any_accounts):
    # Given a single-use admin invite
    admin = any_accounts.admin()
    invite = any_client.post(
        "/api/v1/organisation/invites", json={"role": "admin"}, headers=admin.headers
    ).get_json()

    def redeem(n: int):
        return lambda c: c.post(
            "/api/v1/auth/register",
            json={
                "email": f"racer{n}@example.test",
                "password": PASSWORD,
                "name": f"Racer {n}",
                "invite_code": invite["code"],
            },
        )

    # When several registrations use it at the same moment
    answers = at_once(any_app, [redeem(n) for n in range(PARALLEL)])
    # Then one account is made; the others are told the invite is used
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [422] * (PARALLEL - 1), statuses
    with any_app.app_context():
        admins = db.session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.organisation_id == admin.organisation_id, User.role == "admin")
        )
    assert admins == 2


def test_two_admins_demoting_themselves_at_once_leave_one_admin(any_app, any_accounts):
    # Given an organisation with two admins
    first = any_accounts.admin()
    second = any_accounts.member(first, "admin")

    def demote(account):
        return lambda c: c.patch(
            f"/api/v1/organisation/members/{account.id}",
            json={"role": "teacher"},
            headers=bearer(account.access_token),
        )

    # When both demote themselves at the same moment
    answers = at_once(any_app, [demote(first), demote(second)])
    # Then one succeeds, the other is refused, and one admin remains
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 409], [a.get_json() for a in answers]
    with any_app.app_context():
        admins = db.session.scalar(
            select(func.count())
            .select_from(User)
            .where(
                User.organisation_id == first.organisation_id,
                User.role == "admin",
                User.is_active.is_(True),
            )
        )
    assert admins == 1


def test_refresh_tokens_of_a_revoked_family_stay_revoked(app, client, accounts):
    # Given a session that logged out
    admin = accounts.admin()
    assert client.post("/api/v1/auth/logout", headers=admin.headers).status_code == 204
    # Then its refresh token is refused and no token of the family is left alive
    answer = client.post("/api/v1/auth/refresh", json={"refresh_token": admin.refresh_token})
    assert answer.status_code == 401
    with Session(db.engine) as session:
        alive = session.scalar(
            select(func.count())
            .select_from(RefreshToken)
            .where(RefreshToken.user_id == admin.id, RefreshToken.revoked_at.is_(None))
        )
    assert alive == 0
