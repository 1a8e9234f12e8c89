"""Media uploads and downloads through the API, on local disk and on S3."""

from __future__ import annotations

import hashlib
import io
import os
from datetime import timedelta

from sqlalchemy import select, update

from storage.db import db, utcnow
from storage.models.media import Media
from tests.api.apihelpers import assert_problem
from tests.factories import Accounts
from tests.media.conftest import HttpAnswer
from tests.mediasamples import wav_of_seconds
from workers.actors.media import expire_abandoned_uploads

MEDIA = "/api/v1/media"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download(env, account, media_id: str, headers: dict | None = None):
    """GET /content, following the redirect to S3 with a real HTTP client."""
    answer = env.client.get(
        f"{MEDIA}/{media_id}/content", headers={**account.headers, **(headers or {})}
    )
    if env.backend == "s3":
        assert answer.status_code == 302, answer.get_json()
        return env.http_get(answer.headers["Location"], headers)
    return HttpAnswer(answer.status_code, dict(answer.headers), answer.data)


def test_streamed_upload_then_byte_exact_download(media_env):
    # Given a teacher and a recording of about 9.6 MB (more than one S3 part)
    teacher = media_env.accounts.admin()
    data = wav_of_seconds(300)

    # When it is uploaded as a multipart form
    created = media_env.upload(teacher, data, "lesson one.wav", kind="audio")

    # Then the media is ready with the size, sha256, type and duration of those bytes
    assert created.status_code == 201, created.get_json()
    media = created.get_json()
    assert media["status"] == "ready"
    assert media["kind"] == "audio"
    assert media["content_type"] == "audio/wav"
    assert media["size"] == len(data)
    assert media["sha256"] == sha256(data)
    assert abs(media["duration"] - 300.0) < 0.01
    assert created.headers["Location"].endswith(media["id"])

    # And it is stored under the organisation's prefix with a safe name
    assert media_env.keys() == [
        f"orgs/{teacher.organisation_id}/media/{media['id']}/lesson_one.wav"
    ]

    # And the download returns exactly those bytes
    got = download(media_env, teacher, media["id"])
    assert got.status == 200
    assert sha256(got.body) == sha256(data)


def test_download_headers_and_range(media_env, media_samples):
    # Given a stored image
    teacher = media_env.accounts.admin()
    png = media_samples["png"]
    media = media_env.upload(teacher, png, "cat.png").get_json()

    # When it is downloaded whole and in part
    whole = download(media_env, teacher, media["id"])
    part = download(media_env, teacher, media["id"], {"Range": "bytes=0-7"})

    # Then the sniffed type and the file name come back, and the range is honoured
    headers = {name.lower(): value for name, value in whole.headers.items()}
    assert headers["content-type"] == "image/png"
    assert 'filename="cat.png"' in headers["content-disposition"]
    assert part.status == 206
    assert part.body == png[:8]


def test_presigned_put_then_complete(media_env, media_samples):
    # Given a pending upload with a presigned PUT URL
    teacher = media_env.accounts.admin()
    mp3 = media_samples["mp3"]
    started = media_env.client.post(
        f"{MEDIA}/uploads",
        headers=teacher.headers,
        json={
            "filename": "hello.mp3",
            "kind": "audio",
            "content_type": "audio/mpeg",
            "size": len(mp3),
        },
    )
    assert started.status_code == 201, started.get_json()
    body = started.get_json()
    assert body["media"]["status"] == "pending"

    # When the client PUTs the bytes there and completes
    put = media_env.http_put(body["upload"]["url"], mp3, body["upload"]["headers"])
    assert put.status == 200, put.body
    done = media_env.client.post(f"{MEDIA}/{body['media']['id']}/complete", headers=teacher.headers)

    # Then the media is ready with what the bytes say
    assert done.status_code == 200, done.get_json()
    media = done.get_json()
    assert (media["status"], media["content_type"], media["size"]) == (
        "ready",
        "audio/mpeg",
        len(mp3),
    )
    assert media["sha256"] == sha256(mp3)
    assert media["duration"] > 0.9


def test_complete_without_an_object_is_a_conflict(media_env):
    # Given a pending upload whose URL was never used
    teacher = media_env.accounts.admin()
    started = media_env.client.post(
        f"{MEDIA}/uploads", headers=teacher.headers, json={"filename": "x.wav", "kind": "audio"}
    ).get_json()

    # When it is completed, Then 409 upload_missing, and it stays pending
    answer = media_env.client.post(
        f"{MEDIA}/{started['media']['id']}/complete", headers=teacher.headers
    )
    assert_problem(answer, 409, "upload_missing")
    again = media_env.client.get(f"{MEDIA}/{started['media']['id']}", headers=teacher.headers)
    assert again.get_json()["status"] == "pending"


def test_presigned_upload_of_the_wrong_type_is_rejected_and_removed(media_env, media_samples):
    # Given a pending audio upload that received a PNG
    teacher = media_env.accounts.admin()
    started = media_env.client.post(
        f"{MEDIA}/uploads",
        headers=teacher.headers,
        json={"filename": "speech.wav", "kind": "audio"},
    ).get_json()
    media_env.http_put(started["upload"]["url"], media_samples["png"])

    # When it is completed
    answer = media_env.client.post(
        f"{MEDIA}/{started['media']['id']}/complete", headers=teacher.headers
    )

    # Then 415 kind_mismatch, the media is rejected with that code, and the object is gone
    assert_problem(answer, 415, "kind_mismatch")
    media = media_env.client.get(
        f"{MEDIA}/{started['media']['id']}", headers=teacher.headers
    ).get_json()
    assert media["status"] == "rejected"
    assert media["error"]["code"] == "kind_mismatch"
    assert media_env.keys() == []


def test_multipart_upload_over_the_part_size(media_env):
    # Given a 6 MB recording and a multipart upload (Uppy's createMultipartUpload)
    teacher = media_env.accounts.admin()
    data = wav_of_seconds(200)
    created = media_env.client.post(
        f"{MEDIA}/multipart",
        headers=teacher.headers,
        json={
            "filename": "long.wav",
            "kind": "audio",
            "content_type": "audio/wav",
            "size": len(data),
        },
    )
    assert created.status_code == 201, created.get_json()
    media_id = created.get_json()["media"]["id"]
    assert created.get_json()["uploadId"]

    # When two parts are sent to their signed URLs (signPart) and listed (listParts)
    cut = 5 * 1024 * 1024
    etags = []
    for number, piece in ((1, data[:cut]), (2, data[cut:])):
        signed = media_env.client.get(
            f"{MEDIA}/{media_id}/multipart/{number}", headers=teacher.headers
        )
        assert signed.status_code == 200, signed.get_json()
        put = media_env.http_put(signed.get_json()["url"], piece)
        assert put.status == 200, put.body
        etags.append(put.headers.get("ETag") or put.headers.get("etag"))
    listed = media_env.client.get(f"{MEDIA}/{media_id}/multipart", headers=teacher.headers)
    assert [(p["PartNumber"], p["Size"]) for p in listed.get_json()] == [
        (1, cut),
        (2, len(data) - cut),
    ]

    # And the upload is completed with the parts (completeMultipartUpload)
    done = media_env.client.post(
        f"{MEDIA}/{media_id}/multipart/complete",
        headers=teacher.headers,
        json={"parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, start=1)]},
    )

    # Then the media is ready and byte exact
    assert done.status_code == 200, done.get_json()
    media = done.get_json()["media"]
    assert (media["status"], media["size"], media["sha256"]) == ("ready", len(data), sha256(data))
    assert done.get_json()["location"].endswith(f"/{media_id}/content")


def test_aborting_a_multipart_upload(media_env):
    # Given a multipart upload with one part
    teacher = media_env.accounts.admin()
    created = media_env.client.post(
        f"{MEDIA}/multipart", headers=teacher.headers, json={"filename": "a.wav", "kind": "audio"}
    ).get_json()
    media_id = created["media"]["id"]
    url = media_env.client.get(
        f"{MEDIA}/{media_id}/multipart/1", headers=teacher.headers
    ).get_json()["url"]
    media_env.http_put(url, b"RIFF" + bytes(100))

    # When it is aborted (abortMultipartUpload)
    answer = media_env.client.delete(f"{MEDIA}/{media_id}/multipart", headers=teacher.headers)

    # Then the media is gone and nothing is stored
    assert answer.status_code == 204
    gone = media_env.client.get(f"{MEDIA}/{media_id}", headers=teacher.headers)
    assert_problem(gone, 404, "media_not_found")
    assert media_env.keys() == []


def test_sniffing_refuses_a_png_named_wav(media_env, media_samples):
    # Given a learner and a PNG named like a recording
    admin = media_env.accounts.admin()
    learner = media_env.accounts.member(admin, "learner")

    # When the learner uploads it (a learner's upload is speech) or a teacher asks for audio
    by_learner = media_env.upload(learner, media_samples["png"], "speech.wav")
    by_admin = media_env.upload(admin, media_samples["png"], "speech.wav", kind="audio")

    # Then both are 415 and nothing is stored
    assert_problem(by_learner, 415, "kind_mismatch")
    assert_problem(by_admin, 415, "kind_mismatch")
    assert media_env.keys() == []


def test_too_large_unsupported_and_empty(media_env, media_samples):
    # Given a teacher
    teacher = media_env.accounts.admin()

    # When an image over the 10 MiB image limit, unknown bytes and an empty file are sent
    big = media_samples["png"] + os.urandom(10 * 1024 * 1024)
    too_large = media_env.upload(teacher, big, "huge.png")
    unknown = media_env.upload(teacher, b"\x7fELF" + os.urandom(5000), "tool.wav")
    empty = media_env.upload(teacher, b"", "empty.wav")

    # Then 413, 415 and 422 with stable codes, and nothing is stored
    assert_problem(too_large, 413, "file_too_large")
    assert_problem(unknown, 415, "unsupported_type")
    assert_problem(empty, 422, "empty_file")
    assert media_env.keys() == []


def test_form_mistakes(media_env, media_samples):
    # Given a teacher
    teacher = media_env.accounts.admin()
    url = f"{MEDIA}"

    # When the form has no file, a bad kind, or a field after the file
    no_file = media_env.client.post(
        url, data={"kind": "audio"}, headers=teacher.headers, content_type="multipart/form-data"
    )
    bad_kind = media_env.upload(teacher, media_samples["wav"], "a.wav", kind="noise")
    late_body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n'
        b"Content-Type: audio/wav\r\n\r\n" + media_samples["wav"] + b"\r\n"
        b'--XyZ\r\nContent-Disposition: form-data; name="kind"\r\n\r\naudio\r\n--XyZ--\r\n'
    )
    late = media_env.client.post(
        url,
        headers=teacher.headers,
        data=late_body,
        content_type="multipart/form-data; boundary=XyZ",
    )
    truncated = media_env.client.post(
        url,
        headers=teacher.headers,
        data=late_body[:-30],
        content_type="multipart/form-data; boundary=XyZ",
    )
    json_body = media_env.client.post(url, json={"file": "x"}, headers=teacher.headers)

    # Then each is a 422 with its code, and nothing stays stored
    assert_problem(no_file, 422, "file_missing")
    assert_problem(bad_kind, 422, "invalid_kind")
    assert_problem(late, 422, "field_after_file")
    assert_problem(truncated, 422, "multipart_invalid")
    assert_problem(json_body, 422, "multipart_required")
    assert media_env.keys() == []


def test_another_organisation_cannot_read_or_delete(media_env, media_samples):
    # Given media of one organisation
    owner = media_env.accounts.admin()
    stranger = media_env.accounts.admin()
    media = media_env.upload(owner, media_samples["wav"], "a.wav").get_json()

    # When another organisation's admin asks for it, Then it does not exist for them
    for answer in (
        media_env.client.get(f"{MEDIA}/{media['id']}", headers=stranger.headers),
        media_env.client.get(f"{MEDIA}/{media['id']}/content", headers=stranger.headers),
        media_env.client.delete(f"{MEDIA}/{media['id']}", headers=stranger.headers),
        media_env.client.post(f"{MEDIA}/{media['id']}/complete", headers=stranger.headers),
    ):
        assert_problem(answer, 404, "media_not_found")
    listed = media_env.client.get(MEDIA, headers=stranger.headers).get_json()
    assert listed["items"] == []


def test_learners_see_their_own_and_shared_media(media_env, media_samples):
    # Given a teacher's image and two learners' recordings
    admin = media_env.accounts.admin()
    teacher = media_env.accounts.member(admin, "teacher")
    alice = media_env.accounts.member(admin, "learner")
    bob = media_env.accounts.member(admin, "learner")
    image = media_env.upload(teacher, media_samples["png"], "cat.png").get_json()
    alice_audio = media_env.upload(alice, media_samples["wav"], "alice.wav").get_json()
    bob_audio = media_env.upload(bob, media_samples["opus"], "bob.opus").get_json()

    # When each lists media
    def ids(account, query=""):
        page = media_env.client.get(f"{MEDIA}{query}", headers=account.headers).get_json()
        return {item["id"] for item in page["items"]}

    # Then learners see their own recording and the shared image, staff see everything
    assert ids(alice) == {image["id"], alice_audio["id"]}
    assert ids(bob) == {image["id"], bob_audio["id"]}
    assert ids(teacher) == {image["id"], alice_audio["id"], bob_audio["id"]}
    assert ids(teacher, "?kind=image") == {image["id"]}
    assert_problem(
        media_env.client.get(f"{MEDIA}/{bob_audio['id']}", headers=alice.headers),
        404,
        "media_not_found",
    )

    # And a learner cannot delete the shared image, nor upload one
    assert_problem(
        media_env.client.delete(f"{MEDIA}/{image['id']}", headers=alice.headers),
        403,
        "not_media_owner",
    )
    assert_problem(
        media_env.upload(alice, media_samples["png"], "me.png", kind="image"),
        403,
        "learner_audio_only",
    )


def test_list_is_paginated(media_env, media_samples):
    # Given three recordings
    teacher = media_env.accounts.admin()
    made = [
        media_env.upload(teacher, media_samples["wav"], f"{n}.wav").get_json()["id"]
        for n in range(3)
    ]

    # When listed two per page
    first = media_env.client.get(f"{MEDIA}?per_page=2", headers=teacher.headers).get_json()
    second = media_env.client.get(f"{MEDIA}?per_page=2&page=2", headers=teacher.headers).get_json()

    # Then newest come first and the totals are right
    assert [item["id"] for item in first["items"] + second["items"]] == made[::-1]
    assert first["pagination"] == {
        "current_page": 1,
        "total_pages": 2,
        "total_items": 3,
        "items_per_page": 2,
    }
    assert_problem(
        media_env.client.get(f"{MEDIA}?per_page=500", headers=teacher.headers),
        422,
        "validation_error",
    )


def test_delete_removes_object_and_row(media_env, media_samples):
    # Given a stored recording
    teacher = media_env.accounts.admin()
    media = media_env.upload(teacher, media_samples["wav"], "a.wav").get_json()

    # When it is deleted
    answer = media_env.client.delete(f"{MEDIA}/{media['id']}", headers=teacher.headers)

    # Then the row and the object are gone
    assert answer.status_code == 204
    assert_problem(
        media_env.client.get(f"{MEDIA}/{media['id']}", headers=teacher.headers),
        404,
        "media_not_found",
    )
    assert media_env.keys() == []


def test_api_keys_need_media_scopes(media_env, media_samples):
    # Given API keys with and without the media scopes
    admin = media_env.accounts.admin()
    writer = media_env.accounts.api_key(admin, ["media:read", "media:write"])
    reader = media_env.accounts.api_key(admin, ["jobs:read"])
    form = {"file": (io.BytesIO(media_samples["wav"]), "a.wav")}

    # When each uploads, Then only the scoped key may
    ok = media_env.client.post(MEDIA, data=form, headers=writer, content_type="multipart/form-data")
    assert ok.status_code == 201, ok.get_json()
    assert_problem(media_env.client.get(MEDIA, headers=reader), 403, "insufficient_scope")


def test_abandoned_uploads_are_removed_after_a_day(media_env):
    # Given a presigned upload and a multipart upload started two days ago, and one just now
    teacher = media_env.accounts.admin()
    old_put = media_env.client.post(
        f"{MEDIA}/uploads", headers=teacher.headers, json={"filename": "a.wav", "kind": "audio"}
    ).get_json()
    media_env.http_put(old_put["upload"]["url"], b"RIFF" + bytes(100))
    old_parts = media_env.client.post(
        f"{MEDIA}/multipart", headers=teacher.headers, json={"filename": "b.wav", "kind": "audio"}
    ).get_json()
    fresh = media_env.client.post(
        f"{MEDIA}/uploads", headers=teacher.headers, json={"filename": "c.wav", "kind": "audio"}
    ).get_json()
    db.session.execute(
        update(Media)
        .where(Media.id.in_([old_put["media"]["id"], old_parts["media"]["id"]]))
        .values(created_at=utcnow() - timedelta(days=2))
    )
    db.session.commit()

    # When the hourly sweep runs
    with media_env.app.app_context():
        removed = expire_abandoned_uploads()

    # Then the two old uploads and their bytes are gone, and the fresh one stays
    assert removed == 2
    db.session.expire_all()
    assert db.session.scalars(select(Media.id)).all() == [fresh["media"]["id"]]
    assert media_env.keys() == []


def test_forged_local_signed_urls_are_refused_with_a_problem(media_env):
    # Given tokens no server ever signed, some with characters outside ASCII
    expected = 404 if media_env.backend == "s3" else 403
    for token in ("0.%C2%80", "%C3%A9t%C3%A9.%C3%A9", "abc.def"):
        # When used to read or to write, Then the answer is a problem, never a crash
        for method in (media_env.client.get, media_env.client.put):
            answer = method(f"{MEDIA}/local/{token}", data=b"x")
            assert answer.status_code == expected, (token, answer.data)
            assert answer.content_type == "application/problem+json"


def test_per_kind_limits_follow_configuration(app_with, media_samples):
    # Given a platform whose images may be 12 MiB but audio only 4 KiB
    configured = app_with(media_kind_limits=(("image", 12 * 1024 * 1024), ("audio", 4096)))
    client = configured.test_client()
    teacher = Accounts(client).admin()

    def upload(data: bytes, filename: str):
        return client.post(
            MEDIA,
            headers=teacher.headers,
            content_type="multipart/form-data",
            data={"file": (io.BytesIO(data), filename)},
        )

    # When an 11 MiB image (over the default 10 MiB) and a 5 KiB recording are sent
    image = upload(media_samples["png"] + os.urandom(11 * 1024 * 1024), "big.png")
    audio = upload(wav_of_seconds(1), "long.wav")
    presigned = client.post(
        f"{MEDIA}/uploads",
        headers=teacher.headers,
        json={"filename": "a.wav", "kind": "audio", "content_type": "audio/wav", "size": 5000},
    )

    # Then the image is stored and the audio refused, whichever way it comes
    assert image.status_code == 201, image.get_json()
    assert_problem(audio, 413, "file_too_large")
    assert "4096" in audio.get_json()["detail"]
    assert_problem(presigned, 413, "file_too_large")
