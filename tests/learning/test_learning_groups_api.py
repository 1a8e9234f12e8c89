"""Word groups: CRUD, unique names, membership and the group's word list."""

from __future__ import annotations


def test_group_crud_and_membership(client, accounts, vocab):
    # Given a teacher with three Japanese words
    admin = accounts.admin()
    teacher = accounts.member(admin, "teacher")
    learner = accounts.member(admin, "learner")
    words = [vocab.word(teacher, term) for term in ("いぬ", "ねこ", "とり")]
    # When the teacher creates a group and adds two words (one twice)
    group = vocab.group(teacher, "Animals")
    assert group["word_count"] == 0
    url = f"/api/v1/word-groups/{group['id']}"
    added = client.post(
        f"{url}/words",
        headers=teacher.headers,
        json={"word_ids": [words[0]["id"], words[1]["id"], words[0]["id"]]},
    )
    # Then two are added and counted
    assert added.status_code == 200
    assert added.get_json() == {"group_id": group["id"], "added": 2, "word_count": 2}
    # And adding one already present adds nothing
    again = client.post(
        f"{url}/words", headers=teacher.headers, json={"word_ids": [words[1]["id"], words[2]["id"]]}
    ).get_json()
    assert (again["added"], again["word_count"]) == (1, 3)
    # And the learner reads the group's words in the portal shape, and the group in the list
    listed = client.get(f"{url}/words?per_page=2", headers=learner.headers).get_json()
    assert listed["pagination"] == {
        "current_page": 1,
        "total_pages": 2,
        "total_items": 3,
        "items_per_page": 2,
    }
    assert all(group["id"] in item["groups"] for item in listed["items"])
    groups = client.get("/api/v1/word-groups", headers=learner.headers).get_json()
    assert [(g["name"], g["word_count"]) for g in groups["items"]] == [("Animals", 3)]
    # When a word is taken out, and the group renamed
    assert (
        client.delete(f"{url}/words/{words[2]['id']}", headers=teacher.headers).status_code == 204
    )
    renamed = client.patch(
        url, headers=teacher.headers, json={"name": "Pets", "description": "Animals at home"}
    )
    assert renamed.get_json()["name"] == "Pets"
    assert client.get(url, headers=learner.headers).get_json()["word_count"] == 2
    assert (
        client.get(f"/api/v1/words/{words[2]['id']}", headers=learner.headers).get_json()["groups"]
        == []
    )
    # And taking out a word that is not in the group is 404
    missing = client.delete(f"{url}/words/{words[2]['id']}", headers=teacher.headers)
    assert missing.status_code == 404 and missing.get_json()["code"] == "word_not_in_group"
    # When the group is deleted, its words stay
    assert client.delete(url, headers=teacher.headers).status_code == 204
    assert client.get(url, headers=teacher.headers).status_code == 404
    assert (
        client.get(f"/api/v1/words/{words[0]['id']}", headers=teacher.headers).get_json()["groups"]
        == []
    )


def test_group_names_are_unique_per_language(client, accounts, vocab):
    # Given a Japanese group "Basic Greetings"
    admin = accounts.admin()
    vocab.group(admin, "Basic Greetings", "ja")
    # When another with the same name and language is created: 409
    clash = client.post(
        "/api/v1/word-groups",
        headers=admin.headers,
        json={"name": "Basic Greetings", "language": "ja"},
    )
    assert clash.status_code == 409 and clash.get_json()["code"] == "word_group_exists"
    # Then the same name in Spanish, or in another organisation, is fine
    vocab.group(admin, "Basic Greetings", "es")
    vocab.group(accounts.admin(), "Basic Greetings", "ja")
    listed = client.get("/api/v1/word-groups?language=es", headers=admin.headers).get_json()
    assert [g["language"] for g in listed["items"]] == ["es"]


def test_learners_cannot_change_groups_and_languages_must_match(client, accounts, vocab):
    # Given a Japanese group and a Spanish word
    admin = accounts.admin()
    learner = accounts.member(admin, "learner")
    group = vocab.group(admin, "Basic Greetings", "ja")
    hola = vocab.word(admin, "hola", language="es")
    url = f"/api/v1/word-groups/{group['id']}"
    # Then a learner can neither create, change, fill nor delete groups
    assert (
        client.post(
            "/api/v1/word-groups", headers=learner.headers, json={"name": "Mine", "language": "ja"}
        ).status_code
        == 403
    )
    assert client.patch(url, headers=learner.headers, json={"name": "x"}).status_code == 403
    assert (
        client.post(
            f"{url}/words", headers=learner.headers, json={"word_ids": [hola["id"]]}
        ).status_code
        == 403
    )
    assert client.delete(url, headers=learner.headers).status_code == 403
    # And a Spanish word cannot join a Japanese group
    response = client.post(f"{url}/words", headers=admin.headers, json={"word_ids": [hola["id"]]})
    assert response.status_code == 422
    assert response.get_json()["code"] == "group_language_mismatch"
    # And another organisation cannot see the group
    assert client.get(url, headers=accounts.admin().headers).status_code == 404
