"""Separate keys for token signing, URL signing and encryption, derived from one secret; a
rotated SECRET_KEY keeps stored secrets readable when the old one stays an encryption key."""

from __future__ import annotations

from urllib.parse import urlsplit

import jwt
import pytest

from core.crypto import SecretBox, derive_key
from core.envparse import ConfigError
from core.settings import Settings
from storage.objectstore import InvalidToken, verify_token
from tests.api.apihelpers import assert_problem
from tests.conftest import make_settings
from tests.webhooks.webhook_support import WebhookApi


def test_each_purpose_has_its_own_key(settings):
    keys = {
        settings.secret_key,
        settings.jwt_signing_key,
        settings.url_signing_key,
        settings.session_key,
    }
    assert len(keys) == 4


def test_tokens_are_not_signed_with_the_raw_secret(app, client, accounts, settings):
    # Given a signed-in user
    admin = accounts.admin()
    # Then the token verifies with the token key, and with neither the raw secret nor the
    # URL key
    jwt.decode(admin.access_token, settings.jwt_signing_key, algorithms=["HS256"])
    for other in (settings.secret_key, settings.url_signing_key):
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(admin.access_token, other, algorithms=["HS256"])


def test_upload_urls_are_not_signed_with_the_raw_secret(client, accounts, settings):
    teacher = accounts.admin()
    body = client.post(
        "/api/v1/media/uploads",
        headers=teacher.headers,
        json={"filename": "a.wav", "kind": "audio"},
    ).get_json()
    token = urlsplit(body["upload"]["url"]).path.rsplit("/", 1)[1]
    assert verify_token(settings.url_signing_key, token)["op"] == "put"
    for other in (settings.secret_key, settings.jwt_signing_key):
        with pytest.raises(InvalidToken):
            verify_token(other, token)


def test_rotating_the_secret_key_keeps_webhook_secrets_readable(
    app, app_with, client, accounts, tmp_path
):
    # Given a webhook endpoint whose secret was encrypted under the old SECRET_KEY
    admin = accounts.admin()
    hook = WebhookApi(client).create(admin, "http://127.0.0.1:9/hook")
    old = make_settings(tmp_path).secret_key
    # When SECRET_KEY is rotated and the old one is kept as a decryption key, as documented
    rotated = app_with(
        secret_key="a-brand-new-secret-key-of-forty-characters",
        encryption_keys=("a-fresh-encryption-key-of-forty-characters", old),
    )
    fresh = rotated.test_client()
    login = fresh.post(
        "/api/v1/auth/login", json={"email": admin.email, "password": admin.password}
    )
    assert login.status_code == 200
    headers = {"Authorization": f"Bearer {login.get_json()['access_token']}"}
    # Then the endpoint still answers, and old tokens are dead
    answer = fresh.get(f"/api/v1/webhooks/{hook['id']}", headers=headers)
    assert answer.status_code == 200, answer.get_json()
    assert fresh.get("/api/v1/auth/me", headers=admin.headers).status_code == 401


def test_the_old_key_opens_what_it_sealed():
    box = SecretBox(["new-material-of-at-least-32-characters!", "old-secret"])
    sealed = SecretBox(["old-secret"]).encrypt("whsec_x")
    assert box.decrypt(sealed) == "whsec_x"
    assert derive_key("old-secret") != derive_key("new-material-of-at-least-32-characters!")


def test_production_refuses_a_short_secret_key(tmp_path):
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({"DATA_DIR": str(tmp_path), "APP_ENV": "production", "SECRET_KEY": "x"})
    assert "SECRET_KEY" in str(raised.value)


def test_a_secret_key_rotated_without_keeping_the_old_one_is_named_not_a_500(
    app, app_with, client, accounts
):
    # Given a webhook endpoint and a callback secret encrypted under the old SECRET_KEY
    admin = accounts.admin()
    hook = WebhookApi(client).create(admin, "http://127.0.0.1:9/hook")
    assert client.post("/api/v1/callback-secret/rotate", headers=admin.headers).status_code == 200
    assert client.get("/readyz").get_json()["checks"]["encryption_keys"] == "ok"
    # When SECRET_KEY is rotated and the old one is not kept (the README's step skipped)
    rotated = app_with(secret_key="a-brand-new-secret-key-of-forty-characters")
    fresh = rotated.test_client()
    login = fresh.post(
        "/api/v1/auth/login", json={"email": admin.email, "password": admin.password}
    )
    headers = {"Authorization": f"Bearer {login.get_json()['access_token']}"}
    # Then the platform says it is not ready, naming the keys
    ready = fresh.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["checks"]["encryption_keys"] != "ok"
    # And what needs the secrets answers a clear 503 naming the fix, never a 500
    for method, path in (
        ("get", f"/api/v1/webhooks/{hook['id']}"),
        ("get", "/api/v1/webhooks"),
        ("get", "/api/v1/callback-secret"),
    ):
        answer = getattr(fresh, method)(path, headers=headers)
        problem = assert_problem(answer, 503, "secret_unreadable")
        assert "ENCRYPTION_KEYS" in problem["detail"]
