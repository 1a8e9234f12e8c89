"""Invites by email, the .eml files of embedded mode, SMTP retries, and secrets kept out of
logs and rows."""

from __future__ import annotations

import logging
import re
import time
from email import message_from_bytes, policy

from sqlalchemy import select

from storage.db import db
from storage.models.mail import OutboundMail
from tests.accounts.conftest import html_part, reset_token, text_part
from tests.factories import Accounts


def _wait_sent(app, count: int, timeout: float = 15.0) -> list[OutboundMail]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            rows = db.session.scalars(
                select(OutboundMail).where(OutboundMail.status == "sent")
            ).all()
        if len(rows) >= count:
            return list(rows)
        time.sleep(0.05)
    raise AssertionError("the mail was not sent in time")


def test_an_invite_with_an_email_is_mailed_with_its_code(mail_app, mailbox):
    # Given an admin
    client = mail_app.client
    admin = Accounts(client).admin(name="Ada Admin")
    # When they invite a teacher by email
    response = client.post(
        "/api/v1/organisation/invites",
        json={"role": "teacher", "email": "New.Teacher@example.test"},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["emailed"] is True
    # Then the invitee receives the code, in text and HTML, with a registration link
    [(recipients, message)] = mailbox.wait_for(1)
    assert recipients == ["new.teacher@example.test"]
    assert message["Subject"] == "Ada Admin invites you to Org " + admin.email[5:].split("@")[0]
    assert body["code"] in text_part(message) and body["code"] in html_part(message)
    assert "as a teacher" in text_part(message)
    link = re.search(
        r"https://learn\.example\.test/console/register#invite=(\S+)", text_part(message)
    )
    assert link and link.group(1) == body["code"]
    # And the code registers the invitee
    registered = client.post(
        "/api/v1/auth/register",
        json={
            "email": "new.teacher@example.test",
            "password": "quiet lantern orchard 42",
            "name": "New Teacher",
            "invite_code": body["code"],
        },
    )
    assert registered.status_code == 201, registered.get_json()
    assert registered.get_json()["user"]["role"] == "teacher"


def test_an_invite_without_an_email_sends_nothing(mail_app, mailbox):
    client = mail_app.client
    admin = Accounts(client).admin()
    response = client.post(
        "/api/v1/organisation/invites", json={"role": "learner"}, headers=admin.headers
    )
    assert response.status_code == 201 and response.get_json()["emailed"] is False
    time.sleep(0.5)
    with mail_app.app.app_context():
        assert db.session.scalar(select(OutboundMail.id)) is None
    assert mailbox.messages == []


def test_without_an_smtp_host_the_mail_is_an_eml_file_and_its_path_is_logged(
    app, client, worker, settings, caplog
):
    # Given the default settings: no SMTP host
    assert settings.smtp_host == ""
    caplog.set_level(logging.INFO, logger="workers.mail")
    user = Accounts(client).admin()
    # When a reset is asked for
    assert client.post("/api/v1/auth/password-reset", json={"email": user.email}).status_code == 202
    [mail] = _wait_sent(app, 1)
    # Then the message is a file under DATA_DIR/mail, readable by its owner only
    path = settings.data_dir / "mail" / f"{mail.id}.eml"
    assert path.is_file() and path.stat().st_mode & 0o077 == 0
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["To"] == user.email
    token = reset_token(message)
    # And the log names where it is, but not the link
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert str(path.resolve()) in logged
    assert token not in logged
    # And the token works
    assert (
        client.post(
            "/api/v1/auth/password-reset/confirm",
            json={"token": token, "new_password": "quiet lantern orchard 42"},
        ).status_code
        == 204
    )


def test_the_message_is_encrypted_at_rest_and_wiped_once_sent(
    app_with, mailbox, start_worker, caplog
):
    # Given an SMTP server that answers "try again later" twice, and a login it requires
    from concurrent.futures import ThreadPoolExecutor

    from tests.conftest import IsolatedClient

    mailbox.refuse = ["451 Try again later", "421 Service not available"]
    other = app_with(
        smtp_host="127.0.0.1",
        smtp_port=mailbox.port,
        smtp_tls="none",
        smtp_username="",
        smtp_password="smtp-password-never-logged",
    )
    caplog.set_level(logging.DEBUG)
    with ThreadPoolExecutor(max_workers=1) as executor:
        client = IsolatedClient(other, other.response_class)
        client.executor = executor
        user = Accounts(client).admin()
        # When a reset is asked for while no worker runs yet
        assert (
            client.post("/api/v1/auth/password-reset", json={"email": user.email}).status_code
            == 202
        )
        # Then the queued row holds the message encrypted: no address, no link in clear
        with other.app_context():
            row = db.session.scalar(select(OutboundMail))
            assert row.status == "pending" and row.enqueued_at is not None
            assert "reset-password" not in row.message and user.email not in row.message
        # When a worker runs: the two refusals are retried, the third attempt goes through
        start_worker(other)
        [(_, message)] = mailbox.wait_for(1, timeout=30)
        [sent] = _wait_sent(other, 1)
        assert sent.attempts == 3 and sent.message is None and sent.sent_at is not None
        # And neither the token nor the SMTP password reached the logs
        token = reset_token(message)
        logged = "\n".join(f"{r.getMessage()} {r.args}" for r in caplog.records)
        assert token not in logged and "smtp-password-never-logged" not in logged


def test_a_permanent_refusal_fails_the_mail_without_retrying(app_with, mailbox, start_worker):
    mailbox.refuse = ["550 No such user here"]
    row = _settled_reset_mail(app_with, mailbox, start_worker, seconds=15)
    assert (row.status, row.attempts, row.last_error, row.message) == (
        "failed",
        1,
        "SMTP 550",
        None,
    )
    assert mailbox.messages == []


def _settled_reset_mail(app_with, mailbox, start_worker, seconds: float) -> OutboundMail:
    """A reset mail asked for on an app sending to `mailbox`, once it is no longer pending."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.conftest import IsolatedClient

    other = app_with(smtp_host="127.0.0.1", smtp_port=mailbox.port, smtp_tls="none")
    start_worker(other)
    with ThreadPoolExecutor(max_workers=1) as executor:
        client = IsolatedClient(other, other.response_class)
        client.executor = executor
        user = Accounts(client).admin()
        client.post("/api/v1/auth/password-reset", json={"email": user.email})
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with other.app_context():
                row = db.session.scalar(select(OutboundMail))
                if row is not None and row.status != "pending":
                    return row
            time.sleep(0.05)
    return row


def test_mail_queued_while_the_broker_was_down_is_sent_by_the_sweeper(
    app, app_with, client, worker, settings
):
    from tests.conftest import use_app
    from workers import mail as mail_worker

    # Given an API whose Redis is unreachable when a reset is asked for
    user = Accounts(client).admin()
    offline = app_with(redis_url="redis://127.0.0.1:1/0")
    with offline.test_client() as offline_client:
        response = offline_client.post("/api/v1/auth/password-reset", json={"email": user.email})
    # Then the request is still answered, and the mail is recorded as not sent
    assert response.status_code == 202
    db.session.expire_all()
    row = db.session.scalar(select(OutboundMail))
    assert row.status == "pending" and row.enqueued_at is None
    # When the broker is back and the sweeper runs (twice: the second finds nothing)
    use_app(app)
    assert mail_worker.resend_unsent(grace_seconds=0) == 1
    assert mail_worker.resend_unsent(grace_seconds=0) == 0
    # Then the mail goes out (to DATA_DIR/mail: no SMTP host) with a working link
    [sent] = _wait_sent(app, 1)
    message = message_from_bytes(
        (settings.data_dir / "mail" / f"{sent.id}.eml").read_bytes(), policy=policy.default
    )
    assert (
        client.post(
            "/api/v1/auth/password-reset/confirm",
            json={"token": reset_token(message), "new_password": "quiet lantern orchard 42"},
        ).status_code
        == 204
    )


def test_a_mail_whose_retries_run_out_fails_rather_than_staying_pending(
    app_with, mailbox, start_worker, monkeypatch
):
    from workers import mail as outgoing

    # Given an SMTP server that keeps answering "try again later", and two attempts per mail
    monkeypatch.setattr(outgoing, "MAX_ATTEMPTS", 2)
    mailbox.refuse = ["451 Try again later"] * 5
    # When a reset mail is sent
    row = _settled_reset_mail(app_with, mailbox, start_worker, seconds=30)
    # Then after its last attempt it is failed, with why, and its message wiped
    assert (row.status, row.attempts, row.last_error, row.message) == (
        "failed",
        2,
        "SMTP 451 (2 attempts)",
        None,
    )
    assert mailbox.messages == []
