"""Search benchmark: `storage.content.search` (PostgreSQL full-text search, GIN index, ranked
and highlighted) over 10,000 lessons, against a plain `ILIKE` scan of the same lessons with
the same queries (the baseline: what search looks like without an index).

Data, deterministic: one organisation with one published English course of 100 chapters of
100 lessons; each lesson has a title of 3-6 words and 120-300 words of content drawn from
wordfreq's 5,000 most frequent English words with Zipf weights. The lessons and their search
entries are written in bulk, and the documents built with the platform's own statement.
Queries: 200 of one or two words from ranks 300-3,000, run once as a warm-up, then timed
(each query a learner's search for lessons: the best 10, with highlights).
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select, text

from bench.services import DATABASE_URL, percentile

LESSONS = 10_000
QUERIES = 200
ORG_NAME = "bench-search"


def _app(redis_url: str) -> Any:
    from api import create_app
    from core.settings import Settings

    data = Path(tempfile.mkdtemp(prefix="bench-search-"))
    settings = Settings(
        env="production",
        secret_key="bench-secret-key-that-is-long-enough-hs",
        data_dir=data,
        database_url=DATABASE_URL,
        redis_url=redis_url,
        storage_backend="local",
        media_dir=data / "media",
        embedded_services=False,
        log_json=True,
        log_level="WARNING",
    ).finalised()
    return create_app(settings, start_services=False)


def _words() -> tuple[list[str], list[float]]:
    from wordfreq import top_n_list

    words = [w for w in top_n_list("en", 5000) if w.isalpha()]
    return words, [1.0 / (rank + 10) for rank in range(len(words))]


def _build(session: Any, lessons: int) -> str:
    """A fresh organisation holding the lessons; returns its id."""
    from storage.content import search
    from storage.ids import new_id
    from storage.models.content import Chapter, Course, Lesson, SearchEntry
    from storage.models.identity import Organisation

    session.execute(delete(Organisation).where(Organisation.name == ORG_NAME))
    org = Organisation(id=new_id("org"), name=ORG_NAME)
    session.add(org)
    session.flush()
    course = Course(
        id=new_id("crs"),
        organisation_id=org.id,
        title="Bench English",
        description="",
        language="en",
        prerequisites=[],
        status="published",
    )
    session.add(course)
    session.flush()
    rng = random.Random(11)
    words, weights = _words()
    chapters = [
        Chapter(
            id=new_id("chp"),
            organisation_id=org.id,
            course_id=course.id,
            title=" ".join(rng.choices(words, weights, k=3)),
            summary="",
            position=n + 1,
        )
        for n in range(lessons // 100)
    ]
    session.add_all(chapters)
    session.flush()
    rows, entries = [], []
    for n in range(lessons):
        chapter = chapters[n // 100]
        title = " ".join(rng.choices(words, weights, k=rng.randint(3, 6))).capitalize()
        body = " ".join(rng.choices(words, weights, k=rng.randint(120, 300)))
        lesson_id = new_id("lsn")
        rows.append(
            {
                "id": lesson_id,
                "organisation_id": org.id,
                "chapter_id": chapter.id,
                "course_id": course.id,
                "title": title,
                "content": body,
                "media_ids": [],
                "position": n % 100 + 1,
                "level": "A2",
            }
        )
        entries.append(
            {
                "kind": "lesson",
                "object_id": lesson_id,
                "organisation_id": org.id,
                "course_id": course.id,
                "language": "en",
                "config": search.config_for("en"),
                "title": title,
                "body": body,
                "published": True,
            }
        )
    for start in range(0, lessons, 1000):
        session.execute(insert(Lesson), rows[start : start + 1000])
        session.execute(insert(SearchEntry), entries[start : start + 1000])
    ids = list(session.scalars(select(SearchEntry.id).where(SearchEntry.organisation_id == org.id)))
    search._refresh(session, ids)  # the platform's own document statement
    session.commit()
    session.execute(text("ANALYZE search_entries"))
    session.execute(text("ANALYZE lessons"))
    session.commit()
    return org.id


def _queries(count: int) -> list[str]:
    rng = random.Random(5)
    words, _ = _words()
    middle = words[300:3000]
    return [" ".join(rng.sample(middle, rng.choice((1, 1, 2)))) for _ in range(count)]


def _timed(run_query: Any, queries: list[str]) -> tuple[list[float], list[int]]:
    for q in queries:  # warm-up: caches, plans
        run_query(q)
    times, hits = [], []
    for q in queries:
        started = time.perf_counter()
        found = run_query(q)
        times.append((time.perf_counter() - started) * 1000)
        hits.append(len(found))
    return times, hits


def run(redis_url: str, lessons: int = LESSONS, queries: int = QUERIES) -> dict[str, Any]:
    from storage.content import search
    from storage.db import db
    from storage.models.content import Lesson

    app = _app(redis_url)
    try:
        with app.app_context():
            session = db.session
            started = time.perf_counter()
            org_id = _build(session, lessons)
            build_seconds = time.perf_counter() - started
            asked = _queries(queries)

            def platform(q: str) -> list[Any]:
                found = search.search(session, org_id, q, kinds=("lesson",), limit=10)
                session.rollback()
                return found

            def baseline(q: str) -> list[Any]:
                pattern = f"%{q}%"
                found = session.execute(
                    select(Lesson.id, Lesson.title)
                    .where(
                        Lesson.organisation_id == org_id,
                        Lesson.title.ilike(pattern) | Lesson.content.ilike(pattern),
                    )
                    .limit(10)
                ).all()
                session.rollback()
                return found

            mine, mine_hits = _timed(platform, asked)
            base, base_hits = _timed(baseline, asked)
            plan = "\n".join(
                row[0]
                for row in session.execute(
                    text(
                        "EXPLAIN SELECT id FROM search_entries WHERE organisation_id = :org AND "
                        "document @@ websearch_to_tsquery('english', 'market')"
                    ),
                    {"org": org_id},
                )
            )
            entries = session.scalar(
                select(func.count())
                .select_from(search.SearchEntry)
                .where(search.SearchEntry.organisation_id == org_id)
            )
            session.rollback()
    finally:
        app.extensions["runtime"].stop()
    return {
        "title": "Content search (PostgreSQL full-text search vs ILIKE scan)",
        "settings": {
            "lessons": lessons,
            "entries": entries,
            "queries": queries,
            "limit": 10,
            "build_seconds": round(build_seconds, 1),
        },
        "platform": {
            "p50_ms": round(percentile(mine, 50), 2),
            "p95_ms": round(percentile(mine, 95), 2),
            "mean_hits": round(statistics.mean(mine_hits), 2),
        },
        "baseline": {
            "p50_ms": round(percentile(base, 50), 2),
            "p95_ms": round(percentile(base, 95), 2),
            "mean_hits": round(statistics.mean(base_hits), 2),
        },
        "uses_gin_index": "ix_search_entries_document" in plan,
    }
