"""Fixtures for the media API: the same tests run on local disk and on an S3 server.

`media_env` is an app on the shared test database whose object store is either the local
folder or a fresh bucket on the session's moto server; its `http_put`/`http_get` follow a
presigned URL with a real HTTP client when it points at S3, or through the app when it
points at the API's own local signed-URL route.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from storage.objectstore import ObjectStore
from tests.factories import Account, Accounts
from tests.mediasamples import all_samples

IMPORT_MAX_ENTRY_BYTES = 2 * 1024 * 1024


@dataclass
class HttpAnswer:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class MediaEnv:
    backend: str
    app: Flask
    client: FlaskClient
    accounts: Accounts
    start_worker: Callable[[], object]

    @property
    def store(self) -> ObjectStore:
        return self.app.extensions["runtime"].object_store

    def _local_path(self, url: str) -> str | None:
        base = self.app.extensions["settings"].public_base_url
        if url.startswith(base):
            parts = urlsplit(url)
            return parts.path + (f"?{parts.query}" if parts.query else "")
        return None

    def http_put(self, url: str, data: bytes, headers: dict | None = None) -> HttpAnswer:
        path = self._local_path(url)
        if path is not None:
            answer = self.client.put(path, data=data, headers=headers or {})
            return HttpAnswer(answer.status_code, dict(answer.headers), answer.data)
        reply = requests.put(url, data=data, headers=headers or {}, timeout=60)
        return HttpAnswer(reply.status_code, dict(reply.headers), reply.content)

    def http_get(self, url: str, headers: dict | None = None) -> HttpAnswer:
        path = self._local_path(url)
        if path is not None:
            answer = self.client.get(path, headers=headers or {})
            return HttpAnswer(answer.status_code, dict(answer.headers), answer.data)
        reply = requests.get(url, headers=headers or {}, timeout=60)
        return HttpAnswer(reply.status_code, dict(reply.headers), reply.content)

    def upload(self, account: Account, data: bytes, filename: str, kind: str | None = None):
        """POST /media with a multipart form, `kind` before `file` as the API asks."""
        form: dict = {}
        if kind is not None:
            form["kind"] = kind
        form["file"] = (io.BytesIO(data), filename)
        return self.client.post(
            "/api/v1/media", data=form, headers=account.headers, content_type="multipart/form-data"
        )

    def keys(self, prefix: str = "") -> list[str]:
        return sorted(self.store.list_keys(prefix))


@pytest.fixture(params=["local", "s3"])
def media_env(request, app, app_with, start_worker) -> MediaEnv:
    """An app per backend; import limits are small so tests can exceed them cheaply."""
    overrides: dict = {"import_max_entry_bytes": IMPORT_MAX_ENTRY_BYTES}
    if request.param == "s3":
        s3 = request.getfixturevalue("s3_server")
        overrides.update(
            storage_backend="s3",
            s3_endpoint=s3.url,
            s3_access_key=s3.access_key,
            s3_secret_key=s3.secret_key,
            s3_region=s3.region,
            s3_bucket=s3.new_bucket_name("media"),
            s3_secure=False,
        )
    other = app_with(**overrides)
    client = other.test_client()
    return MediaEnv(request.param, other, client, Accounts(client), lambda: start_worker(other))


@pytest.fixture(scope="session")
def media_samples() -> dict[str, bytes]:
    return all_samples()
