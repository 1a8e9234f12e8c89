"""Upload: a streamed multipart `POST /api/v1/media` through the platform under gunicorn
(one worker process) to an S3 endpoint (a moto server started here), against a direct
`minio` `put_object` of the same bytes to the same endpoint. Throughput of each, their ratio,
and the peak resident memory (VmHWM) of the gunicorn worker that streamed the uploads.

The file is a real zip archive with one stored (uncompressed) member of pseudo-random bytes,
generated as it is sent: neither the client nor the API ever holds it whole.
"""

from __future__ import annotations

import http.client
import json
import os
import struct
import tempfile
import time
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from minio import Minio

from bench.services import Server, memory_kib, platform_env, register_admin

MiB = 1024 * 1024
# The bench raises the archive ceiling (512 MiB by default) to 2 GiB with MEDIA_KIND_LIMITS.
SIZES = {"200 MiB": 200 * MiB, "500 MiB": 500 * MiB, "1 GiB": 1024 * MiB}
PART_SIZE = 8 * MiB  # the platform's S3 part size
_BLOCK = os.urandom(MiB)
_MEMBER = b"payload.bin"


class ZipStream:
    """A stored-member zip of `size` payload bytes, readable in chunks, with a known length."""

    def __init__(self, size: int) -> None:
        self.size = size
        crc = 0
        for chunk in self._payload():
            crc = zlib.crc32(chunk, crc)
        local = (
            struct.pack(
                "<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0x21, crc, size, size, len(_MEMBER), 0
            )
            + _MEMBER
        )
        central = (
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                20,
                20,
                0,
                0,
                0,
                0x21,
                crc,
                size,
                size,
                len(_MEMBER),
                0,
                0,
                0,
                0,
                0,
                0,
            )
            + _MEMBER
        )
        end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local) + size, 0)
        self.head, self.tail = local, central + end

    def _payload(self) -> Iterator[bytes]:
        left = self.size
        while left > 0:
            chunk = _BLOCK[: min(left, len(_BLOCK))]
            left -= len(chunk)
            yield chunk

    def __len__(self) -> int:
        return len(self.head) + self.size + len(self.tail)

    def chunks(self) -> Iterator[bytes]:
        yield self.head
        yield from self._payload()
        yield self.tail


class Reader:
    """A file-like view of an iterator of chunks, for clients that `read(n)`."""

    def __init__(self, chunks: Iterator[bytes], prefix: bytes = b"", suffix: bytes = b"") -> None:
        self._chunks = _chain(prefix, chunks, suffix)
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            try:
                self._buffer += next(self._chunks)
            except StopIteration:
                break
        if size < 0:
            size = len(self._buffer)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


def _chain(prefix: bytes, chunks: Iterator[bytes], suffix: bytes) -> Iterator[bytes]:
    yield prefix
    yield from chunks
    yield suffix


def api_upload(server: Server, token: str, size: int) -> dict[str, Any]:
    archive = ZipStream(size)
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\narchive\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="bench.zip"\r\nContent-Type: application/zip\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head) + len(archive) + len(tail)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600, blocksize=MiB)
    started = time.perf_counter()
    try:
        connection.request(
            "POST",
            "/api/v1/media",
            body=Reader(archive.chunks(), head, tail),
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Content-Length": str(length),
            },
        )
        response = connection.getresponse()
    except (BrokenPipeError, ConnectionResetError):
        # The API refused the body part-way through (over the size limit) and closed.
        response = connection.getresponse()
    body = json.loads(response.read() or b"{}")
    elapsed = time.perf_counter() - started
    connection.close()
    result: dict[str, Any] = {"status": response.status, "seconds": round(elapsed, 2)}
    if response.status == 201:
        result["mib_per_s"] = round(length / MiB / elapsed, 1)
        _delete(server, token, body["id"])
    else:
        result["code"] = body.get("code")
        result["detail"] = body.get("detail")
    return result


def _delete(server: Server, token: str, media_id: str) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    connection.request(
        "DELETE", f"/api/v1/media/{media_id}", headers={"Authorization": f"Bearer {token}"}
    )
    connection.getresponse().read()
    connection.close()


def direct_upload(client: Minio, bucket: str, size: int) -> dict[str, Any]:
    archive = ZipStream(size)
    key = f"direct/{uuid.uuid4().hex}.zip"
    started = time.perf_counter()
    client.put_object(
        bucket,
        key,
        Reader(archive.chunks()),
        len(archive),
        content_type="application/zip",
        part_size=PART_SIZE,
    )
    elapsed = time.perf_counter() - started
    client.remove_object(bucket, key)
    return {
        "status": 201,
        "seconds": round(elapsed, 2),
        "mib_per_s": round(len(archive) / MiB / elapsed, 1),
    }


def run(redis_url: str, sizes: dict[str, int] | None = None) -> dict[str, Any]:
    from tests.s3server import start_moto_server

    sizes = sizes or SIZES
    moto, s3 = start_moto_server()
    bucket = f"bench-{uuid.uuid4().hex[:12]}"
    # APP_ENV=test: production refuses the moto server's short test credentials, and APP_ENV
    # changes nothing else the benchmark measures.
    env = platform_env(
        redis_url,
        Path(tempfile.mkdtemp(prefix="bench-upload-")),
        APP_ENV="test",
        STORAGE_BACKEND="s3",
        S3_ENDPOINT=s3.endpoint,
        S3_ACCESS_KEY=s3.access_key,
        S3_SECRET_KEY=s3.secret_key,
        S3_REGION=s3.region,
        S3_BUCKET=bucket,
        S3_SECURE="false",
        MAX_UPLOAD_BYTES=str(2 * 1024 * MiB),
        MEDIA_KIND_LIMITS=f"archive={2 * 1024 * MiB}",
    )
    server = Server("wsgi:app", env, workers=1, threads=4)
    rows: dict[str, Any] = {}
    try:
        token = register_admin(server.url)
        (worker,) = server.worker_pids()
        idle = memory_kib(worker)
        direct = Minio(
            s3.endpoint,
            access_key=s3.access_key,
            secret_key=s3.secret_key,
            region=s3.region,
            secure=False,
        )
        for label, size in sizes.items():
            through_api = api_upload(server, token, size)
            through_api["worker_peak_rss_mib"] = round(memory_kib(worker)["VmHWM"] / 1024, 1)
            baseline = direct_upload(direct, bucket, size)
            row = {"platform": through_api, "baseline": baseline}
            if "mib_per_s" in through_api:
                row["ratio"] = round(through_api["mib_per_s"] / baseline["mib_per_s"], 3)
            rows[label] = row
    finally:
        server.stop()
        moto.terminate()
        moto.wait(timeout=30)
    return {
        "title": "Upload (streamed POST /api/v1/media vs direct minio put_object)",
        "settings": {
            "gunicorn": "1 worker, gthread, 4 threads",
            "s3": "moto server on loopback",
            "part_size_mib": PART_SIZE // MiB,
        },
        "worker_idle_rss_mib": round(idle["VmRSS"] / 1024, 1),
        "sizes": rows,
    }
