"""Keys, safe names, signed tokens, Range parsing, configuration and local-disk safety."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
import requests

from storage.objectstore import (
    InvalidKey,
    InvalidRange,
    InvalidToken,
    LocalObjectStore,
    ObjectNotFound,
    ObjectStoreConfig,
    ObjectStoreUnavailable,
    S3ObjectStore,
    build_object_store,
    content_disposition,
    media_key,
    parse_range,
    safe_filename,
    sign_token,
    validate_key,
    verify_token,
)

SIGNING_SECRET = "another-secret"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("hello.wav", "hello.wav"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\Desktop\\word 1.mp3", "word_1.mp3"),
        ("/abs/path/x.png", "x.png"),
        (".htaccess", "htaccess"),
        ("こんにちは.mp3", "こんにちは.mp3"),
        ("cafe\u0301.wav", "café.wav"),  # combining accent normalised to one character
        ('quo"te;<x>.wav', "quo_te_x.wav"),
        ("tab\there\n.wav", "tabhere.wav"),
        ("", "file"),
        ("...", "file"),
        ("/", "file"),
    ],
)
def test_safe_filename(given, expected):
    # Given a client's file name, When made safe, Then paths and odd characters are gone
    assert safe_filename(given) == expected


def test_safe_filename_caps_length_and_keeps_the_extension():
    # Given a very long name in a multi-byte script
    name = "語" * 200 + ".flac"

    # When made safe, Then it fits in 120 UTF-8 bytes and keeps ".flac"
    safe = safe_filename(name)
    assert len(safe.encode()) <= 120
    assert safe.endswith(".flac")


def test_media_key_layout():
    # Given an organisation, a media id and a hostile file name
    # When the key is built, Then it is namespaced and the name cannot climb out
    assert media_key("org_1", "med_2", "../../x/../y.wav") == "orgs/org_1/media/med_2/y.wav"
    with pytest.raises(InvalidKey):
        media_key("../org", "med_2", "a.wav")
    with pytest.raises(InvalidKey):
        media_key("org_1", "med/2", "a.wav")


@pytest.mark.parametrize(
    "key", ["", "/abs", "a/../b", "a//b", "./a", "a\\b", "C:/x", "a/\x00", "a/\x1fb", "x" * 1025]
)
def test_validate_key_refuses_unsafe_keys(key):
    # Given a key that could escape the root or confuse a URL, When validated, Then refused
    with pytest.raises(InvalidKey):
        validate_key(key)


def test_local_store_refuses_traversal_and_symlinks_out_of_the_root(tmp_path: Path):
    # Given a local store and a symlink planted inside it that points outside
    store = LocalObjectStore(tmp_path / "media", "http://x", SIGNING_SECRET)
    store.ensure_bucket()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    os.symlink(outside, tmp_path / "media" / "objects" / "orgs")

    # When keys try to reach outside the root, Then they are refused
    with pytest.raises(InvalidKey):
        store.put("../outside/evil.txt", b"x", 1, "text/plain")
    with pytest.raises(ObjectNotFound):
        store.stat("orgs/secret.txt")
    with pytest.raises(ObjectNotFound):
        store.put("orgs/new.txt", b"x", 1, "text/plain")
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]


def test_local_writes_leave_no_temporary_files(tmp_path: Path):
    # Given a local store
    store = LocalObjectStore(tmp_path / "media", "http://x", SIGNING_SECRET)
    store.ensure_bucket()

    # When one write succeeds and one fails half way
    store.put("orgs/o/media/m/a.bin", b"a" * 1000, 1000, "application/octet-stream")

    def failing():
        yield b"b" * 1000
        raise RuntimeError("client went away")

    with pytest.raises(RuntimeError):
        store.put("orgs/o/media/m/b.bin", failing(), None, "application/octet-stream")

    # Then only the finished object exists and tmp/ is empty
    assert list(store.list_keys()) == ["orgs/o/media/m/a.bin"]
    assert list((tmp_path / "media" / "tmp").iterdir()) == []


def test_tokens_sign_and_verify():
    # Given a token for one operation on one key
    token = sign_token("s3cret", "get", "orgs/o/media/m/a.wav", 60, now=1000, dn="a.wav")

    # When verified in time, Then its payload comes back
    payload = verify_token("s3cret", token, "get", now=1030)
    assert payload["key"] == "orgs/o/media/m/a.wav"
    assert payload["dn"] == "a.wav"

    # And it fails when expired, used for another operation, signed by another secret,
    # or altered
    with pytest.raises(InvalidToken) as expired:
        verify_token("s3cret", token, "get", now=1060)
    assert expired.value.code == "signature_expired"
    with pytest.raises(InvalidToken):
        verify_token("s3cret", token, "put", now=1030)
    with pytest.raises(InvalidToken):
        verify_token("other", token, now=1030)
    body, _, signature = token.partition(".")
    with pytest.raises(InvalidToken):
        verify_token("s3cret", f"{body[:-2]}AA.{signature}", now=1030)
    with pytest.raises(InvalidToken):
        verify_token("s3cret", "garbage", now=1030)


@pytest.mark.parametrize(
    "token", ["0.\u0080", "\u00e9t\u00e9.\u00e9t\u00e9", "a.b\udcff", "\x00.\x00"]
)
def test_tokens_with_characters_outside_ascii_are_refused_not_crashed(token):
    # Given a token holding characters a signature never has, When verified,
    # Then it is refused like any other forged token
    with pytest.raises(InvalidToken):
        verify_token("s3cret", token, now=1030)


def test_local_signed_urls_refuse_tampering_over_http(local_store):
    # Given an object and a presigned GET URL for it
    local_store.put("orgs/o/media/m/a.wav", b"RIFF", 4, "audio/wav")
    url = local_store.presign_get("orgs/o/media/m/a.wav", 60)

    # When the URL is used to PUT, or its token is altered, Then the server answers 403
    assert requests.put(url, data=b"x", timeout=10).status_code == 403
    assert requests.get(url[:-3] + "AAA", timeout=10).status_code == 403
    # And unaltered it serves the object
    assert requests.get(url, timeout=10).content == b"RIFF"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-9", (0, 9)),
        ("bytes=10-", (10, 99)),
        ("bytes=-10", (90, 99)),
        ("bytes=-500", (0, 99)),
        ("bytes=50-5000", (50, 99)),
        ("bytes=0-1,5-6", None),  # several ranges: the whole body is the answer
        ("items=0-1", None),
    ],
)
def test_parse_range(header, expected):
    # Given a Range header and a 100-byte object, When parsed, Then the inclusive range
    assert parse_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=5-2", "bytes=-0"])
def test_parse_range_unsatisfiable(header):
    # Given a range outside a 100-byte object, When parsed, Then 416
    with pytest.raises(InvalidRange):
        parse_range(header, 100)


def test_content_disposition_carries_ascii_and_utf8_names():
    # Given a non-ASCII name, When a Content-Disposition is built, Then both forms are there
    value = content_disposition("日本語 1.mp3")
    assert value.startswith('attachment; filename="')
    assert "filename*=UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E_1.mp3" in value


def test_build_object_store_picks_and_checks_the_backend(tmp_path: Path):
    # Given configurations, When built, Then the right backend or a clear error
    local = build_object_store(
        ObjectStoreConfig(backend="local", local_root=tmp_path, signing_secret="x")
    )
    assert isinstance(local, LocalObjectStore)
    s3 = build_object_store(
        ObjectStoreConfig(
            backend="s3", endpoint="https://minio:9000", access_key="a", secret_key="b"
        )
    )
    assert isinstance(s3, S3ObjectStore)
    with pytest.raises(ValueError, match="signing secret"):
        build_object_store(ObjectStoreConfig(backend="local", local_root=tmp_path))
    with pytest.raises(ValueError, match="access_key"):
        build_object_store(ObjectStoreConfig(backend="s3", endpoint="minio:9000"))
    with pytest.raises(ValueError, match="unknown"):
        build_object_store(ObjectStoreConfig(backend="gcs"))
    with pytest.raises(ValueError, match="part size"):
        build_object_store(ObjectStoreConfig(backend="local", local_root=tmp_path, part_size=1024))


def test_an_unreachable_s3_endpoint_is_reported_unavailable():
    # Given an S3 store pointing at a loopback port nobody listens on
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    store = S3ObjectStore(f"127.0.0.1:{port}", "a", "b", "media", secure=False)

    # When it is used, Then the project's own exception says so (503)
    with pytest.raises(ObjectStoreUnavailable) as error:
        store.ping()
    assert error.value.status == 503
    with pytest.raises(ObjectStoreUnavailable):
        store.stat("orgs/o/media/m/a.wav")


def test_a_local_store_without_its_folder_is_unavailable(tmp_path: Path):
    # Given a local store whose folder was never created, When pinged, Then unavailable
    store = LocalObjectStore(tmp_path / "missing", "http://x", SIGNING_SECRET)
    with pytest.raises(ObjectStoreUnavailable):
        store.ping()
