"""Attaching imported media to vocabulary words (the learning area owns words and groups)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from pipelines.manifest import ManifestRow
from storage.learning.vocabulary import create_group, create_word, update_word
from storage.models.learning import Word, WordGroup
from storage.tenancy import tenant_select


def _group_id(session: Session, organisation_id: str, language: str, name: str) -> str:
    group = session.scalars(
        tenant_select(WordGroup, organisation_id).where(
            WordGroup.language == language, WordGroup.name == name
        )
    ).first()
    if group is None:
        group = create_group(session, organisation_id, {"name": name, "language": language})
    return group.id


def attach_to_word(
    session: Session,
    organisation_id: str,
    created_by: str | None,
    language: str,
    row: ManifestRow,
    media_id: str,
    group_name: str | None,
) -> tuple[Word, bool]:
    """Create the row's word, or update the word with the same term and language: its
    reading, one more translation, the media, and the group. Returns (word, created)."""
    group_ids = [_group_id(session, organisation_id, language, group_name)] if group_name else []
    word = session.scalars(
        tenant_select(Word, organisation_id).where(Word.language == language, Word.term == row.word)
    ).first()
    if word is None:
        word = create_word(
            session,
            organisation_id,
            created_by,
            {
                "language": language,
                "term": row.word,
                "reading": row.reading,
                "translations": [row.translation] if row.translation else [],
                "media_ids": [media_id],
                "groups": group_ids,
            },
        )
        return word, True
    changes: dict = {"media_ids": [*word.media_ids, media_id]}
    if row.reading:
        changes["reading"] = row.reading
    if row.translation and row.translation not in word.translations:
        changes["translations"] = [*word.translations, row.translation]
    if group_ids and group_ids[0] not in {group.id for group in word.groups}:
        changes["groups"] = [*(group.id for group in word.groups), *group_ids]
    update_word(session, word, changes)
    return word, False
