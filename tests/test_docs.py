"""Every environment variable the platform reads is documented in README and .env.example."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _variables() -> set[str]:
    source = (ROOT / "core" / "settings.py").read_text()
    names = set(re.findall(r'read\(\s*"([A-Z0-9_]+)"', source))
    names |= set(re.findall(r'environ\.get\("([A-Z0-9_]+)"', (ROOT / "workers" / "main.py")
                            .read_text()))
    return names


def test_every_variable_is_documented():
    names = _variables()
    assert len(names) > 40
    readme = (ROOT / "README.md").read_text()
    example = (ROOT / ".env.example").read_text()
    assert sorted(n for n in names if f"`{n}`" not in readme) == []
    assert sorted(n for n in names if f"{n}=" not in example) == []


def test_readme_shows_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()
