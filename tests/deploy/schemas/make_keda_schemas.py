"""Rebuild the vendored KEDA schemas (see README.md here); needs cloudcoil-models-keda."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def strict(node: Any) -> Any:
    """Objects with listed properties refuse other keys, as kubernetes-validate's -strict do."""
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            node.setdefault("additionalProperties", False)
        for value in node.values():
            strict(value)
    elif isinstance(node, list):
        for value in node:
            strict(value)
    return node


def main(out: Path) -> None:
    from cloudcoil.models.keda.v1alpha1 import ScaledObject, TriggerAuthentication

    for model, name in (
        (ScaledObject, "scaledobject"),
        (TriggerAuthentication, "triggerauthentication"),
    ):
        schema = strict(model.model_json_schema(by_alias=True))
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["required"] = sorted({*schema.get("required", []), "apiVersion", "kind", "metadata"})
        (out / f"keda-{name}-v1alpha1.json").write_text(
            json.dumps(schema, indent=1, sort_keys=True)
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
