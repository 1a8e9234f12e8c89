"""Vocabulary hints: the job input of a hint request (the vocabulary entry it is about) and
the organisation's hint cache. Functions take the session and never commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pipelines.cefr import check_language
from storage.db import utcnow
from storage.errors import Unprocessable
from storage.models.hints import HintCacheEntry
from storage.models.learning import Word
from storage.tenancy import get_owned, tenant_select


def find_word(
    session: Session, organisation_id: str, term: str, language: str | None
) -> Word | None:
    """The organisation's vocabulary entry for a term (in a language, when given)."""
    stmt = tenant_select(Word, organisation_id).where(Word.term == term.strip())
    if language:
        stmt = stmt.where(Word.language == language)
    return session.scalars(stmt.order_by(Word.created_at, Word.id)).first()


def hint_request(session: Session, organisation_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """The job input of a hint request. `word_id`, or a `word` the organisation's vocabulary
    has (the portal sends just the word), attach the vocabulary entry and its language."""
    language = check_language(data["language"]) if data.get("language") else None
    if data.get("word_id"):
        word = get_owned(session, Word, data["word_id"], organisation_id, what="word")
    else:
        word = find_word(session, organisation_id, data["word"], language)
        if word is None and language is None:
            raise Unprocessable(
                "`language` is required for a word that is not in the vocabulary.",
                code="language_required",
            )
    if word is not None:
        if language and language != check_language(word.language):
            raise Unprocessable(
                f"Word {word.id} is {word.language}, not {language}.", code="language_mismatch"
            )
        language = check_language(word.language)
        data = {**data, "word": word.term, "word_id": word.id}
    return {**data, "language": language}


def cached_hint(session: Session, organisation_id: str, cache_key: str) -> HintCacheEntry | None:
    """The cached hint for this key, counting the hit."""
    entry = session.scalars(
        tenant_select(HintCacheEntry, organisation_id).where(HintCacheEntry.cache_key == cache_key)
    ).first()
    if entry is not None:
        entry.hits += 1
        entry.last_hit_at = utcnow()
    return entry


def store_hint(
    session: Session,
    organisation_id: str,
    cache_key: str,
    result: dict[str, Any],
    *,
    word_id: str | None,
    provider: str,
    model: str | None,
    prompt_version: str | None,
) -> None:
    """Cache a hint. Two workers racing on the same key: the second insert is dropped."""
    entry = HintCacheEntry(
        organisation_id=organisation_id,
        cache_key=cache_key,
        word=result["word"][:200],
        language=result["language"],
        word_id=word_id,
        provider=provider,
        model=model,
        prompt_version=prompt_version,
        result=result,
        hits=0,
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(entry)
    except IntegrityError:
        pass  # the other worker's row answers the next request just as well
