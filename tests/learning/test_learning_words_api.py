"""Vocabulary words through the API: the portal shape, filters, pagination edges, roles."""

from __future__ import annotations

import io

from tests.mediasamples import wav_of_seconds

PORTAL_PAGINATION = {"current_page", "total_pages", "total_items", "items_per_page"}
WORD_KEYS = {
    "id",
    "language",
    "term",
    "reading",
    "translations",
    "part_of_speech",
    "level",
    "tags",
    "groups",
    "media_ids",
    "media_url",
    "created_at",
    "updated_at",
}


def _upload_audio(client, account) -> str:
    answer = client.post(
        "/api/v1/media",
        headers=account.headers,
        data={"kind": "audio", "file": (io.BytesIO(wav_of_seconds(0.3)), "word.wav")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def test_words_list_has_the_portal_shape_with_media_urls(client, accounts, vocab, settings):
    # Given a teacher's group with a word that has audio and one without media
    admin = accounts.admin()
    teacher = accounts.member(admin, "teacher")
    learner = accounts.member(admin, "learner")
    group = vocab.group(teacher)
    # (media ids must name the organisation's shared files: two recordings of the word)
    audio1, audio2 = (_upload_audio(client, teacher) for _ in range(2))
    hello = vocab.word(
        teacher,
        "こんにちは",
        reading="konnichiwa",
        translations=["hello"],
        part_of_speech="interjection",
        level="A1",
        tags=["greeting"],
        groups=[group["id"]],
        media_ids=[audio1, audio2],
    )
    vocab.word(teacher, "ありがとう", reading="arigatou", translations=["thank you"])
    # When a learner lists the words
    response = client.get("/api/v1/words", headers=learner.headers)
    # Then the answer is the portal's {"items", "pagination"} with exactly its page keys
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"items", "pagination"}
    assert body["pagination"] == {
        "current_page": 1,
        "total_pages": 1,
        "total_items": 2,
        "items_per_page": 20,
    }
    items = {item["term"]: item for item in body["items"]}
    assert all(set(item) == WORD_KEYS for item in body["items"])
    # And the word with media carries a URL to its first media file's content
    assert items["こんにちは"]["media_url"] == (
        f"{settings.public_base_url}/api/v1/media/{audio1}/content"
    )
    assert items["ありがとう"]["media_url"] is None
    assert items["こんにちは"] == {
        **items["こんにちは"],
        "id": hello["id"],
        "language": "ja",
        "reading": "konnichiwa",
        "translations": ["hello"],
        "part_of_speech": "interjection",
        "level": "A1",
        "tags": ["greeting"],
        "groups": [group["id"]],
        "media_ids": [audio1, audio2],
    }


def test_filters_by_language_group_level_and_text(client, accounts, vocab):
    # Given Japanese words in two groups at two levels and a Spanish word
    admin = accounts.admin()
    greetings = vocab.group(admin, "Basic Greetings")
    food = vocab.group(admin, "Food")
    vocab.word(
        admin,
        "こんにちは",
        reading="konnichiwa",
        translations=["hello", "good afternoon"],
        level="A1",
        groups=[greetings["id"]],
    )
    vocab.word(
        admin,
        "おはよう",
        reading="ohayou",
        translations=["Good morning"],
        level="A1",
        groups=[greetings["id"]],
    )
    vocab.word(
        admin, "寿司", reading="sushi", translations=["sushi"], level="A2", groups=[food["id"]]
    )
    vocab.word(admin, "buenos días", language="es", translations=["good morning"], level="A1")

    def terms(query: str) -> list[str]:
        response = client.get(f"/api/v1/words?{query}", headers=admin.headers)
        assert response.status_code == 200, response.get_json()
        return sorted(item["term"] for item in response.get_json()["items"])

    # Then each filter narrows the list, alone and combined
    assert terms("language=es") == ["buenos días"]
    assert terms(f"group={greetings['id']}") == ["おはよう", "こんにちは"]
    assert terms("level=A2") == ["寿司"]
    assert terms("language=ja&level=A1") == ["おはよう", "こんにちは"]
    # And text search matches term, reading and translations, ignoring case
    assert terms("q=good%20MORNING") == ["buenos días", "おはよう"]
    assert terms("q=konnichi") == ["こんにちは"]
    assert terms("q=寿") == ["寿司"]
    assert terms("q=afternoon&language=es") == []
    # And a LIKE wildcard in the search is taken literally
    assert terms("q=%25") == []


def test_pagination_edges(client, accounts, vocab):
    # Given 5 words
    admin = accounts.admin()
    for n in range(5):
        vocab.word(admin, f"word{n}")
    # When a page of 2 is asked for: the last page has the remainder
    last = client.get("/api/v1/words?page=3&per_page=2", headers=admin.headers).get_json()
    assert [item["term"] for item in last["items"]] == ["word4"]
    assert last["pagination"] == {
        "current_page": 3,
        "total_pages": 3,
        "total_items": 5,
        "items_per_page": 2,
    }
    # When a page past the end is asked for: no items, and the right totals
    past = client.get("/api/v1/words?page=9&per_page=2", headers=admin.headers)
    assert past.status_code == 200
    assert past.get_json() == {
        "items": [],
        "pagination": {"current_page": 9, "total_pages": 3, "total_items": 5, "items_per_page": 2},
    }
    # When the page size is over the maximum, or page/per_page are not positive: 422
    for query in ("per_page=101", "per_page=0", "page=0", "page=x"):
        response = client.get(f"/api/v1/words?{query}", headers=admin.headers)
        assert response.status_code == 422, query
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["code"] == "validation_error"
    # And an empty filter result is an empty first page with zero pages
    empty = client.get("/api/v1/words?q=nothing", headers=admin.headers).get_json()
    assert empty["pagination"] == {
        "current_page": 1,
        "total_pages": 0,
        "total_items": 0,
        "items_per_page": 20,
    }


def test_teachers_write_and_learners_only_read(client, accounts, vocab):
    # Given a teacher's word and a learner of the same organisation
    admin = accounts.admin()
    teacher = accounts.member(admin, "teacher")
    learner = accounts.member(admin, "learner")
    word = vocab.word(teacher, "猫", reading="neko", translations=["cat"])
    url = f"/api/v1/words/{word['id']}"
    # When the learner tries to create, change or delete a word: 403
    assert (
        client.post(
            "/api/v1/words", headers=learner.headers, json={"language": "ja", "term": "犬"}
        ).status_code
        == 403
    )
    assert client.patch(url, headers=learner.headers, json={"term": "x"}).status_code == 403
    assert client.delete(url, headers=learner.headers).status_code == 403
    # And the learner can read it
    assert client.get(url, headers=learner.headers).get_json()["term"] == "猫"
    # When the teacher changes it, the search follows the new translations
    changed = client.patch(
        url, headers=teacher.headers, json={"translations": ["cat", "kitty"], "level": "A1"}
    )
    assert changed.status_code == 200
    assert changed.get_json()["translations"] == ["cat", "kitty"]
    found = client.get("/api/v1/words?q=kitty", headers=learner.headers).get_json()
    assert [item["id"] for item in found["items"]] == [word["id"]]
    # When the teacher deletes it, it is gone
    assert client.delete(url, headers=teacher.headers).status_code == 204
    gone = client.get(url, headers=learner.headers)
    assert gone.status_code == 404 and gone.get_json()["code"] == "word_not_found"


def test_words_are_invisible_to_other_organisations(client, accounts, vocab):
    # Given a word of one organisation and an admin of another
    owner = accounts.admin()
    stranger = accounts.admin()
    word = vocab.word(owner, "水", translations=["water"])
    # Then the other organisation can neither list, read, change nor delete it
    listed = client.get("/api/v1/words", headers=stranger.headers).get_json()
    assert listed["items"] == [] and listed["pagination"]["total_items"] == 0
    url = f"/api/v1/words/{word['id']}"
    for method in ("get", "delete"):
        assert getattr(client, method)(url, headers=stranger.headers).status_code == 404
    assert client.patch(url, headers=stranger.headers, json={"term": "x"}).status_code == 404
    # And it cannot put the word in its own group
    group = vocab.group(stranger)
    response = client.post(
        f"/api/v1/word-groups/{group['id']}/words",
        headers=stranger.headers,
        json={"word_ids": [word["id"]]},
    )
    assert response.status_code == 422 and response.get_json()["code"] == "word_not_found"


def test_bad_word_input_is_refused_with_a_clear_code(client, accounts, vocab):
    # Given an admin with a Japanese group
    admin = accounts.admin()
    group = vocab.group(admin, "Basic Greetings", "ja")
    cases = [
        ({"term": "x"}, "validation_error"),  # no language
        ({"language": "ja", "term": "x", "level": "D1"}, "validation_error"),
        ({"language": "Japanese!", "term": "x"}, "validation_error"),
        ({"language": "ja", "term": "x", "colour": "red"}, "validation_error"),
        ({"language": "ja", "term": "x", "translations": "hello"}, "validation_error"),
        ({"language": "ja", "term": "x", "groups": ["grp_missing"]}, "group_not_found"),
        ({"language": "es", "term": "hola", "groups": [group["id"]]}, "group_language_mismatch"),
    ]
    # Then each is a 422 problem with its code
    for body, code in cases:
        response = client.post("/api/v1/words", headers=admin.headers, json=body)
        assert response.status_code == 422, body
        assert response.get_json()["code"] == code, body


def test_api_keys_need_the_learning_scopes(client, accounts, vocab):
    # Given keys with and without the learning scopes
    admin = accounts.admin()
    vocab.word(admin, "本", translations=["book"])
    reader = accounts.api_key(admin, ["learning:read"])
    writer = accounts.api_key(admin, ["learning:read", "learning:write"])
    other = accounts.api_key(admin, ["jobs:read"])
    # Then reading needs learning:read and writing learning:write
    assert client.get("/api/v1/words", headers=reader).status_code == 200
    assert client.get("/api/v1/words", headers=other).status_code == 403
    body = {"language": "ja", "term": "机", "translations": ["desk"]}
    assert client.post("/api/v1/words", headers=reader, json=body).status_code == 403
    created = client.post("/api/v1/words", headers=writer, json=body)
    assert created.status_code == 201
    # And without credentials the list is 401
    assert client.get("/api/v1/words").status_code == 401
