"""Search over courses, chapters, lessons and vocabulary, behind one interface with two
backends chosen by the database:

- PostgreSQL: full-text search. Each entry's `document` is a tsvector built with the text
  search configuration of its language (`english`, `french`, ... `simple` for languages
  without one), the title weighted above the body, in a GIN index. An entry matches the
  query parsed by `websearch_to_tsquery` in its own configuration (so "ordering drinks"
  finds "order a drink" in English): one branch per configuration the organisation uses,
  each answered by the index, ranked by `ts_rank_cd`; the top hits are highlighted by
  `ts_headline`.
- SQLite (embedded mode): an FTS5 table (`search_fts`, porter stemming) beside the entries,
  ranked by bm25, highlighted by `highlight()` and `snippet()`.

Highlights are HTML-safe: the text is escaped and only the `<mark>` tags are added.
Entries are written by the content and vocabulary services in the same transaction as the
change; nothing here commits.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Select,
    String,
    bindparam,
    cast,
    delete,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.orm import Session

from storage.models.content import Chapter, Course, Lesson, SearchEntry

# ISO 639-1 -> PostgreSQL's built-in text search configurations.
CONFIGS = {
    "ar": "arabic",
    "ca": "catalan",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "eu": "basque",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "ne": "nepali",
    "nl": "dutch",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
KINDS = ("course", "chapter", "lesson", "word")
MAX_LIMIT = 50
MAX_QUERY = 200
# Delimiters no text contains, swapped for <mark> after the text is escaped.
_START, _STOP = "\x02", "\x03"
HEADLINE_OPTIONS = (
    f"StartSel={_START}, StopSel={_STOP}, MaxFragments=2, MaxWords=24, "
    'MinWords=8, FragmentDelimiter=" … "'
)


def config_for(language: str | None) -> str:
    return CONFIGS.get((language or "").split("-")[0].lower(), "simple")


def marked(value: str | None) -> str:
    """Escape the text for HTML and turn the delimiters into <mark> tags."""
    escaped = html.escape(value or "", quote=False)
    return escaped.replace(_START, "<mark>").replace(_STOP, "</mark>")


@dataclass(frozen=True)
class Hit:
    kind: str
    id: str
    title: str
    snippet: str
    score: float
    course_id: str | None
    language: str


# Writing ---------------------------------------------------------------------------------


def _put(
    session: Session,
    *,
    kind: str,
    object_id: str,
    organisation_id: str,
    course_id: str | None,
    language: str,
    title: str,
    body: str,
    published: bool,
) -> None:
    entry = session.scalar(
        select(SearchEntry).where(SearchEntry.kind == kind, SearchEntry.object_id == object_id)
    )
    if entry is None:
        entry = SearchEntry(kind=kind, object_id=object_id, organisation_id=organisation_id)
        session.add(entry)
    entry.course_id, entry.language, entry.config = course_id, language, config_for(language)
    entry.title, entry.body, entry.published = title, body, published
    session.flush()
    _refresh(session, [entry.id])


def _refresh(session: Session, entry_ids: list[int]) -> None:
    """Rebuild the documents of entries (after their text or language changed)."""
    if not entry_ids:
        return
    if session.get_bind().dialect.name == "postgresql":
        config = cast(SearchEntry.config, REGCONFIG)
        document = func.setweight(
            func.to_tsvector(config, SearchEntry.title), literal_column("'A'")
        ).op("||")(
            func.setweight(func.to_tsvector(config, SearchEntry.body), literal_column("'B'"))
        )
        session.execute(
            SearchEntry.__table__.update()
            .where(SearchEntry.id.in_(entry_ids))
            .values(document=document)
        )
        return
    ids = bindparam("ids", expanding=True)
    session.execute(
        text("DELETE FROM search_fts WHERE rowid IN :ids").bindparams(ids), {"ids": entry_ids}
    )
    session.execute(
        text(
            "INSERT INTO search_fts (rowid, title, body) SELECT id, title, body "
            "FROM search_entries WHERE id IN :ids"
        ).bindparams(ids),
        {"ids": entry_ids},
    )


def forget(session: Session, kind: str, object_ids: list[str]) -> None:
    if not object_ids:
        return
    ids = list(
        session.scalars(
            select(SearchEntry.id).where(
                SearchEntry.kind == kind, SearchEntry.object_id.in_(object_ids)
            )
        )
    )
    _forget_ids(session, ids)


def forget_course(session: Session, course_id: str) -> None:
    ids = list(
        session.scalars(
            select(SearchEntry.id).where(
                or_(
                    SearchEntry.course_id == course_id,
                    (SearchEntry.kind == "course") & (SearchEntry.object_id == course_id),
                )
            )
        )
    )
    _forget_ids(session, ids)


def _forget_ids(session: Session, ids: list[int]) -> None:
    if not ids:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(
            text("DELETE FROM search_fts WHERE rowid IN :ids").bindparams(
                bindparam("ids", expanding=True)
            ),
            {"ids": ids},
        )
    session.execute(
        delete(SearchEntry)
        .where(SearchEntry.id.in_(ids))
        .execution_options(synchronize_session=False)
    )


def index_course(session: Session, course: Course, *, cascade: bool = False) -> None:
    """The course's entry; with `cascade` also its chapters' and lessons' (their language and
    whether learners may find them follow the course)."""
    published = course.status == "published"
    _put(
        session,
        kind="course",
        object_id=course.id,
        organisation_id=course.organisation_id,
        course_id=course.id,
        language=course.language,
        title=course.title,
        body=course.description or "",
        published=published,
    )
    if not cascade:
        return
    ids = list(
        session.scalars(
            select(SearchEntry.id).where(
                SearchEntry.course_id == course.id, SearchEntry.kind != "course"
            )
        )
    )
    if ids:
        session.execute(
            SearchEntry.__table__.update()
            .where(SearchEntry.id.in_(ids))
            .values(
                published=published, language=course.language, config=config_for(course.language)
            )
        )
        _refresh(session, ids)


def index_chapter(session: Session, chapter: Chapter, course: Course) -> None:
    _put_course_part(session, "chapter", chapter, course, chapter.summary)


def index_lesson(session: Session, lesson: Lesson, course: Course) -> None:
    _put_course_part(session, "lesson", lesson, course, lesson.content)


def _put_course_part(
    session: Session, kind: str, part: Chapter | Lesson, course: Course, body: str | None
) -> None:
    """A chapter or lesson: findable in its course's language, published with its course."""
    _put(
        session,
        kind=kind,
        object_id=part.id,
        organisation_id=part.organisation_id,
        course_id=course.id,
        language=course.language,
        title=part.title,
        body=body or "",
        published=course.status == "published",
    )


def index_word(session: Session, word: Any) -> None:
    """A vocabulary word: its term, reading, translations and tags (always findable)."""
    body = " ".join([word.reading or "", *(word.translations or []), *(word.tags or [])])
    _put(
        session,
        kind="word",
        object_id=word.id,
        organisation_id=word.organisation_id,
        course_id=None,
        language=word.language,
        title=word.term,
        body=body.strip(),
        published=True,
    )


# Reading ---------------------------------------------------------------------------------


def _scope(
    stmt: Select, organisation_id: str, kinds: tuple[str, ...], staff: bool, language: str | None
) -> Select:
    stmt = stmt.where(SearchEntry.organisation_id == organisation_id, SearchEntry.kind.in_(kinds))
    if not staff:
        stmt = stmt.where(SearchEntry.published.is_(True))
    if language:
        stmt = stmt.where(SearchEntry.language == language)
    return stmt


# The distinct configurations of an organisation's entries by a loose index scan: one probe
# of (organisation_id, config) per configuration instead of reading every entry.
_ORGANISATION_CONFIGS = text(
    "WITH RECURSIVE c(config) AS ("
    " (SELECT config FROM search_entries WHERE organisation_id = :org ORDER BY config LIMIT 1)"
    " UNION ALL"
    " SELECT (SELECT e.config FROM search_entries e WHERE e.organisation_id = :org"
    " AND e.config > c.config ORDER BY e.config LIMIT 1) FROM c WHERE c.config IS NOT NULL"
    ") SELECT config FROM c WHERE config IS NOT NULL"
)


def _configs(session: Session, organisation_id: str, language: str | None) -> list[str]:
    """The configurations to search in: the language asked for, else every configuration
    the organisation's entries use."""
    if language:
        return [config_for(language)]
    return list(session.scalars(_ORGANISATION_CONFIGS, {"org": organisation_id}))


def _postgres(
    session: Session,
    organisation_id: str,
    q: str,
    kinds: tuple[str, ...],
    staff: bool,
    language: str | None,
    limit: int,
) -> list[Hit]:
    # Parallel workers cost more to start than they save on a query of milliseconds.
    session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    # An entry matches the query parsed in its own language's configuration: one branch
    # per configuration, each answered by the GIN index.
    branches = []
    for config in _configs(session, organisation_id, language):
        tsquery = func.websearch_to_tsquery(cast(literal(config), REGCONFIG), q)
        rank = func.ts_rank_cd(SearchEntry.document, tsquery)
        branches.append(
            _scope(
                select(SearchEntry.id, rank.label("rank")), organisation_id, kinds, staff, language
            ).where(SearchEntry.config == config, SearchEntry.document.op("@@")(tsquery))
        )
    if not branches:
        return []
    matched = (union_all(*branches) if len(branches) > 1 else branches[0]).subquery()
    top = (
        select(matched.c.id, matched.c.rank)
        .order_by(matched.c.rank.desc(), matched.c.id)
        .limit(limit)
        .subquery()
    )
    config = cast(SearchEntry.config, REGCONFIG)
    own_query = func.websearch_to_tsquery(config, q)
    options = cast(literal(HEADLINE_OPTIONS), String)
    rows = session.execute(
        select(
            SearchEntry.kind,
            SearchEntry.object_id,
            SearchEntry.course_id,
            SearchEntry.language,
            top.c.rank,
            func.ts_headline(config, SearchEntry.title, own_query, options),
            func.ts_headline(config, SearchEntry.body, own_query, options),
        )
        .join(top, top.c.id == SearchEntry.id)
        .order_by(top.c.rank.desc(), SearchEntry.id)
    )
    return [
        Hit(kind, object_id, marked(title), marked(body), round(float(score), 6), course_id, lang)
        for kind, object_id, course_id, lang, score, title, body in rows
    ]


_WORD = re.compile(r"\w+", re.UNICODE)


def fts5_query(q: str) -> str | None:
    """The words of `q` as quoted FTS5 terms (all must match); None when it has none."""
    words = _WORD.findall(q)
    return " ".join(f'"{w}"' for w in words) if words else None


def _sqlite(
    session: Session,
    organisation_id: str,
    q: str,
    kinds: tuple[str, ...],
    staff: bool,
    language: str | None,
    limit: int,
) -> list[Hit]:
    match = fts5_query(q)
    if match is None:
        return []
    conditions = ["e.organisation_id = :org", "e.kind IN :kinds", "search_fts MATCH :q"]
    if not staff:
        conditions.append("e.published = 1")
    if language:
        conditions.append("e.language = :language")
    sql = text(
        "SELECT e.kind, e.object_id, e.course_id, e.language, "
        "bm25(search_fts, 10.0, 1.0) AS rank, "
        f"highlight(search_fts, 0, '{_START}', '{_STOP}'), "
        f"snippet(search_fts, 1, '{_START}', '{_STOP}', ' … ', 24) "
        "FROM search_fts JOIN search_entries e ON e.id = search_fts.rowid "
        f"WHERE {' AND '.join(conditions)} ORDER BY rank, e.id LIMIT :limit"
    ).bindparams(bindparam("kinds", expanding=True))
    rows = session.execute(
        sql,
        {
            "org": organisation_id,
            "kinds": list(kinds),
            "q": match,
            "language": language,
            "limit": limit,
        },
    )
    # bm25 is lower for better matches; the API's score is higher for better ones.
    return [
        Hit(kind, object_id, marked(title), marked(body), round(-float(score), 6), course_id, lang)
        for kind, object_id, course_id, lang, score, title, body in rows
    ]


def search(
    session: Session,
    organisation_id: str,
    q: str,
    *,
    kinds: tuple[str, ...] = KINDS,
    staff: bool = False,
    language: str | None = None,
    limit: int = 10,
) -> list[Hit]:
    """The best `limit` hits for `q`, best first. Learners find published content (and the
    vocabulary); staff also drafts."""
    q = q.strip()[:MAX_QUERY]
    if not q:
        return []
    backend = _postgres if session.get_bind().dialect.name == "postgresql" else _sqlite
    return backend(
        session, organisation_id, q, kinds, staff, language, max(1, min(limit, MAX_LIMIT))
    )
