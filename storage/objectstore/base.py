"""The object-store interface, its value types and its exceptions.

Two backends implement it (S3 through the `minio` client, and local disk). Callers see only
these types: a backend's own errors are translated into `ObjectStoreError` and subclasses.
"""

from __future__ import annotations

import abc
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from storage.errors import AppError

# S3 refuses parts smaller than this, except the last one; the local backend enforces the same
# rule so that a client that works against one backend works against the other.
MIN_PART_SIZE = 5 * 1024 * 1024
MAX_PART_NUMBER = 10_000
CHUNK_SIZE = 64 * 1024


class ObjectStoreError(AppError):
    """A failure of the object store that is not the caller's fault."""

    status = 502
    code = "object_store_error"
    title = "Object store error"
    retryable = True  # a job that meets one tries again later


class ObjectNotFound(ObjectStoreError):
    status = 404
    code = "object_not_found"
    title = "Not found"
    retryable = False


class ObjectStoreUnavailable(ObjectStoreError):
    status = 503
    code = "object_store_unavailable"
    title = "Service unavailable"


class InvalidRange(ObjectStoreError):
    status = 416
    code = "range_not_satisfiable"
    title = "Range not satisfiable"


class InvalidUpload(ObjectStoreError):
    """A multipart upload the store cannot complete as asked (a part missing or too small)."""

    status = 409
    code = "invalid_upload"
    title = "Conflict"


class InvalidToken(ObjectStoreError):
    """A local presigned URL whose signature is wrong, or whose time is up."""

    status = 403
    code = "signature_invalid"
    title = "Forbidden"


class UploadClosed(ObjectStoreError):
    """A signed upload URL that may no longer write: its object was already written, or its
    media is no longer a pending upload (completed, rejected, deleted)."""

    status = 409
    code = "upload_closed"
    title = "Conflict"


class InvalidKey(ObjectStoreError):
    status = 400
    code = "invalid_key"
    title = "Bad request"


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str
    content_type: str
    last_modified: datetime | None


@dataclass(frozen=True)
class Part:
    number: int
    etag: str
    size: int | None = None


@dataclass(frozen=True)
class ObjectStoreConfig:
    """Plain settings for `build_object_store`; the API builds it from its own config."""

    backend: str = "local"  # "local" | "s3"
    endpoint: str = ""  # "host:port", or a URL whose scheme sets `secure`
    access_key: str = ""
    secret_key: str = ""
    region: str = "us-east-1"
    bucket: str = "media"
    secure: bool = True
    # Where clients reach the S3 endpoint when it is not where the platform does (MinIO inside
    # a compose network, published as https://media.example.org). Presigned URLs are signed
    # for this host. Empty: `endpoint`.
    public_endpoint: str = ""
    local_root: Path | None = None
    # The local backend's presigned URLs point at the API itself and carry an HMAC token.
    public_base_url: str = "http://localhost:8000"
    signing_secret: str = ""
    part_size: int = 8 * 1024 * 1024
    timeout_seconds: float = 30.0


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class IterReader(io.RawIOBase):
    """A file-like view over an iterable of byte chunks, so generators can be uploaded."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._buffer:
            try:
                self._buffer = bytes(next(self._chunks))
            except StopIteration:
                return 0
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


def as_reader(stream: Readable | Iterable[bytes] | bytes) -> Readable:
    if isinstance(stream, bytes | bytearray):
        return io.BytesIO(stream)
    if hasattr(stream, "read"):
        return stream  # type: ignore[return-value]
    return io.BufferedReader(IterReader(stream), buffer_size=CHUNK_SIZE)  # type: ignore[arg-type]


def read_exactly(reader: Readable, size: int) -> bytes:
    """Read up to `size` bytes, looping over short reads; fewer only at end of stream."""
    pieces: list[bytes] = []
    remaining = size
    while remaining > 0:
        piece = reader.read(min(remaining, CHUNK_SIZE * 16))
        if not piece:
            break
        pieces.append(piece)
        remaining -= len(piece)
    return b"".join(pieces)


class ObjectStream:
    """The body of an object being read: iterate for chunks, or `read(n)` like a file.

    Close it (or use `with`) to release the connection or file handle.
    """

    def __init__(self, source: BinaryIO | Readable, length: int, closer: object = None) -> None:
        self._source = source
        self.length = length
        self._remaining = length
        self._closer = closer

    def read(self, size: int = -1) -> bytes:
        if self._remaining <= 0:
            return b""
        want = self._remaining if size is None or size < 0 else min(size, self._remaining)
        data = read_exactly(self._source, want)
        self._remaining -= len(data)
        return data

    def __iter__(self) -> Iterator[bytes]:
        try:
            while True:
                chunk = self.read(CHUNK_SIZE)
                if not chunk:
                    return
                yield chunk
        finally:
            self.close()

    def close(self) -> None:
        for target in (self._source, self._closer):
            for name in ("close", "release_conn"):
                method = getattr(target, name, None)
                if callable(method):
                    method()

    def __enter__(self) -> ObjectStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ObjectStore(abc.ABC):
    """Where media bytes live. Keys are plain strings; see `keys.media_key` for their shape."""

    bucket: str
    # True when clients should fetch objects from the store itself (a presigned GET);
    # False when the API serves the bytes (local disk).
    redirect_downloads: bool = True

    @abc.abstractmethod
    def ensure_bucket(self) -> None:
        """Create the bucket (or root folder) when it does not exist yet."""

    @abc.abstractmethod
    def ping(self) -> None:
        """Raise ObjectStoreUnavailable unless the store answers."""

    @abc.abstractmethod
    def put(
        self,
        key: str,
        stream: Readable | Iterable[bytes] | bytes,
        length: int | None,
        content_type: str,
    ) -> ObjectInfo:
        """Store a stream. With `length=None` the stream is read until it ends (multipart on S3).

        Exceptions raised by the stream itself (a size limit, a broken client) pass through
        unchanged and nothing is stored.
        """

    @abc.abstractmethod
    def copy(self, source: str, target: str) -> ObjectInfo:
        """Copy an object inside the store (server-side on S3); ObjectNotFound without it."""

    @abc.abstractmethod
    def get(self, key: str, start: int | None = None, end: int | None = None) -> ObjectStream:
        """Open an object for reading; `start`/`end` are inclusive byte offsets, like Range."""

    @abc.abstractmethod
    def stat(self, key: str) -> ObjectInfo:
        """Describe an object or raise ObjectNotFound."""

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Remove an object; removing a missing object is not an error."""

    @abc.abstractmethod
    def list_keys(self, prefix: str = "") -> Iterator[str]:
        """Every key that starts with `prefix`."""

    @abc.abstractmethod
    def presign_put(self, key: str, expires: int, content_type: str | None = None) -> str:
        """A URL that accepts one HTTP PUT of the object body for `expires` seconds."""

    @abc.abstractmethod
    def presign_get(
        self,
        key: str,
        expires: int,
        download_name: str | None = None,
        content_type: str | None = None,
    ) -> str:
        """A URL that serves the object by HTTP GET for `expires` seconds.

        `content_type` overrides the stored one in the answer, so a type sent by an uploader
        is never what a browser is told.
        """

    @abc.abstractmethod
    def create_multipart(self, key: str, content_type: str) -> str:
        """Start a multipart upload and return its upload id."""

    @abc.abstractmethod
    def presign_part(self, key: str, upload_id: str, part_number: int, expires: int) -> str:
        """A URL that accepts an HTTP PUT of one part; the response's ETag names the part."""

    @abc.abstractmethod
    def upload_part(
        self, key: str, upload_id: str, part_number: int, data: Readable | bytes
    ) -> Part:
        """Upload one part from the server side (at most one part is held in memory)."""

    @abc.abstractmethod
    def list_parts(self, key: str, upload_id: str) -> list[Part]:
        """The parts received so far, in order; ObjectNotFound for an unknown upload."""

    @abc.abstractmethod
    def complete_multipart(self, key: str, upload_id: str, parts: list[Part]) -> ObjectInfo:
        """Join the named parts, in part-number order, into the object."""

    @abc.abstractmethod
    def abort_multipart(self, key: str, upload_id: str) -> None:
        """Drop an upload and its parts."""


def check_expires(expires: int) -> int:
    # S3 caps presigned URLs at seven days; keeping the same cap locally keeps backends alike.
    if not 1 <= int(expires) <= 7 * 24 * 3600:
        raise ValueError("expires must be between 1 second and 7 days")
    return int(expires)


def check_part_number(part_number: int) -> int:
    if not 1 <= int(part_number) <= MAX_PART_NUMBER:
        raise InvalidUpload(f"part number must be 1..{MAX_PART_NUMBER}", code="invalid_part")
    return int(part_number)
