"""Presigned upload URLs of the local backend are one-shot and bound to their media row: once
the upload is completed, refused or deleted, or once the URL wrote its object, it writes
nothing more, though its signature is still good."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

from tests.api.apihelpers import assert_problem
from tests.mediasamples import wav_of_seconds
from tests.security.conftest import at_once

MEDIA = "/api/v1/media"
WAV = wav_of_seconds(1.0)
BIGGER = wav_of_seconds(3.0)


def _start(client, account, filename: str = "hello.wav") -> tuple[str, str]:
    answer = client.post(
        f"{MEDIA}/uploads", headers=account.headers, json={"filename": filename, "kind": "audio"}
    )
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    return body["media"]["id"], urlsplit(body["upload"]["url"]).path


def test_a_completed_upload_url_writes_nothing_more(client, accounts):
    # Given a presigned upload that was written and completed
    teacher = accounts.admin()
    media_id, path = _start(client, teacher)
    assert client.put(path, data=WAV).status_code == 200
    done = client.post(f"{MEDIA}/{media_id}/complete", headers=teacher.headers)
    assert done.status_code == 200, done.get_json()
    # When the same URL is used again within its hour
    again = client.put(path, data=BIGGER)
    # Then it is refused, and the stored file is still the one checked
    assert_problem(again, 409, "upload_closed")
    content = client.get(f"{MEDIA}/{media_id}/content", headers=teacher.headers)
    assert content.data == WAV
    assert client.get(f"{MEDIA}/{media_id}", headers=teacher.headers).get_json()["size"] == len(WAV)


def test_an_upload_url_writes_once(client, accounts):
    teacher = accounts.admin()
    _, path = _start(client, teacher)
    assert client.put(path, data=WAV).status_code == 200
    assert_problem(client.put(path, data=BIGGER), 409, "upload_closed")


def test_parallel_writes_to_one_upload_url_store_one_body(app, client, accounts):
    teacher = accounts.admin()
    media_id, path = _start(client, teacher)
    answers = at_once(app, [lambda c: c.put(path, data=WAV), lambda c: c.put(path, data=BIGGER)])
    assert sorted(a.status_code for a in answers) == [200, 409]


def test_a_deleted_or_refused_upload_url_writes_nothing(client, accounts, settings):
    teacher = accounts.admin()
    # A deleted pending upload
    media_id, path = _start(client, teacher)
    assert client.delete(f"{MEDIA}/{media_id}", headers=teacher.headers).status_code == 204
    assert_problem(client.put(path, data=WAV), 409, "upload_closed")
    # An upload refused at completion (not audio)
    media_id, path = _start(client, teacher, "notes.wav")
    assert client.put(path, data=b"plain text, not audio" * 10).status_code == 200
    refused = client.post(f"{MEDIA}/{media_id}/complete", headers=teacher.headers)
    assert refused.status_code >= 400
    assert_problem(client.put(path, data=WAV), 409, "upload_closed")
    # And nothing was left behind in the media folder
    objects = settings.media_dir / "objects" / "orgs" / teacher.organisation_id
    assert not objects.exists() or not any(p.is_file() for p in objects.rglob("*"))


def test_control_characters_in_a_file_name_are_dropped(client, accounts):
    # Given an upload whose file name holds a NUL
    teacher = accounts.admin()
    answer = client.post(
        MEDIA,
        data={"kind": "audio", "file": (io.BytesIO(WAV), "a\x00bc.wav")},
        headers=teacher.headers,
        content_type="multipart/form-data",
    )
    # Then it is stored under a name any tool can carry
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["filename"] == "abc.wav"
    # And a presigned upload's name is cleaned the same way
    started = client.post(
        f"{MEDIA}/uploads",
        headers=teacher.headers,
        json={"filename": "x\u0000y\n.wav", "kind": "audio"},
    )
    assert started.status_code == 201, started.get_json()
    assert started.get_json()["media"]["filename"] == "xy.wav"


def test_on_s3_a_completed_upload_url_cannot_replace_the_checked_file(media_env):
    # Given a presigned upload (local disk or S3) that was written and completed
    teacher = media_env.accounts.admin()
    started = media_env.client.post(
        f"{MEDIA}/uploads", headers=teacher.headers, json={"filename": "hello.wav", "kind": "audio"}
    ).get_json()
    url, media_id = started["upload"]["url"], started["media"]["id"]
    assert media_env.http_put(url, WAV).status == 200
    done = media_env.client.post(f"{MEDIA}/{media_id}/complete", headers=teacher.headers)
    assert done.status_code == 200, done.get_json()
    # When the URL is used again (S3 cannot revoke it; the local backend refuses it)
    media_env.http_put(url, BIGGER)
    # Then the media's file is still the one that was checked
    content = media_env.client.get(f"{MEDIA}/{media_id}/content", headers=teacher.headers)
    if media_env.backend == "s3":
        content = media_env.http_get(content.headers["Location"])
        assert content.body == WAV
    else:
        assert content.data == WAV
