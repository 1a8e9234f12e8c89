"""The speaking-task catalogue: read from the JSON file shipped with the code, kept in the
`speaking_prompts` table, listed by language and level."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from core.levels import CEFR_LEVELS
from storage.errors import NotFound
from storage.models.speech import SpeakingPrompt

CATALOGUE_FILE = Path(__file__).resolve().parent / "speaking_prompts.json"
LEVEL_ORDER = CEFR_LEVELS


@cache
def load_catalogue() -> tuple[str, tuple[dict[str, Any], ...]]:
    """(version, prompts) from the catalogue file; each prompt is a column -> value dict."""
    data = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    version = data["version"]
    rows = tuple({**prompt, "catalogue_version": version} for prompt in data["prompts"])
    return version, rows


def sync_catalogue(session: Session) -> int:
    """Insert missing catalogue prompts and update changed ones; returns how many changed.

    Prompts removed from the file stay in the table: finished jobs may refer to them.
    """
    _, rows = load_catalogue()
    existing = {p.id: p for p in session.scalars(select(SpeakingPrompt))}
    changed = 0
    for row in rows:
        prompt = existing.get(row["id"])
        if prompt is None:
            session.add(SpeakingPrompt(**row))
            changed += 1
            continue
        differs = {k: v for k, v in row.items() if getattr(prompt, k) != v}
        for key, value in differs.items():
            setattr(prompt, key, value)
        changed += bool(differs)
    session.flush()
    return changed


def prompts_query(
    language: str | None = None, level: str | None = None, kind: str | None = None
) -> Select[tuple[SpeakingPrompt]]:
    """Catalogue prompts, optionally filtered, ordered by language, level and id."""
    stmt = select(SpeakingPrompt)
    if language:
        stmt = stmt.where(SpeakingPrompt.language == language)
    if level:
        stmt = stmt.where(SpeakingPrompt.level == level)
    if kind:
        stmt = stmt.where(SpeakingPrompt.kind == kind)
    return stmt.order_by(SpeakingPrompt.language, SpeakingPrompt.level, SpeakingPrompt.id)


def get_prompt(session: Session, prompt_id: str) -> SpeakingPrompt:
    prompt = session.get(SpeakingPrompt, prompt_id)
    if prompt is None:
        raise NotFound(
            f"No speaking prompt with id {prompt_id!r}.", code="speaking_prompt_not_found"
        )
    return prompt
