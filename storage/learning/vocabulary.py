"""Vocabulary: words, word groups and their membership. Functions never commit."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.content import search
from storage.errors import Conflict, NotFound, Unprocessable
from storage.ids import new_id
from storage.models.learning import Word, WordGroup, word_group_members
from storage.models.media import Media
from storage.tenancy import get_owned, tenant_select

WORD_FIELDS = (
    "language",
    "term",
    "reading",
    "translations",
    "part_of_speech",
    "level",
    "tags",
    "media_ids",
)


def search_text_of(word: Word) -> str:
    parts = [word.term, word.reading or "", *(word.translations or [])]
    return " ".join(part for part in parts if part).casefold()


def _groups_for(
    session: Session, organisation_id: str, language: str, group_ids: Iterable[str]
) -> list[WordGroup]:
    wanted = list(dict.fromkeys(group_ids))
    if not wanted:
        return []
    found = {
        g.id: g
        for g in session.scalars(
            tenant_select(WordGroup, organisation_id).where(WordGroup.id.in_(wanted))
        )
    }
    missing = [gid for gid in wanted if gid not in found]
    if missing:
        raise Unprocessable(
            f"No word group with id {missing[0]!r}.",
            code="group_not_found",
            details={"group_ids": missing},
        )
    mismatched = [gid for gid in wanted if found[gid].language != language]
    if mismatched:
        raise Unprocessable(
            "A word can only join groups of its own language.",
            code="group_language_mismatch",
            details={"group_ids": mismatched},
        )
    return [found[gid] for gid in wanted]


# A word's media are shown to every learner of the organisation: its own files, shared with
# the organisation, of a kind a word can carry.
WORD_MEDIA_KINDS = ("audio", "image")


def _check_media(session: Session, organisation_id: str, media_ids: Iterable[str]) -> list[str]:
    """The ids, once each, if each names a ready audio or image file the organisation shares;
    422 `media_not_found` otherwise (another organisation's id is as unknown as a made-up
    one, and a path is no id)."""
    wanted = list(dict.fromkeys(media_ids))
    if not wanted:
        return []
    found = set(
        session.scalars(
            tenant_select(Media, organisation_id)
            .with_only_columns(Media.id)
            .where(
                Media.id.in_(wanted),
                Media.status == "ready",
                Media.visibility == "organisation",
                Media.kind.in_(WORD_MEDIA_KINDS),
            )
        )
    )
    missing = [media_id for media_id in wanted if media_id not in found]
    if missing:
        raise Unprocessable(
            f"No shared audio or image media with id {missing[0]!r}.",
            code="media_not_found",
            details={"media_ids": missing},
        )
    return wanted


def create_word(
    session: Session, organisation_id: str, created_by: str | None, data: dict[str, Any]
) -> Word:
    word = Word(
        id=new_id("wrd"),
        organisation_id=organisation_id,
        created_by=created_by,
        **{name: data[name] for name in WORD_FIELDS if name in data},
    )
    word.translations = list(word.translations or [])
    word.tags = list(word.tags or [])
    word.media_ids = _check_media(session, organisation_id, word.media_ids or [])
    word.groups = _groups_for(session, organisation_id, word.language, data.get("groups", ()))
    word.search_text = search_text_of(word)
    session.add(word)
    session.flush()
    search.index_word(session, word)
    return word


def update_word(session: Session, word: Word, data: dict[str, Any]) -> Word:
    if "media_ids" in data:
        data = {
            **data,
            "media_ids": _check_media(session, word.organisation_id, data["media_ids"] or []),
        }
    for name in WORD_FIELDS:
        if name in data:
            setattr(word, name, data[name])
    if "groups" in data:
        word.groups = _groups_for(session, word.organisation_id, word.language, data["groups"])
    elif "language" in data and any(g.language != word.language for g in word.groups):
        raise Unprocessable(
            "The word belongs to groups of another language; send `groups`.",
            code="group_language_mismatch",
        )
    word.search_text = search_text_of(word)
    session.flush()
    search.index_word(session, word)
    return word


def delete_word(session: Session, word: Word) -> None:
    search.forget(session, "word", [word.id])
    session.delete(word)
    session.flush()


def words_query(
    organisation_id: str,
    *,
    language: str | None = None,
    group_id: str | None = None,
    level: str | None = None,
    q: str | None = None,
) -> Select[tuple[Word]]:
    """The organisation's words, filtered, in a stable order (term, then id)."""
    stmt = tenant_select(Word, organisation_id)
    if language:
        stmt = stmt.where(Word.language == language)
    if level:
        stmt = stmt.where(Word.level == level)
    if group_id:
        stmt = stmt.where(
            Word.id.in_(
                select(word_group_members.c.word_id).where(
                    word_group_members.c.group_id == group_id
                )
            )
        )
    if q and q.strip():
        stmt = stmt.where(Word.search_text.contains(q.strip().casefold(), autoescape=True))
    return stmt.order_by(Word.term, Word.id)


def get_word(session: Session, organisation_id: str, word_id: str) -> Word:
    return get_owned(session, Word, word_id, organisation_id, what="word")


# Word groups


def get_group(session: Session, organisation_id: str, group_id: str) -> WordGroup:
    return get_owned(session, WordGroup, group_id, organisation_id, what="word_group")


def _flush_unique_name(session: Session, change: Callable[[], None]) -> None:
    """Apply `change` in a savepoint, so a name clash leaves the session clean."""
    try:
        with session.begin_nested():
            change()
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            "A word group with this name already exists for this language.",
            code="word_group_exists",
        ) from exc


def create_group(session: Session, organisation_id: str, data: dict[str, Any]) -> WordGroup:
    group = WordGroup(
        id=new_id("grp"),
        organisation_id=organisation_id,
        name=data["name"],
        language=data["language"],
        description=data.get("description"),
    )
    _flush_unique_name(session, lambda: session.add(group))
    return group


def update_group(session: Session, group: WordGroup, data: dict[str, Any]) -> WordGroup:
    if "language" in data and data["language"] != group.language and word_count(session, group):
        raise Conflict("A group with words cannot change language.", code="word_group_not_empty")

    def change() -> None:
        for name in ("name", "language", "description"):
            if name in data:
                setattr(group, name, data[name])

    _flush_unique_name(session, change)
    return group


def delete_group(session: Session, group: WordGroup) -> None:
    session.delete(group)
    session.flush()


def groups_query(organisation_id: str, language: str | None = None) -> Select[tuple[WordGroup]]:
    stmt = tenant_select(WordGroup, organisation_id)
    if language:
        stmt = stmt.where(WordGroup.language == language)
    return stmt.order_by(WordGroup.name, WordGroup.id)


def word_count(session: Session, group: WordGroup) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(word_group_members)
            .where(word_group_members.c.group_id == group.id)
        )
        or 0
    )


def add_members(session: Session, group: WordGroup, word_ids: list[str]) -> int:
    """Add words to a group; words already in it are skipped. Returns how many were added."""
    wanted = list(dict.fromkeys(word_ids))
    words = {
        w.id: w
        for w in session.scalars(
            tenant_select(Word, group.organisation_id).where(Word.id.in_(wanted))
        )
    }
    missing = [wid for wid in wanted if wid not in words]
    if missing:
        raise Unprocessable(
            f"No word with id {missing[0]!r}.", code="word_not_found", details={"word_ids": missing}
        )
    mismatched = [wid for wid in wanted if words[wid].language != group.language]
    if mismatched:
        raise Unprocessable(
            "Only words of the group's language can join it.",
            code="group_language_mismatch",
            details={"word_ids": mismatched},
        )
    present = set(
        session.scalars(
            select(word_group_members.c.word_id).where(
                word_group_members.c.group_id == group.id, word_group_members.c.word_id.in_(wanted)
            )
        )
    )
    new = [wid for wid in wanted if wid not in present]
    if new:
        session.execute(
            word_group_members.insert(), [{"group_id": group.id, "word_id": wid} for wid in new]
        )
        session.expire(group, ["words", "word_count"])
        for wid in new:
            session.expire(words[wid], ["groups"])
    return len(new)


def remove_member(session: Session, group: WordGroup, word_id: str) -> None:
    result = session.execute(
        delete(word_group_members).where(
            word_group_members.c.group_id == group.id, word_group_members.c.word_id == word_id
        )
    )
    if result.rowcount == 0:
        raise NotFound(f"The word {word_id!r} is not in this group.", code="word_not_in_group")
    session.expire(group, ["words", "word_count"])
    word = session.get(Word, word_id)
    if word is not None:
        session.expire(word, ["groups"])
