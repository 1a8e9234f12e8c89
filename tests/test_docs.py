"""Every environment variable the platform reads is documented in README and .env.example."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _variables() -> set[str]:
    from core.settings import declared

    names = {variable.env for variable in declared().values()}
    names |= set(
        re.findall(r'environ\.get\("([A-Z0-9_]+)"', (ROOT / "workers" / "main.py").read_text())
    )
    return names


def test_every_variable_is_documented():
    names = _variables()
    assert len(names) > 40
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / ".env.example").read_text()
    assert sorted(n for n in names if f"`{n}`" not in readme) == []
    assert sorted(n for n in names if f"{n}=" not in example) == []


def test_env_example_is_generated_from_the_settings_declaration():
    # Given the settings as core/settings.py declares them
    from core.envexample import render

    # When .env.example is compared with what `make env-example` writes from them
    # Then it is the same: a setting added, changed or documented there shows here
    assert (ROOT / ".env.example").read_text() == render(), "run `make env-example`"


def test_every_setting_is_declared_in_a_section_with_a_parser_and_a_doc():
    from core.settings import Settings, declared

    variables = declared()
    assert len(variables) == len(Settings.__dataclass_fields__)
    assert len({v.env for v in variables.values()}) == len(variables)
    undocumented = [v.env for v in variables.values() if not v.doc and not v.grouped]
    assert undocumented == []


def test_readme_shows_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()
