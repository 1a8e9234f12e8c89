"""Presigned URLs signed for the public S3 endpoint (S3_PUBLIC_ENDPOINT).

The platform reaches the session's moto server at http://127.0.0.1:<port> (as it reaches
http://minio:9000 inside compose); clients are given http://localhost:<port> (as they are given
https://media.example.org). Both reach the same server, so a URL signed for the public host
must work there, for a presigned PUT, a presigned GET and the parts of a multipart upload.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

import pytest
import requests

from core.envparse import ConfigError
from core.settings import Settings
from storage.objectstore import MIN_PART_SIZE, ObjectStoreConfig, Part, build_object_store
from tests.factories import Accounts
from tests.mediasamples import wav_of_seconds
from tests.s3server import S3Server

MEDIA = "/api/v1/media"


def public_url(s3: S3Server) -> str:
    return s3.url.replace("127.0.0.1", "localhost")


def host(url: str) -> str:
    return urlsplit(url).netloc


def store_for(s3: S3Server, public_endpoint: str = ""):
    store = build_object_store(
        ObjectStoreConfig(
            backend="s3",
            endpoint=s3.url,
            access_key=s3.access_key,
            secret_key=s3.secret_key,
            region=s3.region,
            bucket=s3.new_bucket_name("public"),
            part_size=MIN_PART_SIZE,
            public_endpoint=public_endpoint,
        )
    )
    store.ensure_bucket()
    return store


def test_presigned_put_and_get_are_signed_for_the_public_endpoint(s3_server):
    # Given a store that talks to 127.0.0.1 and hands clients localhost
    store = store_for(s3_server, public_url(s3_server))

    # When a client PUTs to the presigned URL and GETs the presigned download
    upload = store.presign_put("org/a/hello.txt", 300)
    put = requests.put(upload, data=b"hello from outside", timeout=30)
    download = store.presign_get("org/a/hello.txt", 300, download_name="hello.txt")
    got = requests.get(download, timeout=30)

    # Then both URLs name the public host, and the bytes went through them
    assert host(upload) == host(download) == host(public_url(s3_server))
    assert put.status_code == 200, put.text
    assert store.stat("org/a/hello.txt").size == len(b"hello from outside")
    assert got.status_code == 200 and got.content == b"hello from outside"
    assert 'filename="hello.txt"' in got.headers["Content-Disposition"]


def test_multipart_parts_are_signed_for_the_public_endpoint(s3_server):
    # Given a multipart upload started by the platform on the internal endpoint
    store = store_for(s3_server, public_url(s3_server))
    data = bytes(range(256)) * (MIN_PART_SIZE // 256) + b"the last part"
    upload_id = store.create_multipart("org/a/long.bin", "application/octet-stream")

    # When the client sends each part to its presigned URL
    parts = []
    for number, piece in ((1, data[:MIN_PART_SIZE]), (2, data[MIN_PART_SIZE:])):
        url = store.presign_part("org/a/long.bin", upload_id, number, 300)
        assert host(url) == host(public_url(s3_server))
        answer = requests.put(url, data=piece, timeout=60)
        assert answer.status_code == 200, answer.text
        parts.append(Part(number=number, etag=answer.headers["ETag"].strip('"'), size=len(piece)))
    info = store.complete_multipart("org/a/long.bin", upload_id, parts)

    # Then the platform completes it and reads back exactly those bytes
    assert info.size == len(data)
    with store.get("org/a/long.bin") as stream:
        assert hashlib.sha256(stream.read()).digest() == hashlib.sha256(data).digest()


def test_without_a_public_endpoint_urls_name_the_internal_one(s3_server):
    # Given no public endpoint, When a URL is presigned, Then it names S3_ENDPOINT's host
    store = store_for(s3_server)
    assert host(store.presign_put("org/a/x.txt", 60)) == host(s3_server.url)


def public_app(app_with, s3_server):
    """The API as compose configures it: the internal S3 endpoint and a public one."""
    return app_with(
        storage_backend="s3",
        s3_endpoint=s3_server.url,
        s3_public_endpoint=public_url(s3_server),
        s3_access_key=s3_server.access_key,
        s3_secret_key=s3_server.secret_key,
        s3_region=s3_server.region,
        s3_bucket=s3_server.new_bucket_name("media"),
        s3_secure=False,
    )


def test_the_api_hands_out_public_urls_for_uploads_and_downloads(app_with, s3_server):
    # Given the API configured as compose configures it: internal endpoint, public endpoint
    app = public_app(app_with, s3_server)
    client = app.test_client()
    teacher = Accounts(client).admin()
    wav = wav_of_seconds(2)

    # When a client uploads through a presigned PUT and completes the upload
    started = client.post(
        f"{MEDIA}/uploads",
        headers=teacher.headers,
        json={
            "filename": "hello.wav",
            "kind": "audio",
            "content_type": "audio/wav",
            "size": len(wav),
        },
    ).get_json()
    put = requests.put(
        started["upload"]["url"], data=wav, headers=started["upload"]["headers"], timeout=30
    )
    done = client.post(f"{MEDIA}/{started['media']['id']}/complete", headers=teacher.headers)
    # And downloads it through the content redirect
    content = client.get(f"{MEDIA}/{started['media']['id']}/content", headers=teacher.headers)
    got = requests.get(content.headers["Location"], timeout=30)

    # Then every URL it was given names the public endpoint, and the bytes round-trip
    assert host(started["upload"]["url"]) == host(public_url(s3_server))
    assert put.status_code == 200, put.text
    assert done.status_code == 200, done.get_json()
    assert content.status_code == 302
    assert host(content.headers["Location"]) == host(public_url(s3_server))
    assert got.status_code == 200 and got.content == wav


def test_the_api_signs_multipart_parts_for_the_public_endpoint(app_with, s3_server):
    # Given the API with a public endpoint and a multipart upload (Uppy)
    app = public_app(app_with, s3_server)
    client = app.test_client()
    teacher = Accounts(client).admin()
    data = wav_of_seconds(200)
    created = client.post(
        f"{MEDIA}/multipart",
        headers=teacher.headers,
        json={
            "filename": "long.wav",
            "kind": "audio",
            "content_type": "audio/wav",
            "size": len(data),
        },
    ).get_json()
    media_id = created["media"]["id"]

    # When each part goes to the URL signPart returns
    etags = []
    for number, piece in ((1, data[:MIN_PART_SIZE]), (2, data[MIN_PART_SIZE:])):
        url = client.get(
            f"{MEDIA}/{media_id}/multipart/{number}", headers=teacher.headers
        ).get_json()["url"]
        assert host(url) == host(public_url(s3_server))
        answer = requests.put(url, data=piece, timeout=60)
        assert answer.status_code == 200, answer.text
        etags.append(answer.headers["ETag"])
    done = client.post(
        f"{MEDIA}/{media_id}/multipart/complete",
        headers=teacher.headers,
        json={"parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, start=1)]},
    )

    # Then the upload completes byte exact
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["media"]["sha256"] == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    "value",
    [
        "media.example.org",
        "https://media.example.org/media",
        "ftp://media.example.org",
        "https://media.example.org?x=1",
    ],
)
def test_a_public_endpoint_that_is_not_scheme_and_host_stops_start_up(tmp_path, value):
    # Given S3_PUBLIC_ENDPOINT with no scheme, a path, another scheme or a query
    env = {"DATA_DIR": str(tmp_path), "S3_PUBLIC_ENDPOINT": value}
    # When settings are read, Then start-up stops naming the variable
    with pytest.raises(ConfigError, match="S3_PUBLIC_ENDPOINT"):
        Settings.from_env(env)


def test_a_public_endpoint_is_read(tmp_path):
    env = {"DATA_DIR": str(tmp_path), "S3_PUBLIC_ENDPOINT": "https://media.example.org/"}
    assert Settings.from_env(env).s3_public_endpoint == "https://media.example.org"
