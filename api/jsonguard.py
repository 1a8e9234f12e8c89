"""Strict JSON at the edge: every JSON request body is checked before any view or schema
reads it.

- Nesting deeper than MAX_DEPTH is refused (400 `json_too_deep`): Python's parser recurses
  and a 2 KB body of brackets would otherwise end in a RecursionError. The depth is counted
  on the raw text, outside strings, before anything is parsed.
- Strings must be Unicode scalar values (400 `invalid_unicode`): an escaped lone surrogate
  (`"\\ud800"`) is valid JSON syntax but no text (I-JSON, RFC 7493 section 2.1, forbids it);
  it cannot be stored, hashed or signed, and once stored it poisons every webhook carrying it.
- A body that is not UTF-8 or not JSON is left to the schema layer's `malformed_json`; a
  number past Python's digit limit is a `ValueError` there too.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, request

from storage.errors import AppError
from storage.objectstore import LOCAL_ROUTE

MAX_DEPTH = 64
# Strings (with their escapes) and the brackets outside them.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_SURROGATE = re.compile("[\ud800-\udfff]")


class HostileJson(AppError):
    status = 400
    title = "Bad request"


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays and objects in `body` (strings are skipped)."""
    depth = deepest = 0
    for match in _TOKENS.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


def lone_surrogate_path(value: Any) -> str | None:
    """Where the first string holding a lone surrogate is (a JSON-pointer-like path)."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return path or "/"
        elif isinstance(item, dict):
            for key, child in item.items():
                if _SURROGATE.search(key):
                    return f"{path}/{key.encode('utf-8', 'replace').decode()}"
                stack.append((f"{path}/{key}", child))
        elif isinstance(item, list):
            stack.extend((f"{path}/{index}", child) for index, child in enumerate(item))
    return None


def check_json_body() -> None:
    # The local signed-URL route stores bodies as they are (a JSON document is a file there).
    if not request.is_json or request.path.startswith(LOCAL_ROUTE):
        return
    body = request.get_data(cache=True)
    if not body:
        return
    if json_depth(body) > MAX_DEPTH:
        raise HostileJson(
            f"The JSON body nests deeper than {MAX_DEPTH} levels.", code="json_too_deep"
        )
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return  # the schema layer answers malformed_json
    where = lone_surrogate_path(parsed)
    if where is not None:
        raise HostileJson(
            "A string in the JSON body holds a lone UTF-16 surrogate "
            "(\\ud800-\\udfff), which is not text.",
            code="invalid_unicode",
            details={"pointer": where.encode("utf-8", "replace").decode()},
        )


def init_app(app: Flask) -> None:
    app.before_request(check_json_body)
