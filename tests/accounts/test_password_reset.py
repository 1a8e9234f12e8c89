"""Password reset by email, through a real SMTP server on loopback and a real worker."""

from __future__ import annotations

import time

from sqlalchemy import select

from storage.db import db
from storage.models.identity import PasswordReset, User
from tests.accounts.conftest import html_part, reset_token, text_part
from tests.api.apihelpers import assert_problem, bearer, login
from tests.factories import Accounts

NEW_PASSWORD = "quiet lantern orchard 42"
RESET = "/api/v1/auth/password-reset"
CONFIRM = "/api/v1/auth/password-reset/confirm"


def test_the_mail_arrives_with_a_link_that_resets_once_and_signs_out_everywhere(mail_app, mailbox):
    # Given an account signed in on a device
    client = mail_app.client
    user = Accounts(client).admin()
    old_session = login(client, user.email)
    # When they ask for a reset
    response = client.post(RESET, json={"email": user.email.upper()})
    # Then the answer is 202 and one mail reaches the SMTP server, text and HTML, with the link
    assert response.status_code == 202
    [(recipients, message)] = mailbox.wait_for(1)
    assert recipients == [user.email]
    assert message["From"] == "Platform <no-reply@platform.test>"
    assert message["Subject"] == "Reset your password"
    token = reset_token(message)
    assert f"https://learn.example.test/console/reset-password#token={token}" in html_part(message)
    assert "60 minutes" in text_part(message)
    # And only the token's hash is stored
    with mail_app.app.app_context():
        stored = db.session.scalars(select(PasswordReset.token_hash)).all()
    assert len(stored) == 1 and token not in stored[0]
    # When the token sets a new password
    response = client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})
    assert response.status_code == 204, response.get_json()
    # Then the new password signs in and the old one does not
    login(client, user.email, NEW_PASSWORD)
    assert (
        client.post(
            "/api/v1/auth/login", json={"email": user.email, "password": user.password}
        ).status_code
        == 401
    )
    # And every earlier session is revoked: access tokens and refresh tokens alike
    for access in (user.access_token, old_session["access_token"]):
        assert client.get("/api/v1/auth/me", headers=bearer(access)).status_code == 401
    for refresh in (user.refresh_token, old_session["refresh_token"]):
        assert (
            client.post("/api/v1/auth/refresh", json={"refresh_token": refresh}).status_code == 401
        )
    # And the token does not work twice
    again = client.post(CONFIRM, json={"token": token, "new_password": "another fine pass 7"})
    assert_problem(again, 422, "reset_token_used")


def test_a_newer_request_invalidates_the_older_token(mail_app, mailbox):
    # Given two reset requests for one account
    client = mail_app.client
    user = Accounts(client).admin()
    assert client.post(RESET, json={"email": user.email}).status_code == 202
    first = reset_token(mailbox.wait_for(1)[0][1])
    assert client.post(RESET, json={"email": user.email}).status_code == 202
    second = reset_token(mailbox.wait_for(2)[1][1])
    # Then the first is refused and the second works
    assert_problem(
        client.post(CONFIRM, json={"token": first, "new_password": NEW_PASSWORD}),
        422,
        "reset_token_invalid",
    )
    assert (
        client.post(CONFIRM, json={"token": second, "new_password": NEW_PASSWORD}).status_code
        == 204
    )


def test_an_expired_token_is_refused(app_with, start_worker, mailbox):
    # Given tokens that live one second
    from tests.accounts.conftest import MailApp  # noqa: F401  (same fixtures, shorter TTL)
    from tests.conftest import IsolatedClient

    other = app_with(
        smtp_host="127.0.0.1", smtp_port=mailbox.port, smtp_tls="none", password_reset_ttl=1
    )
    start_worker(other)
    client = IsolatedClient(other, other.response_class)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as executor:
        client.executor = executor
        user = Accounts(client).admin()
        assert client.post(RESET, json={"email": user.email}).status_code == 202
        token = reset_token(mailbox.wait_for(1)[0][1])
        # When the token is used after it expired
        time.sleep(1.2)
        response = client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})
        # Then it is refused and the old password still works
        assert_problem(response, 422, "reset_token_expired")
        login(client, user.email)


def test_a_deactivated_account_gets_no_mail_and_its_token_stops_working(mail_app, mailbox):
    # Given a learner who asked for a reset, then was deactivated by their admin
    client = mail_app.client
    accounts = Accounts(client)
    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    assert client.post(RESET, json={"email": learner.email}).status_code == 202
    token = reset_token(mailbox.wait_for(1)[0][1])
    response = client.post(
        f"/api/v1/organisation/members/{learner.id}/deactivate", headers=admin.headers
    )
    assert response.status_code == 200, response.get_json()
    # When the token is used
    response = client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})
    # Then it is refused as deactivated
    assert_problem(response, 403, "account_deactivated")
    # And a new request answers the same 202 but sends nothing
    assert client.post(RESET, json={"email": learner.email}).status_code == 202
    time.sleep(1.0)
    assert len(mailbox.messages) == 1


def test_an_unknown_email_gets_the_same_answer_and_no_mail(mail_app, mailbox):
    # Given a known account
    client = mail_app.client
    user = Accounts(client).admin()
    # When a reset is asked for an unknown address and for the known one
    unknown = client.post(RESET, json={"email": "nobody@example.test"})
    known = client.post(RESET, json={"email": user.email})
    # Then both answers are the same
    assert (unknown.status_code, unknown.get_json()) == (known.status_code, known.get_json())
    assert unknown.status_code == 202 and "reset link" in unknown.get_json()["detail"]
    # And only the known address gets a mail
    mailbox.wait_for(1)
    time.sleep(1.0)
    assert [recipients for recipients, _ in mailbox.messages] == [[user.email]]


def test_weak_passwords_and_bad_tokens_are_refused_without_spending_the_token(mail_app, mailbox):
    client = mail_app.client
    user = Accounts(client).admin()
    client.post(RESET, json={"email": user.email})
    token = reset_token(mailbox.wait_for(1)[0][1])
    # A password the registration would refuse is refused here, and the token survives
    assert_problem(
        client.post(CONFIRM, json={"token": token, "new_password": "password1234"}),
        422,
        "weak_password",
    )
    assert (
        client.post(CONFIRM, json={"token": "x" * 43, "new_password": NEW_PASSWORD}).status_code
        == 422
    )
    assert (
        client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD}).status_code == 204
    )
    with mail_app.app.app_context():
        assert (
            db.session.scalar(select(User.password_changed_at).where(User.id == user.id))
            is not None
        )


def test_requests_are_rate_limited_per_email_and_per_address(app_with):
    # Given limits of 2 requests per email and 5 per address
    from concurrent.futures import ThreadPoolExecutor

    from tests.conftest import IsolatedClient

    other = app_with(
        rate_limits=(("password_reset", "2/hour"), ("password_reset_address", "5/hour"))
    )
    with ThreadPoolExecutor(max_workers=1) as executor:
        limited = IsolatedClient(other, other.response_class)
        limited.executor = executor
        # When one address asks for the same email three times
        codes = [
            limited.post(RESET, json={"email": "a@example.test"}).status_code for _ in range(3)
        ]
        # Then the third is refused with Retry-After
        assert codes == [202, 202, 429]
        # And other emails from the same address pass until the address's limit (the refused
        # request counted against the address, not the email)
        for email in ("b@example.test", "c@example.test"):
            assert limited.post(RESET, json={"email": email}).status_code == 202
        refused = limited.post(RESET, json={"email": "d@example.test"})
        body = assert_problem(refused, 429, "rate_limited")
        assert int(refused.headers["Retry-After"]) > 0 and "limit" in body["detail"]
