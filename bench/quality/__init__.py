"""`python -m bench quality [SECTION...]`: every scorer measured against labelled data.

Each module in this package is one section (`cefr`, `speech`, `writing`, ...) with
`run(quick: bool) -> dict` (the figures, JSON-serialisable) and `render(result) -> str`
(Markdown the README quotes). Sections need no database, Redis or network: they read the
labelled corpora under `../shared/data` (or `QUALITY_DATA_DIR`) and the fixtures in `tests/`.
Figures are cross-validated on the data the project may fit on; nothing here tunes anything.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = Path(os.environ.get("QUALITY_DATA_DIR", ROOT.parent / "shared" / "data"))


def sections() -> list[str]:
    """Every section module in this package, in name order."""
    return sorted(
        info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_")
    )


def run(quick: bool = False, names: list[str] | None = None) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name in names or sections():
        print(f"-- quality/{name} ...", flush=True)
        started = time.monotonic()
        try:
            module = importlib.import_module(f"bench.quality.{name}")
            results[name] = module.run(quick=quick)
        except Exception as exc:  # one broken section must not hide the others' figures
            traceback.print_exc()
            results[name] = {"error": f"{type(exc).__name__}: {exc}"}
        results[name]["wall_seconds"] = round(time.monotonic() - started, 1)
    return results


def render(results: dict[str, Any]) -> str:
    parts = []
    for name, result in results.items():
        if "error" in result:
            parts.append(f"### {name}\n\nerror: {result['error']}")
            continue
        module = importlib.import_module(f"bench.quality.{name}")
        parts.append(module.render(result))
    return "\n\n".join(parts)
