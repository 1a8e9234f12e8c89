"""Prompt templates and the JSON schemas of their answers.

Each prompt is two files side by side:

- `<name>.prompt`: header lines `# key: value` (`version` is required; `values` lists the
  placeholders), then a `[system]` and a `[user]` section. Placeholders are
  `string.Template` ones (`$name`); a missing or an unexpected value is an error, so a typo
  in a caller cannot silently send "$transcript" to a model.
- `<name>.schema.json`: the JSON Schema (draft 2020-12) the model's answer must match.

    prompt = render("hint", language="ja", word="猫", context="Animals", entry={...})
    prompt.version, prompt.system, prompt.user, prompt.schema

Dict and list values are rendered as sorted, indented JSON, so the same values always give
the same text (the hint cache key depends on it).
"""

from __future__ import annotations

import json
import re
import string
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

PROMPTS_DIR = Path(__file__).resolve().parent
NAMES = ("writing_assessment", "hint", "learning_plan", "speaking_assessment", "conversation_reply")

_HEADER_RE = re.compile(r"^#\s*([a-z_]+):\s*(.*?)\s*$")
_VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:\.\d+)?$")


# Names the templates show the model; codes outside this table are passed through as they are.
LANGUAGE_NAMES = {
    "ar": "Arabic",
    "ca": "Catalan",
    "cs": "Czech",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "fi": "Finnish",
    "fr": "French",
    "he": "Hebrew",
    "hi": "Hindi",
    "hu": "Hungarian",
    "id": "Indonesian",
    "it": "Italian",
    "ja": "Japanese",
    "ko": "Korean",
    "nb": "Norwegian",
    "nl": "Dutch",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "sv": "Swedish",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "vi": "Vietnamese",
    "zh": "Chinese",
}


def language_name(code: str) -> str:
    """Map "ja" to "Japanese"; templates read better with names than codes."""
    base = code.split("-")[0].lower()
    return LANGUAGE_NAMES.get(base, code)


class PromptError(ValueError):
    """A prompt that does not exist, is malformed, or was given the wrong values."""


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    version: str
    values: tuple[str, ...]
    system: string.Template
    user: string.Template
    schema: dict[str, Any]


@dataclass(frozen=True)
class RenderedPrompt:
    name: str
    version: str
    system: str
    user: str
    schema: dict[str, Any] = field(repr=False)


def render(name: str, **values: Any) -> RenderedPrompt:
    """Fill a prompt's placeholders; every declared value must be given, and no other."""
    template = load(name)
    missing = [v for v in template.values if v not in values]
    unexpected = sorted(set(values) - set(template.values))
    if missing or unexpected:
        raise PromptError(
            f"prompt {name!r}: missing values {missing or 'none'}, "
            f"unexpected values {unexpected or 'none'}"
        )
    text = {k: _as_text(v) for k, v in values.items()}
    return RenderedPrompt(
        name=name,
        version=template.version,
        system=template.system.substitute(text).strip(),
        user=template.user.substitute(text).strip(),
        schema=template.schema,
    )


def version(name: str) -> str:
    """The version header of a prompt."""
    return load(name).version


@cache
def load(name: str) -> PromptTemplate:
    """Read and check one prompt and its schema (cached: files are read once per process)."""
    if name not in NAMES:
        raise PromptError(f"unknown prompt {name!r}; known: {', '.join(NAMES)}")
    source = (PROMPTS_DIR / f"{name}.prompt").read_text(encoding="utf-8")
    header, sections = _parse(name, source)
    version_ = header.get("version", "")
    if not _VERSION_RE.match(version_):
        raise PromptError(f"prompt {name!r}: version header missing or not YYYY-MM-DD")
    schema = json.loads((PROMPTS_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    declared = tuple(v.strip() for v in header.get("values", "").split(",") if v.strip())
    used = set()
    for body in sections.values():
        for m in string.Template.pattern.finditer(body):
            placeholder = m.group("named") or m.group("braced")
            if placeholder:
                used.add(placeholder)
    if used != set(declared):
        raise PromptError(f"prompt {name!r}: placeholders {sorted(used)} != values header")
    return PromptTemplate(
        name=name,
        version=version_,
        values=declared,
        system=string.Template(sections["system"]),
        user=string.Template(sections["user"]),
        schema=schema,
    )


def _parse(name: str, source: str) -> tuple[dict[str, str], dict[str, str]]:
    header: dict[str, str] = {}
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in source.splitlines():
        stripped = line.strip()
        if stripped in ("[system]", "[user]"):
            current = sections.setdefault(stripped[1:-1], [])
        elif current is not None:
            current.append(line)
        elif (m := _HEADER_RE.match(line)) is not None:
            header[m.group(1)] = m.group(2)
        elif stripped:
            raise PromptError(f"prompt {name!r}: text before the [system] section: {line!r}")
    if set(sections) != {"system", "user"}:
        raise PromptError(f"prompt {name!r}: needs a [system] and a [user] section")
    return header, {k: "\n".join(v) for k, v in sections.items()}


def json_dumps(value: Any) -> str:
    """The JSON form used in prompts: sorted keys, indented, characters unescaped."""
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)


def _as_text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, dict | list | tuple):
        return json_dumps(value)
    return str(value)
