"""Fixtures for the object-store contract suite: one store per backend, real endpoints.

`object_store` runs each test twice: against the local backend (its signed URLs served by a
small WSGI server through the same `handle_local_request` the API route uses) and against a
moto S3 server. Media samples are real files encoded by PyAV, not hand-made headers.
"""

from __future__ import annotations

import io
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
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


# -- real media samples ---------------------------------------------------------------------


def _encode_audio(fmt: str, codec: str, rate: int, options: dict[str, str] | None = None) -> bytes:
    # Some muxers (mp4 faststart) rewrite the file when closing, so write to a real file.
    handle, path = tempfile.mkstemp()
    os.close(handle)
    try:
        with av.open(path, "w", format=fmt, options=options or {}) as out:
            stream = out.add_stream(codec, rate=rate)
            stream.layout = "mono"
            formats = stream.codec_context.codec.audio_formats
            seconds = np.arange(rate) / rate
            tone = (0.3 * np.sin(2 * np.pi * 440 * seconds)).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(tone.reshape(1, -1), format="flt", layout="mono")
            frame.sample_rate = rate
            resampler = av.AudioResampler(
                format=formats[0].name if formats else "s16", layout="mono", rate=rate
            )
            for piece in resampler.resample(frame):
                out.mux(stream.encode(piece))
            out.mux(stream.encode(None))
        return Path(path).read_bytes()
    finally:
        os.unlink(path)


def _encode_video(fmt: str, codec: str) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for shade in range(5):
            picture = np.full((48, 64, 3), shade * 40, dtype=np.uint8)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
        out.mux(stream.encode(None))
    return buffer.getvalue()


def _encode_still(codec: str, pix_fmt: str, fmt: str | None = None) -> bytes:
    picture = np.zeros((16, 16, 3), dtype=np.uint8)
    picture[:, :8] = 255
    frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
    if fmt is not None:
        buffer = io.BytesIO()
        with av.open(buffer, "w", format=fmt) as out:
            stream = out.add_stream(codec, rate=1)
            stream.width, stream.height, stream.pix_fmt = 16, 16, pix_fmt
            out.mux(stream.encode(frame))
            out.mux(stream.encode(None))
        return buffer.getvalue()
    context = av.CodecContext.create(codec, "w")
    context.width, context.height, context.pix_fmt = 16, 16, pix_fmt
    context.time_base = Fraction(1, 1)
    return b"".join(bytes(packet) for packet in context.encode(frame) + context.encode(None))


MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 10 10]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture(scope="session")
def media_samples() -> dict[str, bytes]:
    """Real files of every format the platform accepts, encoded by FFmpeg through PyAV."""
    return {
        "wav": _encode_audio("wav", "pcm_s16le", 16000),
        "mp3": _encode_audio("mp3", "libmp3lame", 44100),
        "mp3_bare": _encode_audio(
            "mp3", "libmp3lame", 44100, {"id3v2_version": "0", "write_xing": "0"}
        ),
        "opus": _encode_audio("ogg", "libopus", 48000),
        "flac": _encode_audio("flac", "flac", 16000),
        "m4a": _encode_audio("ipod", "aac", 44100),
        "mp4_audio": _encode_audio("mp4", "aac", 44100, {"movflags": "faststart"}),
        "aac": _encode_audio("adts", "aac", 44100),
        "webm_audio": _encode_audio("webm", "libopus", 48000),
        "webm": _encode_video("webm", "libvpx"),
        "mkv": _encode_video("matroska", "mpeg4"),
        "mp4": _encode_video("mp4", "mpeg4"),
        "png": _encode_still("png", "rgb24"),
        "jpeg": _encode_still("mjpeg", "yuvj420p"),
        "gif": _encode_still("gif", "rgb8", fmt="gif"),
        "webp": _encode_still("libwebp", "yuv420p", fmt="webp"),
        "pdf": MINIMAL_PDF,
    }


@pytest.fixture
def chunks_of() -> Callable[[bytes, int], Iterator[bytes]]:
    def make(data: bytes, size: int = 100_000) -> Iterator[bytes]:
        for start in range(0, len(data), size):
            yield data[start : start + size]

    return make
