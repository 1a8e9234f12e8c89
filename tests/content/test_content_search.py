"""Search: PostgreSQL full-text search (language-aware, ranked, highlighted) and SQLite FTS5
in embedded mode, through the same endpoints."""

from __future__ import annotations

import re

from flask_migrate import upgrade

from api import create_app
from tests.conftest import make_settings, use_app
from tests.factories import Accounts


def _search(client, account, path: str = "", **args) -> dict:
    answer = client.get(f"/api/v1/search{path}", headers=account.headers, query_string=args)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def _build(content, teacher) -> dict:
    course = content.course(
        teacher,
        title="Travel English",
        description="Order food and drinks in cafés and restaurants.",
    )
    chapter = content.chapter(
        teacher, course["id"], "At the restaurant", summary="Ordering a meal politely."
    )
    lesson = content.lesson(
        teacher,
        chapter["id"],
        "Ordering drinks",
        content="Learn to order a <b>coffee</b>: *I would like a "
        "coffee, please.* Then ask for the bill.",
    )
    other = content.lesson(
        teacher,
        chapter["id"],
        "Numbers",
        content="Count from one to ten. A coffee costs three euros.",
    )
    return {"course": course, "chapter": chapter, "lesson": lesson, "other": other}


def test_postgres_search_is_stemmed_ranked_and_highlighted(client, accounts, content):
    # Given English content and a draft course
    teacher = accounts.admin()
    learner = accounts.member(teacher, "learner")
    built = _build(content, teacher)
    draft = content.course(teacher, published=False, title="Secret drinks course")

    # When a learner searches with other forms of the words
    found = _search(client, learner, q="ordered drink")
    # Then English stemming matches "Ordering drinks" and ranks the title match first
    assert found["results"][0]["id"] == built["lesson"]["id"]
    assert found["results"][0]["type"] == "lesson"
    assert "<mark>Ordering</mark>" in found["results"][0]["title"]
    ids = [hit["id"] for hit in found["results"]]
    assert built["course"]["id"] in ids and draft["id"] not in ids
    assert built["chapter"]["id"] not in ids  # "Ordering a meal": no drink in it
    scores = [hit["score"] for hit in found["results"]]
    assert scores == sorted(scores, reverse=True)
    # And the snippet marks the match and carries no markup of the author's (PostgreSQL's
    # parser reads HTML tags as tags and leaves them out)
    coffee = _search(client, learner, path="/lessons", q="coffee")
    snippets = " ".join(hit["snippet"] for hit in coffee["results"])
    assert "<mark>coffee</mark>" in snippets
    assert "<" not in re.sub(r"</?mark>", "", snippets)
    assert {hit["id"] for hit in coffee["results"]} == {built["lesson"]["id"], built["other"]["id"]}
    # And the reference shapes answer one kind each
    assert [
        h["type"] for h in _search(client, learner, path="/courses", q="drinks")["results"]
    ] == ["course"]
    assert [h["id"] for h in _search(client, learner, path="/chapters", q="meal")["results"]] == [
        built["chapter"]["id"]
    ]
    # And staff also find drafts, while another organisation finds nothing
    assert draft["id"] in [h["id"] for h in _search(client, teacher, q="secret")["results"]]
    stranger = accounts.admin()
    assert _search(client, stranger, q="coffee")["results"] == []


def test_vocabulary_and_language_configurations(client, accounts, content):
    # Given a French course and vocabulary words
    teacher = accounts.admin()
    french = content.course(teacher, title="Français au café", language="fr")
    chapter = content.chapter(teacher, french["id"], "Les boissons")
    lesson = content.lesson(
        teacher, chapter["id"], "Commander des boissons chaudes", content="Nous commandons un café."
    )
    word = client.post(
        "/api/v1/words",
        headers=teacher.headers,
        json={"language": "en", "term": "beverage", "translations": ["boisson"]},
    )
    assert word.status_code == 201, word.get_json()

    # When searching in French with another form of the verb
    found = _search(client, teacher, q="commande", language="fr")
    # Then the French stemmer finds the lesson
    assert [h["id"] for h in found["results"]] == [lesson["id"]]
    # And the vocabulary is searchable by its translations
    words = _search(client, teacher, path="/words", q="boisson")
    assert [h["id"] for h in words["results"]] == [word.get_json()["id"]]
    # And a changed lesson is found by its new words only
    client.patch(
        f"/api/v1/lessons/{lesson['id']}",
        headers=teacher.headers,
        json={"title": "Les desserts", "content": "Un gâteau."},
    )
    assert _search(client, teacher, q="boissons chaudes", language="fr")["results"] == []
    assert [h["id"] for h in _search(client, teacher, q="gâteau")["results"]] == [lesson["id"]]
    # And a deleted word is gone
    client.delete(f"/api/v1/words/{word.get_json()['id']}", headers=teacher.headers)
    assert _search(client, teacher, path="/words", q="boisson")["results"] == []


def test_embedded_mode_searches_with_sqlite_fts5(app, tmp_path):
    # Given the platform in embedded mode (SQLite) with a published course
    embedded = create_app(
        make_settings(tmp_path, redis_url=None, database_url=""), start_services=False
    )
    try:
        with embedded.app_context():
            upgrade(revision="head")
        client = embedded.test_client()
        teacher = Accounts(client).admin()
        learner = Accounts(client).member(teacher, "learner")
        from tests.content.conftest import Content

        built = _build(Content(client), teacher)

        # When a learner searches
        found = _search(client, learner, q="ordering drinks")
        # Then FTS5 ranks the lesson first and highlights safely
        assert found["results"][0]["id"] == built["lesson"]["id"]
        assert "<mark>Ordering</mark>" in found["results"][0]["title"]
        coffee = _search(client, learner, path="/lessons", q="coffee")
        assert "&lt;b&gt;<mark>coffee</mark>&lt;/b&gt;" in " ".join(
            h["snippet"] for h in coffee["results"]
        )
        # And a query of punctuation only finds nothing rather than failing
        assert _search(client, learner, q='"*')["results"] == []
    finally:
        embedded.extensions["runtime"].stop()
        use_app(app)
