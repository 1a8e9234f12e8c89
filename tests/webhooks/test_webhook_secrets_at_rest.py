"""Webhook signing secrets are stored encrypted, and the keys can be rotated."""

from __future__ import annotations

import pytest
from sqlalchemy import String, select, text, type_coerce

from core.crypto import SecretBox, SecretUnreadable
from storage.db import db
from storage.models.webhooks import CallbackSecret, WebhookEndpoint
from storage.secrets import reencrypt_all

OLD_KEY = "old-key-of-at-least-thirty-two-characters"
NEW_KEY = "new-key-of-at-least-thirty-two-characters"


def stored(endpoint_id: str) -> str:
    """The secret as the database holds it."""
    column = type_coerce(WebhookEndpoint.__table__.c.secret, String)
    value = db.session.execute(select(column).where(WebhookEndpoint.id == endpoint_id)).scalar()
    db.session.rollback()
    return value


def secret_of(app, endpoint_id: str) -> str:
    with app.app_context():
        db.session.expire_all()
        value = db.session.get(WebhookEndpoint, endpoint_id).secret
        db.session.rollback()
        return value


def reencrypt_command(app):
    """`flask secrets reencrypt` on `app` (the CLI uses an app context already pushed)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=["secrets", "reencrypt"])


def test_the_secret_is_stored_encrypted_and_read_back_whole(accounts, hooks, app):
    # Given an endpoint created through the API
    admin = accounts.admin()
    created = hooks.create(admin, "https://partner.example/hooks")

    # Then the database holds no trace of the secret, and the platform reads it back whole
    raw = stored(created["id"])
    assert raw.startswith("enc:v1:")
    assert created["secret"] not in raw and created["secret"][6:20] not in raw
    assert secret_of(app, created["id"]) == created["secret"]


def test_the_callback_secret_is_stored_encrypted_too(accounts, client):
    admin = accounts.admin()
    rotated = client.post("/api/v1/callback-secret/rotate", json={}, headers=admin.headers)
    assert rotated.status_code == 200, rotated.get_json()
    column = type_coerce(CallbackSecret.__table__.c.secret, String)
    raw = db.session.execute(select(column)).scalar()
    assert raw.startswith("enc:v1:") and rotated.get_json()["secret"] not in raw


def test_key_rotation_with_reencrypt(accounts, hooks, app_with):
    # Given an endpoint written under the old key
    old = app_with(encryption_keys=(OLD_KEY,))
    admin = accounts.admin()
    client = old.test_client()
    created = client.post(
        "/api/v1/webhooks", json={"url": "https://partner.example/h"}, headers=admin.headers
    ).get_json()
    under_old = stored(created["id"])

    # When the new key is put first and the old one kept after it
    both = app_with(encryption_keys=(NEW_KEY, OLD_KEY))
    # Then the secret still reads
    assert secret_of(both, created["id"]) == created["secret"]

    # When `flask secrets reencrypt` runs
    result = reencrypt_command(both)
    assert result.exit_code == 0, result.output
    assert "webhook_endpoints.secret: 1 re-encrypted" in result.output

    # Then the stored value changed key, and the new key alone reads it
    assert stored(created["id"]) != under_old
    assert secret_of(app_with(encryption_keys=(NEW_KEY,)), created["id"]) == created["secret"]
    # And a second run has nothing left to do
    again = reencrypt_command(both)
    assert "webhook_endpoints.secret: 0 re-encrypted" in again.output

    # And with the old key alone the secret can no longer be read: a clear error
    with pytest.raises(SecretUnreadable):
        secret_of(app_with(encryption_keys=(OLD_KEY,)), created["id"])


def test_secrets_written_before_encryption_are_read_then_encrypted(accounts, hooks, app):
    # Given an endpoint whose secret a previous version stored in plain text
    admin = accounts.admin()
    created = hooks.create(admin, "https://partner.example/hooks")
    db.session.execute(
        text("UPDATE webhook_endpoints SET secret = :plain WHERE id = :id"),
        {"plain": created["secret"], "id": created["id"]},
    )
    db.session.commit()

    # Then it is read as it is
    assert secret_of(app, created["id"]) == created["secret"]

    # And re-encrypting encrypts it
    counts = reencrypt_all(db.session, app.extensions["secret_box"])
    db.session.commit()
    assert counts["webhook_endpoints.secret"] == 1
    assert stored(created["id"]).startswith("enc:v1:")
    assert secret_of(app, created["id"]) == created["secret"]


def test_a_tampered_value_is_refused():
    # Given a value encrypted under a key
    box = SecretBox([OLD_KEY])
    sealed = box.encrypt("whsec_c2VjcmV0")
    # When one character of it changes, Then it no longer opens
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(SecretUnreadable):
        box.decrypt(flipped)
    # And each encryption of the same secret differs (a fresh nonce)
    assert box.encrypt("whsec_c2VjcmV0") != sealed
    assert box.decrypt(sealed) == "whsec_c2VjcmV0"
