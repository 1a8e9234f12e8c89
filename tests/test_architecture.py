"""Imports point one way: api and workers -> storage -> pipelines -> core (docs/architecture.md).

The import graph is read from the source (every `import`, at module level or inside a
function), so a lower layer that reaches up fails here, not in a process that happens to import
things in another order.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "pipelines", "storage", "workers", "api")
# What each package must never import.
FORBIDDEN = {
    "core": {"pipelines", "storage", "workers", "api", "flask", "sqlalchemy", "dramatiq"},
    "pipelines": {"storage", "workers", "api", "flask", "sqlalchemy", "flask_sqlalchemy"},
    "storage": {"workers", "api"},
    "workers": {"api"},
    "api": set(),
}
# The worker and scheduler processes build the same Flask app as the API (one app factory);
# those two entry modules are the only places a worker module reaches into `api`.
ENTRY_POINTS = {("workers/main.py", "api"), ("workers/scheduler.py", "api")}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def violations() -> list[str]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            for module in imported_modules(path):
                top = module.split(".")[0]
                if top in FORBIDDEN[package] and (relative, top) not in ENTRY_POINTS:
                    found.append(f"{relative} imports {module}")
    return found


def test_no_layer_imports_a_higher_one():
    # Given every module of the platform's packages
    # When their imports are read
    # Then none reaches into a layer above its own
    assert violations() == []


@pytest.mark.parametrize(("package", "module", "forbidden"), [
    ("storage", "from api.errors import AppError", True),
    ("pipelines", "from storage.db import db", True),
    ("core", "import flask", True),
    ("api", "from storage.db import db", False),
])
def test_the_check_sees_an_upward_import(tmp_path, package, module, forbidden):
    # Given a module with one import
    path = tmp_path / "module.py"
    path.write_text(f"def f():\n    {module}\n")

    # When its imports are read, then the check knows whether the package may make it
    (name,) = imported_modules(path)
    assert (name.split(".")[0] in FORBIDDEN[package]) is forbidden
