"""docker-compose.yml, checked without a Docker engine.

The file is validated against the compose specification's JSON schema (vendored from the
docker-compose package, see schemas/README.md), then against what README promises: each secret
in one place (.env), compose refusing to start without it, no literal default for a secret, no
`environment:` entry overriding .env, a volume for DATA_DIR, healthchecks and restart policies
on every long-running service, and a worker for every queue.
"""

from __future__ import annotations

import secrets

import jsonschema
import pytest

from core.envparse import ConfigError
from core.settings import Settings
from tests.deploy.deployfiles import (
    SECRET_NAME,
    VARIABLE,
    MissingVariable,
    app_services,
    compose,
    env_example,
    interpolate,
    platform_queues,
    schema,
    worker_groups,
)

ONE_SHOT = {"migrate", "minio-init"}


def references(value) -> list:
    """Every ${VARIABLE} in the file's values (interpolation does not look at comments)."""
    if isinstance(value, dict):
        return [match for item in value.values() for match in references(item)]
    if isinstance(value, list):
        return [match for item in value for match in references(item)]
    return list(VARIABLE.finditer(value)) if isinstance(value, str) else []


def test_the_file_follows_the_compose_specification():
    spec = schema("compose-spec.json")
    validator = jsonschema.validators.validator_for(spec)(spec)
    errors = sorted(validator.iter_errors(compose()), key=lambda e: list(e.absolute_path))
    assert [f"{list(e.absolute_path)}: {e.message}" for e in errors] == []


def test_the_schema_check_catches_a_mistake():
    # Given the file with a misspelt key, When validated, Then the schema refuses it
    document = compose()
    document["services"]["api"]["healthchek"] = document["services"]["api"].pop("healthcheck")
    spec = schema("compose-spec.json")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validators.validator_for(spec)(spec).validate(document)


def test_every_long_running_service_has_a_healthcheck_and_a_restart_policy():
    services = compose()["services"]
    # The one-shot services are those others wait for to complete.
    completed = {
        name
        for service in services.values()
        for name, wait in (service.get("depends_on") or {}).items()
        if wait.get("condition") == "service_completed_successfully"
    }
    assert completed == ONE_SHOT
    for name, service in services.items():
        if name in ONE_SHOT:
            assert service["restart"] == "no", name
            continue
        assert service.get("restart") in ("always", "unless-stopped"), name
        check = service.get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), name


def test_every_variable_the_file_uses_is_set_in_env_example():
    used = {match.group(1) for match in references(compose())}
    assert {
        "SECRET_KEY",
        "POSTGRES_PASSWORD",
        "MINIO_ROOT_USER",
        "MINIO_ROOT_PASSWORD",
        "PUBLIC_BASE_URL",
        "S3_PUBLIC_ENDPOINT",
    } <= used
    assert sorted(used - set(env_example())) == []


def test_no_secret_has_a_default_and_compose_refuses_to_start_without_it():
    for match in references(compose()):
        name, operator = match.group(1), match.group(2)
        if SECRET_NAME.search(name):
            assert operator == ":?", f"{match.group(0)} must be required, with no default"
    # And no secret is written in the file itself, only referenced
    for service in compose()["services"].values():
        environment = service.get("environment") or {}
        for key, value in environment.items():
            if SECRET_NAME.search(key):
                assert "${" in str(value), f"{key} is written in docker-compose.yml"


@pytest.mark.parametrize(
    "missing",
    [
        "SECRET_KEY",
        "POSTGRES_PASSWORD",
        "MINIO_ROOT_USER",
        "MINIO_ROOT_PASSWORD",
        "PUBLIC_BASE_URL",
        "S3_PUBLIC_ENDPOINT",
    ],
)
def test_interpolation_stops_naming_a_missing_variable(missing):
    variables = {**env_example(), missing: ""}
    with pytest.raises(MissingVariable, match=missing):
        interpolate(compose(), variables)


def test_no_environment_entry_overrides_env():
    # An app service's `environment:` may pass a .env variable on unchanged, or set a
    # variable .env does not set (built from .env's credentials); never replace a .env line.
    example = env_example()
    for name, service in app_services(compose()).items():
        assert service["env_file"] == ".env", name
        for key, value in (service.get("environment") or {}).items():
            if key in example:
                match = VARIABLE.fullmatch(str(value))
                assert match and match.group(1) == key, f"{name}: {key} overrides .env"


def test_the_credentials_have_one_place_and_reach_every_service_that_needs_them():
    # Given .env.example with its secrets set, interpolated as compose does
    variables = {
        **env_example(),
        "SECRET_KEY": secrets.token_urlsafe(48),
        "POSTGRES_PASSWORD": secrets.token_urlsafe(48),
        "MINIO_ROOT_PASSWORD": secrets.token_urlsafe(48),
    }
    document = interpolate(compose(), variables)
    services = document["services"]

    # Then PostgreSQL, MinIO and its init step get the credentials .env sets
    assert (
        services["postgres"]["environment"]["POSTGRES_PASSWORD"] == variables["POSTGRES_PASSWORD"]
    )
    for name in ("minio", "minio-init"):
        assert services[name]["environment"]["MINIO_ROOT_USER"] == variables["MINIO_ROOT_USER"]
        assert (
            services[name]["environment"]["MINIO_ROOT_PASSWORD"] == variables["MINIO_ROOT_PASSWORD"]
        )
    # And every platform process starts in production with them
    for name, service in app_services(document).items():
        environment = {**variables, **service["environment"]}
        settings = Settings.from_env(environment)
        assert settings.env == "production", name
        assert f":{variables['POSTGRES_PASSWORD']}@postgres:5432/" in settings.database_url
        assert settings.s3_access_key == variables["MINIO_ROOT_USER"]
        assert settings.s3_secret_key == variables["MINIO_ROOT_PASSWORD"]
        assert settings.public_base_url == variables["PUBLIC_BASE_URL"]
        assert settings.s3_public_endpoint == variables["S3_PUBLIC_ENDPOINT"]


def test_the_example_placeholders_do_not_start_in_production():
    # Given .env.example unchanged, interpolated as compose does
    variables = env_example()
    document = interpolate(compose(), variables)
    # When the API reads its environment, Then production refuses the placeholder SECRET_KEY
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Settings.from_env({**variables, **document["services"]["api"]["environment"]})


def test_data_dir_is_a_named_volume_on_every_platform_service():
    document = compose()
    data_dir = env_example()["DATA_DIR"]
    for name, service in app_services(document).items():
        mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in service["volumes"]}
        assert data_dir in mounts, name
        assert mounts[data_dir] in document["volumes"], name


def test_every_queue_has_a_worker_group():
    groups = worker_groups(compose())
    consumed = [queue for queues in groups.values() for queue in queues]
    assert sorted(consumed) == sorted(platform_queues())  # each queue once, none missing
