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


@pytest.mark.parametrize(
    ("package", "module", "forbidden"),
    [
        ("storage", "from api.errors import AppError", True),
        ("pipelines", "from storage.db import db", True),
        ("core", "import flask", True),
        ("api", "from storage.db import db", False),
    ],
)
def test_the_check_sees_an_upward_import(tmp_path, package, module, forbidden):
    # Given a module with one import
    path = tmp_path / "module.py"
    path.write_text(f"def f():\n    {module}\n")

    # When its imports are read, then the check knows whether the package may make it
    (name,) = imported_modules(path)
    assert (name.split(".")[0] in FORBIDDEN[package]) is forbidden


# One name per concept ------------------------------------------------------------------------


def _modules(*packages: str):
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(), str(path))


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def test_one_actor_type():
    # Given every class the platform defines
    # When those named Actor are listed
    found = [
        relative
        for relative, tree in _modules(*PACKAGES)
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and node.name == "Actor"
    ]
    # Then there is one, the protocol in storage/actor.py that requests and jobs both fit
    assert found == ["storage/actor.py"]


def test_one_error_base_mapped_to_http_in_one_place():
    # Given the error classes of storage and pipelines, and the API's error handlers
    from api.errors import register_error_handlers
    from core.errors import PlatformError
    from pipelines.errors import PipelineError
    from storage.errors import AppError

    # Then both derive from the one base
    assert issubclass(AppError, PlatformError) and issubclass(PipelineError, PlatformError)
    # And the API registers one handler for it, not one per layer
    source = ast.parse((ROOT / "api/errors.py").read_text())
    registered = [
        _name(call.args[0])
        for call in ast.walk(source)
        if isinstance(call, ast.Call) and _name(call.func) == "register_error_handler"
    ]
    assert "PlatformError" in registered
    assert not {"AppError", "PipelineError"} & set(registered)
    assert register_error_handlers is not None


def test_no_layer_translates_a_pipeline_error_into_a_422_itself():
    # Given every `except PipelineError` in the API and storage
    # When its body raises Unprocessable (what the API's one handler already answers)
    found = []
    for relative, tree in _modules("api", "storage"):
        for handler in ast.walk(tree):
            if not (
                isinstance(handler, ast.ExceptHandler)
                and handler.type is not None
                and _name(handler.type) == "PipelineError"
            ):
                continue
            for node in ast.walk(handler):
                if (
                    isinstance(node, ast.Raise)
                    and isinstance(node.exc, ast.Call)
                    and _name(node.exc.func) == "Unprocessable"
                ):
                    found.append(f"{relative}:{handler.lineno}")
    # Then there is none: a pipeline's refusal is answered by api/errors.py alone
    assert found == []


def test_job_creating_views_declare_themselves_with_submits_job():
    # Given the views of the API
    # When one documents the 200 of `Prefer: wait=N` by hand
    found = [
        f"{relative}:{node.lineno}"
        for relative, tree in _modules("api")
        if not relative.startswith("api/jobs/")
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "WAITED_DESCRIPTION"
    ]
    # Then there is none: the decorator writes what every job-creating view declares
    assert found == []


@pytest.mark.parametrize("vague", ["text.py", "utils.py", "helpers.py", "common.py", "misc.py"])
def test_storage_modules_are_named_for_what_they_hold(vague):
    # Given the storage package, Then no module has a name that says nothing of its domain
    assert not list((ROOT / "storage").rglob(vague))
