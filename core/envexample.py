"""Write .env.example from the settings' declaration: `python -m core.envexample` prints it,
`--write` replaces the file (`make env-example`). tests/test_docs.py fails when the file
differs from what this writes, so a setting is documented where it is declared, once.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from dataclasses import MISSING, dataclass, fields
from pathlib import Path
from typing import Any

from core.settings import Settings, declared

ROOT = Path(__file__).resolve().parent.parent
WIDTH = 94

HEADER = """\
Every setting of the platform, with its default. Copy to .env and adjust.
Unset values take the default; embedded mode needs none of them. Generated from
core/settings.py by `make env-example`: edit the declaration there, not this file.

docker-compose.yml reads this file twice: for the ${VARIABLES} in the compose file (the
credentials and addresses in the first section, each defined here and nowhere else) and as
the environment of the platform's processes. It refuses to start while one of the required
ones is unset. Make each secret with
  python -c 'import secrets; print(secrets.token_urlsafe(48))'"""


@dataclass(frozen=True)
class Other:
    """A variable the file carries that is not a setting of `Settings`, shown after `after`."""

    env: str
    doc: str
    example: str
    after: str
    set_in_example: bool = False
    grouped: bool = False


OTHERS = (
    Other(
        "POSTGRES_PASSWORD",
        "compose: the password of PostgreSQL's `platform` user. The "
        "postgres service is created with it and compose builds the platform's DATABASE_URL "
        "from it.",
        "change-me-to-a-long-random-password",
        after="SECRET_KEY",
        set_in_example=True,
    ),
    Other(
        "MINIO_ROOT_USER",
        "compose: MinIO's root user and password. The minio and "
        "minio-init services use them, and compose hands them to the platform as "
        "S3_ACCESS_KEY and S3_SECRET_KEY.",
        "platform",
        after="POSTGRES_PASSWORD",
        set_in_example=True,
    ),
    Other(
        "MINIO_ROOT_PASSWORD",
        "",
        "change-me-to-a-long-random-password",
        after="MINIO_ROOT_USER",
        set_in_example=True,
        grouped=True,
    ),
    Other(
        "CEFR_TEXT_MODEL",
        "The English CEFR text-level model (default: the shipped "
        "artefact; rebuild with python -m pipelines.cefr.train --out DIR). Checked at "
        "start-up; read by pipelines.cefr.model.",
        "pipelines/cefr/models/cefr-text-en-v3.json",
        after="WHISPER_CACHE_DIR",
    ),
)


def shown(value: Any) -> str:
    """A default as the environment writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return ",".join(shown(item) for item in value)
    return str(value)


def _comment(text: str) -> list[str]:
    return [f"# {line}" for line in textwrap.wrap(text, WIDTH, break_on_hyphens=False)]


def _entry(env: str, doc: str, value: str, set_in_example: bool, grouped: bool) -> list[str]:
    lines = [] if grouped else [""]
    lines += _comment(doc) if doc else []
    lines.append(f"{env}={value}" if set_in_example else f"# {env}={value}")
    return lines


def render() -> str:
    defaults = {f.name: f.default for f in fields(Settings) if f.default is not MISSING}
    others: dict[str, list[Other]] = {}
    for other in OTHERS:
        others.setdefault(other.after, []).append(other)

    def after(env: str) -> list[str]:
        lines: list[str] = []
        for other in others.get(env, []):
            lines += _entry(
                other.env, other.doc, other.example, other.set_in_example, other.grouped
            )
            lines += after(other.env)
        return lines

    lines = [f"# {line}".rstrip() for line in HEADER.splitlines()]
    section = None
    for attr, variable in declared().items():
        if variable.section is not section:
            section = variable.section
            lines += ["", "", f"# == {section.title} ==", *_comment(section.doc)]
        value = variable.example if variable.example is not None else shown(defaults[attr])
        lines += _entry(
            variable.env, variable.doc, value, variable.set_in_example, variable.grouped
        )
        lines += after(variable.env)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="replace .env.example")
    args = parser.parse_args(argv)
    if args.write:
        (ROOT / ".env.example").write_text(render())
    else:
        sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
