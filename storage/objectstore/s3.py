"""S3 backend through the `minio` client; works with MinIO, AWS S3 and the moto server.

Presigning uses the client's public `get_presigned_url`, on a second client configured with the
public endpoint when clients reach the store at another address than the platform does: a
presigned URL is signed for its host, so it is signed for the public one rather than rewritten
after signing. That client knows its region, so signing makes no request.

Multipart calls use the client's underscore methods (`_create_multipart_upload`,
`_upload_part`, `_list_parts`, `_complete_multipart_upload`, `_abort_multipart_upload`):
minio-py has no public API for client-driven multipart uploads, and these are the calls its
own `put_object` makes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from datetime import timedelta

import certifi
import urllib3
from minio import Minio
from minio.commonconfig import CopySource
from minio.datatypes import Part as MinioPart
from minio.error import InvalidResponseError, MinioException, S3Error, ServerError

from storage.objectstore.base import (
    InvalidRange,
    InvalidUpload,
    ObjectInfo,
    ObjectNotFound,
    ObjectStore,
    ObjectStoreError,
    ObjectStoreUnavailable,
    ObjectStream,
    Part,
    Readable,
    as_reader,
    check_expires,
    check_part_number,
)
from storage.objectstore.httputil import content_disposition
from storage.objectstore.keys import validate_key

_UPLOAD_ERRORS = {
    "InvalidPart": "invalid_part",
    "InvalidPartOrder": "invalid_part_order",
    "EntityTooSmall": "part_too_small",
    "MalformedXML": "invalid_part",
}


class _GuardedReader:
    """Wraps the caller's stream: counts bytes, and remembers an error the stream raised.

    minio may wrap or re-raise what a stream throws; keeping the original lets `put` hand the
    caller its own exception (a size limit, a client that went away) untranslated.
    """

    def __init__(self, source: Readable, length: int | None) -> None:
        self._source = source
        self._length = length
        self.count = 0
        self.error: BaseException | None = None

    def read(self, size: int = -1) -> bytes:
        try:
            data = self._source.read(size)
        except BaseException as exc:
            self.error = exc
            raise
        self.count += len(data)
        if not data and self._length is not None and self.count < self._length:
            self.error = InvalidUpload(
                f"the body ended after {self.count} of {self._length} bytes",
                code="incomplete_body",
            )
            raise self.error
        return data


class S3ObjectStore(ObjectStore):
    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        region: str = "us-east-1",
        secure: bool = True,
        part_size: int = 8 * 1024 * 1024,
        timeout_seconds: float = 30.0,
        public_endpoint: str | None = None,
        public_secure: bool | None = None,
    ) -> None:
        self.bucket = bucket
        self.region = region
        self.part_size = part_size
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=min(5.0, timeout_seconds), read=timeout_seconds),
            maxsize=10,
            cert_reqs="CERT_REQUIRED",
            ca_certs=certifi.where(),
            # A few quick retries for a restarting MinIO; more would hide an outage from ping().
            retries=urllib3.Retry(
                total=2, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]
            ),
        )
        self.client = Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            region=region,
            secure=secure,
            http_client=http,
        )
        # Signs the URLs handed to clients; with a region set it never calls the endpoint.
        self.signer = self.client
        if public_endpoint and public_endpoint != endpoint:
            self.signer = Minio(
                public_endpoint,
                access_key=access_key,
                secret_key=secret_key,
                region=region,
                secure=secure if public_secure is None else public_secure,
                http_client=http,
            )

    @contextlib.contextmanager
    def _translate(self, key: str | None = None, guard: _GuardedReader | None = None):
        try:
            yield
        except S3Error as exc:
            if guard is not None and guard.error is not None:
                raise guard.error from None
            raise _from_s3_error(exc, key, self.bucket) from exc
        except (ServerError, urllib3.exceptions.HTTPError, OSError) as exc:
            if guard is not None and guard.error is not None:
                raise guard.error from None
            raise ObjectStoreUnavailable(f"object store unreachable: {exc}") from exc
        except (InvalidResponseError, MinioException) as exc:
            raise ObjectStoreError(f"object store answered unexpectedly: {exc}") from exc

    def ensure_bucket(self) -> None:
        with self._translate():
            if self.client.bucket_exists(self.bucket):
                return
            try:
                self.client.make_bucket(self.bucket)
            except S3Error as exc:
                # Another process created it between our check and our create.
                if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise

    def ping(self) -> None:
        with self._translate():
            exists = self.client.bucket_exists(self.bucket)
        if not exists:
            raise ObjectStoreUnavailable(f"bucket {self.bucket!r} does not exist")

    def put(
        self,
        key: str,
        stream: Readable | Iterable[bytes] | bytes,
        length: int | None,
        content_type: str,
    ) -> ObjectInfo:
        validate_key(key)
        guard = _GuardedReader(as_reader(stream), length)
        with self._translate(key, guard):
            try:
                self.client.put_object(
                    self.bucket,
                    key,
                    guard,  # type: ignore[arg-type]
                    -1 if length is None else length,
                    content_type=content_type or "application/octet-stream",
                    part_size=self.part_size,
                )
            except Exception:
                if guard.error is not None:
                    raise guard.error from None
                raise
        return self.stat(key)

    def stat(self, key: str) -> ObjectInfo:
        validate_key(key)
        with self._translate(key):
            found = self.client.stat_object(self.bucket, key)
        return ObjectInfo(
            key=key,
            size=int(found.size or 0),
            etag=(found.etag or "").strip('"'),
            content_type=found.content_type or "application/octet-stream",
            last_modified=found.last_modified,
        )

    def copy(self, source: str, target: str) -> ObjectInfo:
        validate_key(source)
        validate_key(target)
        with self._translate(source):
            self.client.copy_object(self.bucket, target, CopySource(self.bucket, source))
        return self.stat(target)

    def get(self, key: str, start: int | None = None, end: int | None = None) -> ObjectStream:
        validate_key(key)
        first = start or 0
        if first < 0 or (end is not None and end < first):
            raise InvalidRange(f"range {start}-{end} is not valid")
        length = 0 if end is None else end - first + 1
        with self._translate(key):
            response = self.client.get_object(self.bucket, key, offset=first, length=length)
        size = int(response.headers.get("content-length", "0"))
        return ObjectStream(response, size)

    def delete(self, key: str) -> None:
        validate_key(key)
        with self._translate(key):
            self.client.remove_object(self.bucket, key)

    def list_keys(self, prefix: str = "") -> Iterator[str]:
        with self._translate():
            for found in self.client.list_objects(self.bucket, prefix=prefix, recursive=True):
                yield found.object_name

    def presign_put(self, key: str, expires: int, content_type: str | None = None) -> str:
        # minio signs only the Host header, so the client's Content-Type is not bound by the
        # signature; the API decides the type from the bytes when the upload completes.
        validate_key(key)
        with self._translate(key):
            return self.signer.get_presigned_url(
                "PUT", self.bucket, key, timedelta(seconds=check_expires(expires))
            )

    def presign_get(
        self,
        key: str,
        expires: int,
        download_name: str | None = None,
        content_type: str | None = None,
    ) -> str:
        validate_key(key)
        headers: dict[str, str | list[str] | tuple[str]] = {}
        if download_name:
            headers["response-content-disposition"] = content_disposition(download_name)
        if content_type:
            headers["response-content-type"] = content_type
        with self._translate(key):
            return self.signer.get_presigned_url(
                "GET",
                self.bucket,
                key,
                timedelta(seconds=check_expires(expires)),
                response_headers=headers or None,
            )

    def create_multipart(self, key: str, content_type: str) -> str:
        validate_key(key)
        with self._translate(key):
            return self.client._create_multipart_upload(
                self.bucket, key, {"Content-Type": content_type or "application/octet-stream"}
            )

    def presign_part(self, key: str, upload_id: str, part_number: int, expires: int) -> str:
        validate_key(key)
        query = {"partNumber": str(check_part_number(part_number)), "uploadId": upload_id}
        with self._translate(key):
            return self.signer.get_presigned_url(
                "PUT",
                self.bucket,
                key,
                timedelta(seconds=check_expires(expires)),
                extra_query_params=query,
            )

    def upload_part(
        self, key: str, upload_id: str, part_number: int, data: Readable | bytes
    ) -> Part:
        validate_key(key)
        body = data if isinstance(data, bytes) else as_reader(data).read()
        number = check_part_number(part_number)
        with self._translate(key):
            etag = self.client._upload_part(self.bucket, key, body, None, upload_id, number)
        return Part(number=number, etag=etag.strip('"'), size=len(body))

    def list_parts(self, key: str, upload_id: str) -> list[Part]:
        validate_key(key)
        parts: list[Part] = []
        marker: str | None = None
        with self._translate(key):
            while True:
                result = self.client._list_parts(
                    self.bucket, key, upload_id, part_number_marker=marker
                )
                parts.extend(
                    Part(number=p.part_number, etag=p.etag.strip('"'), size=p.size)
                    for p in result.parts
                )
                if not result.is_truncated or not result.next_part_number_marker:
                    return parts
                marker = result.next_part_number_marker

    def complete_multipart(self, key: str, upload_id: str, parts: list[Part]) -> ObjectInfo:
        validate_key(key)
        if not parts:
            raise InvalidUpload("a multipart upload needs at least one part")
        chosen = [MinioPart(part.number, part.etag.strip('"')) for part in parts]
        with self._translate(key):
            self.client._complete_multipart_upload(self.bucket, key, upload_id, chosen)
        return self.stat(key)

    def abort_multipart(self, key: str, upload_id: str) -> None:
        validate_key(key)
        with self._translate(key):
            self.client._abort_multipart_upload(self.bucket, key, upload_id)


def _from_s3_error(exc: S3Error, key: str | None, bucket: str) -> ObjectStoreError:
    code = exc.code or ""
    if code in ("NoSuchKey", "NotFound"):
        return ObjectNotFound(f"object {key!r} not found")
    if code == "NoSuchUpload":
        return ObjectNotFound(f"upload for {key!r} not found", code="upload_not_found")
    if code == "InvalidRange":
        return InvalidRange(f"range outside object {key!r}")
    if code in _UPLOAD_ERRORS:
        return InvalidUpload(exc.message or code, code=_UPLOAD_ERRORS[code])
    if code == "NoSuchBucket":
        return ObjectStoreUnavailable(f"bucket {bucket!r} does not exist")
    if code in ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"):
        return ObjectStoreError(
            f"object store refused the request: {code}", code="object_store_denied"
        )
    return ObjectStoreError(f"object store error {code}: {exc.message}")
