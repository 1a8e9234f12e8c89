"""Fixtures for the object-store contract suite: one store per backend, real endpoints.

`object_store` runs each test twice: against the local backend (its signed URLs served by a
small WSGI server through the same `handle_local_request` the API route uses) and against a
moto S3 server. Media samples are real files encoded by PyAV, not hand-made headers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from storage.objectstore import (
    LOCAL_ROUTE,
    MIN_PART_SIZE,
    ObjectStore,
    ObjectStoreConfig,
    ObjectStoreError,
    build_object_store,
    handle_local_request,
)
from tests.mediasamples import all_samples
from tests.s3server import S3Server

SIGNING_SECRET = "test-signing-secret"


class SignedUrlApp:
    """WSGI stand-in for the API's `/api/v1/media/local/<token>` route."""

    def __init__(self) -> None:
        self.store: ObjectStore | None = None

    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        request = Request(environ)
        try:
            if not request.path.startswith(LOCAL_ROUTE) or self.store is None:
                raise ObjectStoreError("no such route", code="not_found", status=404)
            answer = handle_local_request(
                self.store,
                SIGNING_SECRET,
                request.method,
                request.path[len(LOCAL_ROUTE) :],
                body=request.stream,
                content_length=request.content_length,
                content_type=request.content_type,
                range_header=request.headers.get("Range"),
            )
            response = Response(answer.body, status=answer.status, headers=answer.headers)
        except ObjectStoreError as exc:
            response = Response(exc.code, status=exc.status, headers=exc.headers)
        return response(environ, start_response)


@pytest.fixture(scope="session")
def signed_url_server() -> Iterator[tuple[str, SignedUrlApp]]:
    app = SignedUrlApp()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        thread.join()


@pytest.fixture
def local_store(tmp_path: Path, signed_url_server: tuple[str, SignedUrlApp]) -> ObjectStore:
    base_url, app = signed_url_server
    store = build_object_store(
        ObjectStoreConfig(
            backend="local",
            local_root=tmp_path / "media",
            public_base_url=base_url,
            signing_secret=SIGNING_SECRET,
            part_size=MIN_PART_SIZE,
        )
    )
    store.ensure_bucket()
    app.store = store
    return store


@pytest.fixture
def s3_store(s3_server: S3Server) -> ObjectStore:
    store = build_object_store(
        ObjectStoreConfig(
            backend="s3",
            endpoint=s3_server.url,
            access_key=s3_server.access_key,
            secret_key=s3_server.secret_key,
            region=s3_server.region,
            bucket=s3_server.new_bucket_name(),
            part_size=MIN_PART_SIZE,
        )
    )
    store.ensure_bucket()
    return store


@pytest.fixture(params=["local", "s3"])
def object_store(request: pytest.FixtureRequest) -> ObjectStore:
    """The same store contract, once per backend."""
    return request.getfixturevalue(f"{request.param}_store")


@pytest.fixture(scope="session")
def media_samples() -> dict[str, bytes]:
    """Real files of every format the platform accepts, encoded by FFmpeg through PyAV."""
    return all_samples()


@pytest.fixture
def chunks_of() -> Callable[[bytes, int], Iterator[bytes]]:
    def make(data: bytes, size: int = 100_000) -> Iterator[bytes]:
        for start in range(0, len(data), size):
            yield data[start : start + size]

    return make
