"""A word's media ids name the organisation's own shared files, nothing else."""

from __future__ import annotations

import io

import pytest

from tests.api.apihelpers import assert_problem
from tests.mediasamples import wav_of_seconds


def _upload(client, account) -> str:
    answer = client.post(
        "/api/v1/media",
        headers=account.headers,
        data={"kind": "audio", "file": (io.BytesIO(wav_of_seconds(0.5)), "w.wav")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


@pytest.mark.parametrize("bad", ["../../auth/me?x=", "med_doesnotexist", "other-org"])
def test_a_word_cannot_name_foreign_or_made_up_media(client, accounts, bad):
    # Given a teacher, and another organisation's media
    teacher = accounts.admin()
    stranger = accounts.admin()
    foreign = _upload(client, stranger)
    media_id = foreign if bad == "other-org" else bad
    # When a word names it
    created = client.post(
        "/api/v1/words",
        headers=teacher.headers,
        json={"language": "en", "term": "apple", "media_ids": [media_id]},
    )
    # Then it is refused, and nothing is rendered into a URL
    assert_problem(created, 422, "media_not_found")
    own = _upload(client, teacher)
    word = client.post(
        "/api/v1/words",
        headers=teacher.headers,
        json={"language": "en", "term": "pear", "media_ids": [own]},
    )
    assert word.status_code == 201, word.get_json()
    patched = client.patch(
        f"/api/v1/words/{word.get_json()['id']}",
        headers=teacher.headers,
        json={"media_ids": [own, media_id]},
    )
    assert_problem(patched, 422, "media_not_found")
    assert word.get_json()["media_url"].endswith(f"/api/v1/media/{own}/content")
