"""Fixtures of the text API tests: vocabulary rows and a local OpenAI-compatible server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from storage.db import db, utcnow
from storage.ids import new_id
from storage.models.learning import Word, WordGroup
from tests.pipelines.text.fake_llm import FakeOpenAI


class VocabularyRows:
    """Words and groups written straight to the database (the learning API owns their
    endpoints; these tests only need rows to point at)."""

    def word(
        self, account, term: str, *, language: str = "ja", groups: list[str] = (), **fields: object
    ) -> Word:
        row = Word(
            id=new_id("wrd"),
            organisation_id=account.organisation_id,
            language=language,
            term=term,
            translations=fields.pop("translations", []),
            tags=[],
            media_ids=[],
            search_text=term.lower(),
            created_at=utcnow(),
            **fields,
        )
        for name in groups:
            group = db.session.scalars(
                db.select(WordGroup).filter_by(
                    organisation_id=account.organisation_id, language=language, name=name
                )
            ).first() or WordGroup(
                id=new_id("wgr"),
                organisation_id=account.organisation_id,
                name=name,
                language=language,
                created_at=utcnow(),
            )
            row.groups.append(group)
        db.session.add(row)
        db.session.commit()
        return row


@pytest.fixture
def vocabulary_rows(app) -> VocabularyRows:
    return VocabularyRows()


@pytest.fixture
def fake_llm_server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server
