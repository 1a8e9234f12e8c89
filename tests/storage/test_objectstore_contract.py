"""The object-store contract, run against both backends (local disk and an S3 server)."""

from __future__ import annotations

import hashlib
import os

import pytest
import requests

from storage.objectstore import (
    MIN_PART_SIZE,
    InvalidRange,
    InvalidUpload,
    ObjectNotFound,
    ObjectStore,
    Part,
)

KEY = "orgs/org_a/media/med_1/lesson.bin"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_all(store: ObjectStore, key: str, start: int | None = None, end: int | None = None):
    with store.get(key, start, end) as stream:
        return b"".join(stream)


def test_streamed_upload_of_unknown_length_round_trips_byte_exact(object_store, chunks_of):
    # Given 12 MiB arriving as a generator, larger than two 5 MiB multipart parts
    data = os.urandom(12 * 1024 * 1024)

    # When it is stored without a declared length
    info = object_store.put(KEY, chunks_of(data), None, "audio/wav")

    # Then the object has every byte, in order, and the declared content type
    assert info.size == len(data)
    assert sha256(read_all(object_store, KEY)) == sha256(data)
    assert object_store.stat(KEY).content_type == "audio/wav"


def test_put_with_known_length_then_stat(object_store):
    # Given a small body with its length
    data = b"RIFF" + b"\x01" * 1000

    # When it is stored
    info = object_store.put(KEY, data, len(data), "audio/wav")

    # Then stat describes it
    found = object_store.stat(KEY)
    assert (found.key, found.size, found.content_type) == (KEY, 1004, "audio/wav")
    assert found.etag and found.etag == info.etag
    assert found.last_modified is not None


def test_reading_in_chunks_with_read(object_store):
    # Given a stored object
    data = os.urandom(300_000)
    object_store.put(KEY, data, len(data), "application/octet-stream")

    # When it is read with read(n) like a file
    with object_store.get(KEY) as stream:
        pieces = [stream.read(70_000) for _ in range(6)]

    # Then the pieces join to the object and the last read is empty
    assert b"".join(pieces) == data
    assert pieces[-1] == b""


def test_range_reads(object_store):
    # Given a stored object of 1000 known bytes
    data = bytes(range(256)) * 3 + bytes(232)
    object_store.put(KEY, data, len(data), "application/octet-stream")

    # When ranges are read, Then they are inclusive like HTTP Range, the end clamped
    assert read_all(object_store, KEY, 10, 19) == data[10:20]
    assert read_all(object_store, KEY, 990) == data[990:]
    assert read_all(object_store, KEY, 995, 5000) == data[995:]
    assert object_store.get(KEY, 100, 199).length == 100

    # And a range that starts past the end is refused
    with pytest.raises(InvalidRange):
        object_store.get(KEY, 1000)


def test_missing_objects(object_store):
    # Given an empty bucket, When a missing key is used, Then ObjectNotFound (404) is raised
    with pytest.raises(ObjectNotFound) as stat_error:
        object_store.stat("orgs/org_a/media/med_x/missing.wav")
    with pytest.raises(ObjectNotFound):
        object_store.get("orgs/org_a/media/med_x/missing.wav")
    assert stat_error.value.status == 404

    # And deleting a missing key is not an error
    object_store.delete("orgs/org_a/media/med_x/missing.wav")


def test_delete_removes_the_object(object_store):
    # Given a stored object
    object_store.put(KEY, b"abc", 3, "text/plain")

    # When it is deleted
    object_store.delete(KEY)

    # Then it is gone
    with pytest.raises(ObjectNotFound):
        object_store.stat(KEY)
    assert list(object_store.list_keys("orgs/")) == []


def test_a_body_shorter_than_its_length_is_refused_and_not_stored(object_store):
    # Given a body that ends after 3 of 10 declared bytes
    # When it is stored, Then the upload is refused and nothing is left behind
    with pytest.raises(InvalidUpload) as error:
        object_store.put(KEY, b"abc", 10, "text/plain")
    assert error.value.code == "incomplete_body"
    with pytest.raises(ObjectNotFound):
        object_store.stat(KEY)


class LimitExceeded(Exception):
    pass


def test_an_error_raised_by_the_stream_reaches_the_caller_unchanged(object_store):
    # Given a stream that fails after more than one part has been sent
    def body():
        for _ in range(7):
            yield b"x" * (1024 * 1024)
        raise LimitExceeded("too big")

    # When it is stored, Then the stream's own exception comes back and no object exists
    with pytest.raises(LimitExceeded):
        object_store.put(KEY, body(), None, "audio/wav")
    with pytest.raises(ObjectNotFound):
        object_store.stat(KEY)


def test_empty_object(object_store):
    # Given an empty body of unknown length, When stored, Then it exists with size 0
    info = object_store.put(KEY, iter([]), None, "text/plain")
    assert info.size == 0
    assert read_all(object_store, KEY) == b""


def test_list_keys_by_prefix(object_store):
    # Given objects under two organisations
    object_store.put("orgs/org_a/media/m1/a.wav", b"1", 1, "audio/wav")
    object_store.put("orgs/org_a/media/m2/b.wav", b"2", 1, "audio/wav")
    object_store.put("orgs/org_b/media/m3/c.wav", b"3", 1, "audio/wav")

    # When one organisation's prefix is listed, Then only its keys come back
    assert sorted(object_store.list_keys("orgs/org_a/")) == [
        "orgs/org_a/media/m1/a.wav",
        "orgs/org_a/media/m2/b.wav",
    ]


def test_presigned_put_and_get_with_an_http_client(object_store):
    # Given a presigned PUT URL
    data = os.urandom(200_000)
    put_url = object_store.presign_put(KEY, 300, "audio/mpeg")

    # When a plain HTTP client uploads to it
    uploaded = requests.put(put_url, data=data, headers={"Content-Type": "audio/mpeg"}, timeout=30)

    # Then the object is stored byte for byte
    assert uploaded.status_code == 200, uploaded.text
    assert object_store.stat(KEY).size == len(data)

    # And a presigned GET URL serves it, named for download
    get_url = object_store.presign_get(KEY, 300, download_name="lesson 1.mp3")
    downloaded = requests.get(get_url, timeout=30)
    assert downloaded.status_code == 200
    assert sha256(downloaded.content) == sha256(data)
    assert 'filename="lesson_1.mp3"' in downloaded.headers["Content-Disposition"]

    # And the GET URL honours Range
    partial = requests.get(get_url, headers={"Range": "bytes=100-199"}, timeout=30)
    assert partial.status_code == 206
    assert partial.content == data[100:200]


def test_multipart_upload_through_presigned_part_urls(object_store):
    # Given 12 MiB to send in three parts, the first two of the minimum part size
    data = os.urandom(12 * 1024 * 1024)
    cut = MIN_PART_SIZE
    pieces = [data[:cut], data[cut : 2 * cut], data[2 * cut :]]
    upload_id = object_store.create_multipart(KEY, "video/webm")

    # When each part is PUT to its presigned URL by an HTTP client
    etags = []
    for number, piece in enumerate(pieces, start=1):
        url = object_store.presign_part(KEY, upload_id, number, 300)
        answer = requests.put(url, data=piece, timeout=60)
        assert answer.status_code == 200, answer.text
        etags.append(answer.headers["ETag"])

    # Then the store lists the parts it received
    listed = object_store.list_parts(KEY, upload_id)
    assert [(p.number, p.size) for p in listed] == [(1, cut), (2, cut), (3, len(pieces[2]))]
    assert [p.etag for p in listed] == [etag.strip('"') for etag in etags]

    # And completing with the client's ETags joins them into the object
    info = object_store.complete_multipart(
        KEY, upload_id, [Part(number, etag) for number, etag in enumerate(etags, start=1)]
    )
    assert info.size == len(data)
    assert info.content_type == "video/webm"
    assert sha256(read_all(object_store, KEY)) == sha256(data)


def test_multipart_refuses_a_small_part_that_is_not_the_last(object_store):
    # Given an upload of two tiny parts
    upload_id = object_store.create_multipart(KEY, "audio/wav")
    object_store.upload_part(KEY, upload_id, 1, b"a" * 10)
    object_store.upload_part(KEY, upload_id, 2, b"b" * 10)

    # When it is completed, Then the store refuses, as S3 does
    with pytest.raises(InvalidUpload) as error:
        object_store.complete_multipart(KEY, upload_id, object_store.list_parts(KEY, upload_id))
    assert error.value.code == "part_too_small"


def test_multipart_refuses_a_part_that_was_never_uploaded(object_store):
    # Given an upload with one part
    upload_id = object_store.create_multipart(KEY, "audio/wav")
    sent = object_store.upload_part(KEY, upload_id, 1, b"a" * 10)

    # When completion names a second part that does not exist, Then it is refused
    with pytest.raises(InvalidUpload):
        object_store.complete_multipart(
            KEY, upload_id, [sent, Part(2, "0123456789abcdef0123456789abcdef")]
        )


def test_a_single_part_upload_completes(object_store):
    # Given an upload of one small part (the last part may be small)
    upload_id = object_store.create_multipart(KEY, "text/csv")
    part = object_store.upload_part(KEY, upload_id, 1, b"filename,word\n")

    # When completed, Then the object holds that part
    object_store.complete_multipart(KEY, upload_id, [part])
    assert read_all(object_store, KEY) == b"filename,word\n"


def test_abort_drops_the_upload(object_store):
    # Given an upload with a part
    upload_id = object_store.create_multipart(KEY, "audio/wav")
    object_store.upload_part(KEY, upload_id, 1, b"a" * 10)

    # When it is aborted
    object_store.abort_multipart(KEY, upload_id)

    # Then it cannot be listed or completed, and no object appeared
    with pytest.raises(ObjectNotFound) as error:
        object_store.list_parts(KEY, upload_id)
    assert error.value.code == "upload_not_found"
    with pytest.raises(ObjectNotFound):
        object_store.stat(KEY)


def test_ensure_bucket_is_idempotent_and_ping_answers(object_store):
    # Given a store whose bucket exists, When ensure_bucket runs again, Then ping still passes
    object_store.ensure_bucket()
    object_store.ping()


def test_presigned_get_answers_with_the_type_it_is_given(object_store):
    # Given an object stored with the type an uploader claimed
    object_store.put(KEY, b"<html><script>x</script></html>", 31, "text/html")

    # When a GET URL is presigned with the type decided by the platform
    url = object_store.presign_get(KEY, 60, content_type="text/plain")

    # Then that type, not the stored one, is what a browser is told
    answer = requests.get(url, timeout=30)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain")


def test_copy_inside_the_store(object_store):
    # Given a stored object
    object_store.put(KEY, b"checked bytes", None, "audio/wav")
    # When it is copied to another key, Then the copy has its bytes and type
    copied = object_store.copy(KEY, KEY + ".copy")
    assert (copied.size, copied.content_type) == (13, "audio/wav")
    with object_store.get(KEY + ".copy") as stream:
        assert stream.read() == b"checked bytes"
    # And copying a missing object is ObjectNotFound
    with pytest.raises(ObjectNotFound):
        object_store.copy(KEY + ".missing", KEY + ".other")
