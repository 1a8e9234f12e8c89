"""APP_ENV=production refuses placeholder and short secrets, naming the variable."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from core.envparse import ConfigError
from core.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
STRONG = secrets.token_urlsafe(48)
OTHER_STRONG = secrets.token_urlsafe(48)


def production_env(tmp_path: Path, **changes: str) -> dict[str, str]:
    env = {
        "DATA_DIR": str(tmp_path),
        "APP_ENV": "production",
        "SECRET_KEY": STRONG,
        "DATABASE_URL": f"postgresql://platform:{OTHER_STRONG}@postgres:5432/platform",
        "REDIS_URL": "redis://redis:6379/0",
        "STORAGE_BACKEND": "s3",
        "S3_ENDPOINT": "http://minio:9000",
        "S3_ACCESS_KEY": "platform",
        "S3_SECRET_KEY": OTHER_STRONG,
    }
    env.update(changes)
    return env


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


@pytest.mark.parametrize(
    ("changes", "named", "secret"),
    [
        (
            {"SECRET_KEY": "change-me-to-a-long-random-string"},
            "SECRET_KEY",
            "change-me-to-a-long-random-string",
        ),
        ({"SECRET_KEY": "x" * 31}, "SECRET_KEY", "x" * 31),
        ({"SECRET_KEY": "<a random string of 48 characters or more>"}, "SECRET_KEY", "<a random"),
        (
            {"ENCRYPTION_KEYS": f"{STRONG},replace-me-with-the-previous-key-of-32-chars"},
            "ENCRYPTION_KEYS (key 2)",
            "replace-me",
        ),
        (
            {"DATABASE_URL": "postgresql://platform:platform@postgres:5432/platform"},
            "DATABASE_URL",
            ":platform@",
        ),
        (
            {
                "DATABASE_URL": "postgresql://platform:change-me-to-a-long-random-password@db/platform"
            },
            "DATABASE_URL",
            "change-me",
        ),
        ({"REDIS_URL": "redis://:short-password@redis:6379/0"}, "REDIS_URL", "short-password"),
        ({"S3_SECRET_KEY": "platform-secret"}, "S3_SECRET_KEY", "platform-secret"),
        ({"S3_SECRET_KEY": "changeme-changeme-changeme-changeme"}, "S3_SECRET_KEY", "changeme"),
        ({"METRICS_TOKEN": "change-me"}, "METRICS_TOKEN", "change-me"),
    ],
)
def test_production_refuses_a_weak_secret_naming_it(tmp_path, changes, named, secret):
    # Given production settings where one secret is an example value or short
    env = production_env(tmp_path, **changes)

    # When they are read
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(env)

    # Then start-up stops naming the variable, without printing the secret
    assert named in str(raised.value)
    assert secret not in str(raised.value)


def test_production_accepts_strong_secrets_and_urls_without_passwords(tmp_path):
    # Given strong secrets, a database reached without a password (peer or IAM) and Redis too
    env = production_env(
        tmp_path,
        DATABASE_URL="postgresql://platform@postgres/platform",
        ENCRYPTION_KEYS=f"{OTHER_STRONG},{STRONG}",
        METRICS_TOKEN=STRONG,
    )
    # When they are read, Then they are accepted
    settings = Settings.from_env(env)
    assert settings.secret_key == STRONG and settings.encryption_keys == (OTHER_STRONG, STRONG)


def test_outside_production_example_values_still_start(tmp_path):
    # Given development with the example's values (a developer's machine)
    env = production_env(
        tmp_path, APP_ENV="development", SECRET_KEY="change-me", S3_SECRET_KEY="platform-secret"
    )
    # When read, Then accepted
    assert Settings.from_env(env).secret_key == "change-me"


def test_the_shipped_env_example_is_refused_in_production(tmp_path):
    # Given .env.example copied to .env unchanged (it says APP_ENV=production)
    env = {**read_env_file(ROOT / ".env.example"), "DATA_DIR": str(tmp_path)}
    assert env["APP_ENV"] == "production"

    # When the platform starts, Then it stops at SECRET_KEY, the first secret still a placeholder
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Settings.from_env(env)


def test_the_env_example_with_every_secret_set_starts_in_production(tmp_path):
    # Given .env.example with each secret the operator must set replaced by a random value
    env = {**read_env_file(ROOT / ".env.example"), "DATA_DIR": str(tmp_path)}
    for name in ("SECRET_KEY", "POSTGRES_PASSWORD", "MINIO_ROOT_PASSWORD"):
        env[name] = secrets.token_urlsafe(48)
    # As compose passes them on: the database and object-store credentials are the same values
    env["DATABASE_URL"] = f"postgresql://platform:{env['POSTGRES_PASSWORD']}@postgres:5432/platform"
    env["S3_ACCESS_KEY"], env["S3_SECRET_KEY"] = env["MINIO_ROOT_USER"], env["MINIO_ROOT_PASSWORD"]

    # When read, Then production starts
    settings = Settings.from_env(env)
    assert settings.env == "production" and settings.storage_backend == "s3"
    assert settings.s3_public_endpoint.startswith("https://")


@pytest.mark.parametrize(
    "changes", [{"PASSWORD_HASH_MEMORY_KIB": "8192"}, {"PASSWORD_HASH_TIME_COST": "1"}]
)
def test_production_refuses_a_cheap_password_hash(tmp_path, changes):
    # Given production settings with argon2id below OWASP's floor
    env = production_env(tmp_path, **changes)

    # When they are read, then start-up stops naming the variables
    with pytest.raises(ConfigError, match="PASSWORD_HASH_MEMORY_KIB"):
        Settings.from_env(env)


def test_new_hashes_use_the_configured_cost_and_old_ones_still_verify():
    from argon2 import PasswordHasher

    from storage import identity

    # Given a hash made at the default cost
    old = PasswordHasher().hash("a long pass phrase")
    try:
        # When the cost is configured lower
        identity.configure_password_hashing(2, 1024)

        # Then new hashes carry the new cost and the old hash still verifies
        assert "m=1024,t=2" in identity.hash_password("another pass phrase")
        assert identity._hasher.verify(old, "a long pass phrase")
    finally:
        identity.configure_password_hashing(1, 32)
