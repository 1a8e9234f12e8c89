"""Readers shared by the deployment-file tests: .env.example, compose and the queues."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = Path(__file__).resolve().parent / "schemas"

# Compose's interpolation: ${VAR}, ${VAR:?message}, ${VAR?message}, ${VAR:-default},
# ${VAR-default}; `$$` is a literal dollar left for the container's shell.
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|_KEYS?$|MINIO_ROOT_USER")


def schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / name).read_text())


def env_example() -> dict[str, str]:
    """The variables .env.example sets (uncommented NAME=value lines)."""
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


class MissingVariable(LookupError):
    pass


def interpolate(value: Any, variables: Mapping[str, str]) -> Any:
    """Compose's interpolation of one value (recursively), as `docker compose config` does."""
    if isinstance(value, dict):
        return {key: interpolate(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, variables) for item in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        name, operator, argument = match.group(1), match.group(2), match.group(3)
        present = name in variables and (
            variables[name] != "" or not (operator or "").startswith(":")
        )
        if operator in (":?", "?") and not present:
            raise MissingVariable(f"{name}: {argument}")
        if operator in (":-", "-") and not present:
            return argument
        return variables.get(name, "")

    return VARIABLE.sub(one, value).replace("$$", "$")


def app_services(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services that run the platform's image (they read .env)."""
    return {
        name: service for name, service in document["services"].items() if service.get("env_file")
    }


def worker_groups(document: dict[str, Any]) -> dict[str, list[str]]:
    """Worker service -> the queues its `dramatiq ... --queues` command consumes."""
    groups = {}
    for name, service in app_services(document).items():
        command = service.get("command") or []
        if command[:1] == ["dramatiq"]:
            groups[name] = queues_of(command)
    return groups


def queues_of(command: list[str]) -> list[str]:
    queues = []
    after = command[command.index("--queues") + 1 :]
    for word in after:
        if word.startswith("--"):
            break
        queues.append(word)
    return queues


def platform_queues() -> set[str]:
    """Every logical queue an actor of the platform is declared on."""
    import workers.actors  # noqa: F401  (declares every actor)
    from workers import engine

    return {engine.logical_queue(actor.actor_name) for actor in engine.all_actors()}
