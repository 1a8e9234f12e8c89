"""Settings come from the environment once, strictly: a bad value names its variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.envparse import ConfigError
from core.settings import Settings


def base_env(tmp_path: Path) -> dict[str, str]:
    return {"DATA_DIR": str(tmp_path), "SECRET_KEY": "a-secret-long-enough-for-the-tests"}


def test_defaults_give_embedded_mode(tmp_path):
    # Given an environment that sets nothing but the data folder and the secret
    # When settings are read
    settings = Settings.from_env(base_env(tmp_path))
    # Then the platform runs embedded: SQLite under DATA_DIR, local media, no Redis
    assert settings.embedded
    assert settings.redis_url is None
    assert settings.database_url == f"sqlite:///{(tmp_path / 'platform.db').resolve()}"
    assert settings.storage_backend == "local"
    assert settings.media_dir == tmp_path / "media"
    assert settings.max_request_bytes == 1024 * 1024


def test_good_values_are_parsed(tmp_path):
    # Given an environment with a value of every kind
    env = {
        **base_env(tmp_path),
        "REDIS_URL": "redis://cache:6379/2",
        "DATABASE_URL": "postgresql://u:p@db:5432/app",
        "MAX_REQUEST_BYTES": "2048",
        "LOG_JSON": "off",
        "EMBEDDED_SERVICES": "Yes",
        "LLM_TIMEOUT_SECONDS": "2.5",
        "WEBHOOK_RETRY_SCHEDULE": "0, 5,60",
        "LOG_LEVEL": "debug",
        "MAX_UPLOAD_BYTES": "2147483648",
        "MEDIA_KIND_LIMITS": "video=1073741824, audio=4096",
    }
    # When settings are read
    settings = Settings.from_env(env)
    # Then each is typed, and the Postgres URL names the driver the platform uses
    assert not settings.embedded
    assert settings.database_url == "postgresql+psycopg://u:p@db:5432/app"
    assert settings.max_request_bytes == 2048
    assert settings.log_json is False and settings.embedded_services is True
    assert settings.llm_timeout_seconds == 2.5
    assert settings.webhook_retry_schedule == (0.0, 5.0, 60.0)
    assert settings.log_level == "DEBUG"
    limits = settings.upload_limits
    assert (limits.for_kind("video"), limits.for_kind("audio")) == (1024**3, 4096)
    assert limits.for_kind("archive") == 512 * 1024**2  # a kind not named keeps its default


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("REDIS_URL", "localhost:6379"),
        ("REDIS_URL", "http://cache:6379/0"),
        ("REDIS_URL", "redis://"),
        ("REDIS_URL", "redis://cache:port/0"),
        ("DATABASE_URL", "mysql://db/app"),
        ("PUBLIC_BASE_URL", "ftp://example.test"),
        ("MAX_REQUEST_BYTES", "1MB"),
        ("MAX_REQUEST_BYTES", "10"),
        ("ACCESS_TOKEN_TTL", "fifteen"),
        ("EMBEDDED_WORKER_THREADS", "1000"),
        ("LLM_TIMEOUT_SECONDS", "soon"),
        ("LOG_JSON", "maybe"),
        ("S3_SECURE", "2"),
        ("EMBEDDED_SERVICES", "enabled"),
        ("LLM_PROVIDER", "magic"),
        ("APP_ENV", "staging"),
        ("LOG_LEVEL", "LOUD"),
        ("WEBHOOK_RETRY_SCHEDULE", "0,soon"),
        ("ENCRYPTION_KEYS", "too-short"),
        ("ENCRYPTION_KEYS", ","),
        ("MEDIA_KIND_LIMITS", "movie=1000000"),
        ("MEDIA_KIND_LIMITS", "video"),
        ("MEDIA_KIND_LIMITS", "video=1GB"),
    ],
)
def test_bad_value_stops_start_up_naming_the_variable(tmp_path, name, value):
    # Given an environment with one bad value
    env = {**base_env(tmp_path), name: value}
    # When settings are read
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(env)
    # Then the error names the variable
    assert name in str(raised.value)


def test_production_needs_a_secret_key(tmp_path):
    # Given production without SECRET_KEY
    env = {"DATA_DIR": str(tmp_path), "APP_ENV": "production"}
    # When settings are read
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(env)
    # Then start-up stops naming SECRET_KEY
    assert "SECRET_KEY" in str(raised.value)


def test_s3_backend_needs_its_endpoint_and_keys(tmp_path):
    # Given the S3 backend without an endpoint
    env = {
        **base_env(tmp_path),
        "STORAGE_BACKEND": "s3",
        "S3_ACCESS_KEY": "a",
        "S3_SECRET_KEY": "b",
    }
    # When settings are read
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(env)
    # Then the missing variable is named
    assert "S3_ENDPOINT" in str(raised.value)


def test_development_secret_survives_restarts(tmp_path):
    # Given no SECRET_KEY in development
    env = {"DATA_DIR": str(tmp_path)}
    # When settings are read twice (two starts)
    first, second = Settings.from_env(env), Settings.from_env(env)
    # Then the generated secret is the same and long enough for HS256
    assert first.secret_key == second.secret_key
    assert len(first.secret_key) >= 32
    assert (tmp_path / ".secret_key").stat().st_mode & 0o077 == 0


def test_bad_url_error_does_not_show_its_password(tmp_path):
    # Given a Redis URL with a password and a broken port
    env = {**base_env(tmp_path), "REDIS_URL": "redis://user:s3cr3t-pw@cache:port/0"}
    # When settings are read
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(env)
    # Then the message names the variable but not the password
    assert "REDIS_URL" in str(raised.value)
    assert "s3cr3t-pw" not in str(raised.value)
    assert "user:***@cache" in str(raised.value)
