"""GET /speaking-prompts: the seeded catalogue of speaking tasks, filtered and paginated."""

from __future__ import annotations

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from api import create_app
from storage.db import db
from storage.models.speech import SpeakingPrompt
from storage.speech.catalogue import load_catalogue, sync_catalogue
from tests.conftest import make_settings, use_app

LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2")


def test_the_catalogue_covers_four_languages_at_every_level(client, accounts, catalogue):
    # Given a learner
    learner = accounts.member(accounts.admin(), "learner")

    # When each language and level is listed
    for language in ("en", "es", "fr", "ja"):
        for level in LEVELS:
            answer = client.get(
                f"/api/v1/speaking-prompts?language={language}&level={level}",
                headers=learner.headers,
            )

            # Then there is a free-speech task and a reading task, and nothing else
            assert answer.status_code == 200
            items = answer.get_json()["items"]
            assert {(p["language"], p["level"]) for p in items} == {(language, level)}
            assert {p["kind"] for p in items} == {"free", "reading"}
            reading = next(p for p in items if p["kind"] == "reading")
            assert reading["reference_text"] and reading["instructions"]


def test_the_list_is_paginated(client, accounts, catalogue):
    # Given the whole catalogue
    admin = accounts.admin()

    # When it is read ten at a time
    first = client.get("/api/v1/speaking-prompts?per_page=10", headers=admin.headers).get_json()
    last = client.get(
        "/api/v1/speaking-prompts?per_page=10&page=5", headers=admin.headers
    ).get_json()

    # Then the totals describe 48 prompts over 5 pages, the last page holding 8
    assert first["pagination"] == {
        "current_page": 1,
        "total_pages": 5,
        "total_items": 48,
        "items_per_page": 10,
    }
    assert len(first["items"]) == 10 and len(last["items"]) == 8
    assert not {p["id"] for p in first["items"]} & {p["id"] for p in last["items"]}


def test_filters_by_kind_and_reads_one_prompt(client, accounts, catalogue):
    # Given a teacher
    teacher = accounts.member(accounts.admin(), "teacher")

    # When the Japanese reading tasks are listed and one is read
    page = client.get(
        "/api/v1/speaking-prompts?language=ja&kind=reading", headers=teacher.headers
    ).get_json()
    one = client.get(f"/api/v1/speaking-prompts/{page['items'][0]['id']}", headers=teacher.headers)

    # Then six tasks (A1..C2) come back in level order and the single read matches
    assert [p["level"] for p in page["items"]] == list(LEVELS)
    assert one.status_code == 200 and one.get_json() == page["items"][0]


@pytest.mark.parametrize(
    ("query", "status"),
    [("level=D1", 422), ("kind=essay", 422), ("per_page=500", 422), ("page=0", 422)],
)
def test_bad_filters_are_refused(client, accounts, catalogue, query: str, status: int):
    # Given an admin, When the list is asked with a bad filter, Then it is a 422
    admin = accounts.admin()
    answer = client.get(f"/api/v1/speaking-prompts?{query}", headers=admin.headers)
    assert answer.status_code == status


def test_an_unknown_prompt_is_not_found(client, accounts, catalogue):
    # Given an admin, When a prompt id that does not exist is read, Then 404 with its code
    admin = accounts.admin()
    answer = client.get("/api/v1/speaking-prompts/spp_xx_a1_9", headers=admin.headers)
    assert answer.status_code == 404
    assert answer.get_json()["code"] == "speaking_prompt_not_found"


def test_api_keys_need_the_learning_read_scope(client, accounts, catalogue):
    # Given two API keys, one with learning:read and one without
    admin = accounts.admin()
    reader = accounts.api_key(admin, ["learning:read"])
    writer = accounts.api_key(admin, ["jobs:write"])

    # When each lists the catalogue, Then only the scoped key is let in
    assert client.get("/api/v1/speaking-prompts", headers=reader).status_code == 200
    assert client.get("/api/v1/speaking-prompts", headers=writer).status_code == 403


def test_the_migration_seeds_the_catalogue_and_the_file_agrees(app, tmp_path, catalogue):
    # Given a fresh embedded-mode database (SQLite) migrated from scratch
    embedded = create_app(
        make_settings(tmp_path, redis_url=None, database_url=""), start_services=False
    )
    try:
        with embedded.app_context():
            upgrade(revision="head")
            # When the catalogue is synchronised against what the migration inserted
            seeded = db.session.scalar(select(func.count()).select_from(SpeakingPrompt))
            changed = sync_catalogue(db.session)
            db.session.rollback()
    finally:
        embedded.extensions["runtime"].stop()
        use_app(app)

    # Then the migration inserted every prompt of the file, unchanged
    assert seeded == len(load_catalogue()[1]) == catalogue == 48
    assert changed == 0
