"""Local-disk backend (embedded mode): objects are files under one root folder.

Layout under the root: `objects/<key>` holds the bytes, `meta/<key>.json` the content type
and ETag, `uploads/<upload id>/` the parts of multipart uploads, `tmp/` files being written.
Every write goes to `tmp/` first and is renamed into place, so a reader never sees half a file.
Presigned URLs point at the API's own `/api/v1/media/local/<token>` route.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from storage.objectstore.base import (
    CHUNK_SIZE,
    MIN_PART_SIZE,
    InvalidRange,
    InvalidUpload,
    ObjectInfo,
    ObjectNotFound,
    ObjectStore,
    ObjectStoreUnavailable,
    ObjectStream,
    Part,
    Readable,
    UploadClosed,
    as_reader,
    check_expires,
    check_part_number,
)
from storage.objectstore.keys import validate_key
from storage.objectstore.tokens import sign_token

LOCAL_ROUTE = "/api/v1/media/local/"
_UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")


class LocalObjectStore(ObjectStore):
    redirect_downloads = False

    def __init__(self, root: Path, public_base_url: str, signing_secret: str) -> None:
        self.root = Path(root).resolve()
        self.bucket = str(self.root)
        self.public_base_url = public_base_url.rstrip("/")
        self.signing_secret = signing_secret
        self._objects = self.root / "objects"
        self._meta = self.root / "meta"
        self._uploads = self.root / "uploads"
        self._tmp = self.root / "tmp"

    # -- paths -----------------------------------------------------------------------------

    def _path(self, key: str) -> Path:
        validate_key(key)
        path = (self._objects / key).resolve()
        # validate_key already refuses "..", but a symlink planted under the root must not
        # lead a key outside it either.
        if not path.is_relative_to(self._objects):
            raise ObjectNotFound(f"object {key!r} not found")
        return path

    def _meta_path(self, key: str) -> Path:
        return self._meta / f"{key}.json"

    def _upload_dir(self, key: str, upload_id: str) -> Path:
        if not _UPLOAD_ID.match(upload_id or ""):
            raise ObjectNotFound(f"upload {upload_id!r} not found", code="upload_not_found")
        folder = self._uploads / upload_id
        try:
            meta = json.loads((folder / "upload.json").read_text())
        except FileNotFoundError:
            raise ObjectNotFound(
                f"upload {upload_id!r} not found", code="upload_not_found"
            ) from None
        if meta.get("key") != key:
            raise ObjectNotFound(f"upload {upload_id!r} not found", code="upload_not_found")
        return folder

    def _write_temp(self, reader: Readable, length: int | None) -> tuple[Path, int, Any]:
        """Copy a stream into tmp/ while counting and hashing; the caller renames it."""
        self._tmp.mkdir(parents=True, exist_ok=True)
        digest = hashlib.md5(usedforsecurity=False)
        size = 0
        handle = tempfile.NamedTemporaryFile(dir=self._tmp, delete=False)
        try:
            with handle:
                while length is None or size < length:
                    want = CHUNK_SIZE if length is None else min(CHUNK_SIZE, length - size)
                    chunk = reader.read(want)
                    if not chunk:
                        break
                    handle.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            if length is not None and size != length:
                raise InvalidUpload(
                    f"the body ended after {size} of {length} bytes", code="incomplete_body"
                )
        except BaseException:
            Path(handle.name).unlink(missing_ok=True)
            raise
        return Path(handle.name), size, digest

    def _publish(
        self, temp: Path, key: str, content_type: str, etag: str, exclusive: bool = False
    ) -> ObjectInfo:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        meta_path = self._meta_path(key)
        meta_path.parent.mkdir(parents=True, exist_ok=True)
        meta_temp = self._tmp / f"{temp.name}.json"
        meta_temp.write_text(json.dumps({"content_type": content_type, "etag": etag}))
        if exclusive:
            # link() fails when the target exists, atomically: of two racing writers one wins.
            try:
                os.link(temp, target)
            except FileExistsError:
                meta_temp.unlink(missing_ok=True)
                raise UploadClosed("this upload URL was already used") from None
            temp.unlink()
        else:
            os.replace(temp, target)
        os.replace(meta_temp, meta_path)
        return self.stat(key)

    # -- interface -------------------------------------------------------------------------

    def ensure_bucket(self) -> None:
        try:
            for folder in (self._objects, self._meta, self._uploads, self._tmp):
                folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ObjectStoreUnavailable(f"cannot create media folder {self.root}: {exc}") from exc

    def ping(self) -> None:
        if not self._objects.is_dir() or not os.access(self._objects, os.W_OK):
            raise ObjectStoreUnavailable(f"media folder {self._objects} is not writable")

    def put(
        self,
        key: str,
        stream: Readable | Iterable[bytes] | bytes,
        length: int | None,
        content_type: str,
    ) -> ObjectInfo:
        self._path(key)
        temp, _size, digest = self._write_temp(as_reader(stream), length)
        try:
            return self._publish(temp, key, content_type, digest.hexdigest())
        except BaseException:
            temp.unlink(missing_ok=True)
            raise

    def put_new(
        self, key: str, stream: Readable, length: int | None, content_type: str
    ) -> ObjectInfo:
        """`put`, refused (UploadClosed) when the object already exists: a signed PUT URL
        writes its object once."""
        self._path(key)
        temp, _size, digest = self._write_temp(as_reader(stream), length)
        try:
            return self._publish(temp, key, content_type, digest.hexdigest(), exclusive=True)
        finally:
            temp.unlink(missing_ok=True)

    def copy(self, source: str, target: str) -> ObjectInfo:
        info = self.stat(source)
        self._path(target)
        self._tmp.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(dir=self._tmp, delete=False)
        handle.close()
        temp = Path(handle.name)
        try:
            shutil.copyfile(self._path(source), temp)
            return self._publish(temp, target, info.content_type, info.etag)
        except FileNotFoundError:
            raise ObjectNotFound(f"object {source!r} not found") from None
        finally:
            temp.unlink(missing_ok=True)

    def stat(self, key: str) -> ObjectInfo:
        path = self._path(key)
        try:
            status = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise ObjectNotFound(f"object {key!r} not found") from None
        if not path.is_file():
            raise ObjectNotFound(f"object {key!r} not found")
        try:
            meta = json.loads(self._meta_path(key).read_text())
        except (FileNotFoundError, ValueError):
            meta = {}
        return ObjectInfo(
            key=key,
            size=status.st_size,
            etag=meta.get("etag", ""),
            content_type=meta.get("content_type", "application/octet-stream"),
            last_modified=datetime.fromtimestamp(status.st_mtime, UTC),
        )

    def get(self, key: str, start: int | None = None, end: int | None = None) -> ObjectStream:
        info = self.stat(key)
        first = start or 0
        # Same answers as S3: a range that starts at or past the end is refused, an end
        # past the end is clamped, and "from 0" on an empty object is just the object.
        if (
            first < 0
            or (end is not None and end < first)
            or (first >= info.size and (first > 0 or end is not None))
        ):
            raise InvalidRange(f"range {start}-{end} is outside {info.size} bytes")
        last = info.size - 1 if end is None else min(end, info.size - 1)
        handle = self._path(key).open("rb")
        handle.seek(first)
        return ObjectStream(handle, max(0, last - first + 1))

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        self._meta_path(key).unlink(missing_ok=True)
        for base, leaf in ((self._objects, path), (self._meta, self._meta_path(key))):
            parent = leaf.parent
            # Empty folders left by deleted media would pile up one per media row.
            while parent != base and parent.is_relative_to(base):
                try:
                    parent.rmdir()
                except OSError:
                    break
                parent = parent.parent

    def list_keys(self, prefix: str = "") -> Iterator[str]:
        if not self._objects.is_dir():
            return
        for folder, _dirs, files in os.walk(self._objects):
            for name in files:
                key = (Path(folder) / name).relative_to(self._objects).as_posix()
                if key.startswith(prefix):
                    yield key

    def _url(self, token: str) -> str:
        return f"{self.public_base_url}{LOCAL_ROUTE}{token}"

    def presign_put(self, key: str, expires: int, content_type: str | None = None) -> str:
        validate_key(key)
        extra = {"ct": content_type} if content_type else {}
        return self._url(
            sign_token(self.signing_secret, "put", key, check_expires(expires), **extra)
        )

    def presign_get(
        self,
        key: str,
        expires: int,
        download_name: str | None = None,
        content_type: str | None = None,
    ) -> str:
        validate_key(key)
        extra = {"dn": download_name} if download_name else {}
        if content_type:
            extra["ct"] = content_type
        return self._url(
            sign_token(self.signing_secret, "get", key, check_expires(expires), **extra)
        )

    def create_multipart(self, key: str, content_type: str) -> str:
        validate_key(key)
        upload_id = secrets.token_hex(16)
        folder = self._uploads / upload_id
        folder.mkdir(parents=True)
        payload = {"key": key, "content_type": content_type}
        (folder / "upload.json").write_text(json.dumps(payload))
        return upload_id

    def presign_part(self, key: str, upload_id: str, part_number: int, expires: int) -> str:
        self._upload_dir(key, upload_id)
        token = sign_token(
            self.signing_secret,
            "part",
            key,
            check_expires(expires),
            uid=upload_id,
            pn=check_part_number(part_number),
        )
        return self._url(token)

    def upload_part(
        self, key: str, upload_id: str, part_number: int, data: Readable | bytes
    ) -> Part:
        folder = self._upload_dir(key, upload_id)
        number = check_part_number(part_number)
        temp, size, digest = self._write_temp(as_reader(data), None)
        etag = digest.hexdigest()
        (folder / f"{number:05d}.etag").write_text(etag)
        os.replace(temp, folder / f"{number:05d}.part")
        return Part(number=number, etag=etag, size=size)

    def list_parts(self, key: str, upload_id: str) -> list[Part]:
        folder = self._upload_dir(key, upload_id)
        parts = []
        for path in sorted(folder.glob("*.part")):
            number = int(path.stem)
            etag = (folder / f"{number:05d}.etag").read_text()
            parts.append(Part(number=number, etag=etag, size=path.stat().st_size))
        return parts

    def complete_multipart(self, key: str, upload_id: str, parts: list[Part]) -> ObjectInfo:
        folder = self._upload_dir(key, upload_id)
        received = {part.number: part for part in self.list_parts(key, upload_id)}
        if not parts:
            raise InvalidUpload("a multipart upload needs at least one part")
        numbers = [part.number for part in parts]
        if numbers != sorted(set(numbers)):
            raise InvalidUpload(
                "parts must be listed in ascending order", code="invalid_part_order"
            )
        for index, part in enumerate(parts):
            have = received.get(part.number)
            if have is None or have.etag != part.etag.strip('"'):
                raise InvalidUpload(f"part {part.number} was not uploaded", code="invalid_part")
            if index < len(parts) - 1 and (have.size or 0) < MIN_PART_SIZE:
                raise InvalidUpload(
                    f"part {part.number} is smaller than {MIN_PART_SIZE} bytes",
                    code="part_too_small",
                )
        content_type = json.loads((folder / "upload.json").read_text())["content_type"]
        combined = hashlib.md5(usedforsecurity=False)
        self._tmp.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(dir=self._tmp, delete=False)
        try:
            with handle:
                for part in parts:
                    with (folder / f"{part.number:05d}.part").open("rb") as source:
                        shutil.copyfileobj(source, handle, CHUNK_SIZE)
                    combined.update(bytes.fromhex(received[part.number].etag))
                os.fsync(handle.fileno())
            info = self._publish(
                Path(handle.name), key, content_type, f"{combined.hexdigest()}-{len(parts)}"
            )
        except BaseException:
            Path(handle.name).unlink(missing_ok=True)
            raise
        shutil.rmtree(folder, ignore_errors=True)
        return info

    def abort_multipart(self, key: str, upload_id: str) -> None:
        shutil.rmtree(self._upload_dir(key, upload_id), ignore_errors=True)
