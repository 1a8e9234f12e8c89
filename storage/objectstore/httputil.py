"""HTTP helpers shared by the API's media routes and the local backend's signed URLs.

Framework-free: the Flask route for `/api/v1/media/local/<token>` (and the tests' small WSGI
server) turn a `LocalResponse` into their own response objects.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import quote

from storage.objectstore.base import (
    InvalidRange,
    InvalidToken,
    ObjectStore,
    ObjectStoreError,
    Readable,
)
from storage.objectstore.keys import safe_filename
from storage.objectstore.tokens import verify_token

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def content_disposition(name: str, inline: bool = False) -> str:
    """`attachment; filename="ascii"; filename*=UTF-8''utf8` (RFC 6266) for any name."""
    safe = safe_filename(name)
    ascii_name = safe.encode("ascii", "replace").decode().replace("?", "_")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(safe)}"


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """One `bytes=` range as inclusive (start, end), None when there is no usable header.

    Multiple ranges are answered with the whole body (allowed by RFC 9110); a range that
    starts past the end raises InvalidRange (416).
    """
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if not match or (not match.group(1) and not match.group(2)):
        return None
    first, last = match.group(1), match.group(2)
    if not first:
        length = int(last)
        if length == 0 or size == 0:
            raise InvalidRange(f"range {header} is outside {size} bytes")
        return max(0, size - length), size - 1
    start = int(first)
    end = size - 1 if not last else min(int(last), size - 1)
    if start >= size or (last and int(last) < start):
        raise InvalidRange(f"range {header} is outside {size} bytes")
    return start, end


@dataclass
class LocalResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Iterable[bytes] = ()


def handle_local_request(
    store: ObjectStore,
    secret: str,
    method: str,
    token: str,
    body: Readable | None = None,
    content_length: int | None = None,
    content_type: str | None = None,
    range_header: str | None = None,
    max_bytes: int | None = None,
    may_write: Callable[[dict], None] | None = None,
) -> LocalResponse:
    """Serve one request to a local presigned URL, as S3 would serve its own.

    GET/HEAD need a "get" token; PUT needs a "put" or "part" token. `may_write(payload)`
    raises when the upload the token was issued for is no longer open. A "put" token writes
    its object once (UploadClosed, 409, after that). Raises InvalidToken (403), ObjectNotFound
    (404), InvalidRange (416) and other ObjectStoreErrors for the caller to map.
    """
    method = method.upper()
    payload = verify_token(secret, token)
    key = payload["key"]
    op = payload["op"]
    if method in ("GET", "HEAD"):
        if op != "get":
            raise InvalidToken(f"the signed URL does not allow {method}")
        return serve_object(store, key, method, range_header, payload.get("dn"), payload.get("ct"))
    if method != "PUT" or op not in ("put", "part"):
        raise InvalidToken(f"the signed URL does not allow {method}")
    if body is None:
        raise ObjectStoreError("a PUT needs a body", code="body_missing", status=400)
    if max_bytes is not None and content_length is not None and content_length > max_bytes:
        raise ObjectStoreError(
            f"the body is larger than {max_bytes} bytes", code="too_large", status=413
        )
    if may_write is not None:
        may_write(payload)
    if op == "part":
        part = store.upload_part(key, payload["uid"], int(payload["pn"]), body)
        return LocalResponse(200, {"ETag": f'"{part.etag}"'})
    put = getattr(store, "put_new", store.put)
    info = put(
        key,
        body,
        content_length,
        payload.get("ct") or content_type or "application/octet-stream",
    )
    return LocalResponse(200, {"ETag": f'"{info.etag}"'})


def serve_object(
    store: ObjectStore,
    key: str,
    method: str = "GET",
    range_header: str | None = None,
    download_name: str | None = None,
    content_type: str | None = None,
) -> LocalResponse:
    """Answer a GET or HEAD for an object from this process: headers, Range, the body."""
    info = store.stat(key)
    headers = {
        "Content-Type": content_type or info.content_type,
        # The type is the sniffed one; browsers must not guess another (stored HTML...).
        "X-Content-Type-Options": "nosniff",
        "Accept-Ranges": "bytes",
        "ETag": f'"{info.etag}"',
    }
    if info.last_modified is not None:
        headers["Last-Modified"] = info.last_modified.strftime("%a, %d %b %Y %H:%M:%S GMT")
    if download_name:
        headers["Content-Disposition"] = content_disposition(download_name)
    try:
        chosen = parse_range(range_header, info.size)
    except InvalidRange:
        headers["Content-Range"] = f"bytes */{info.size}"
        raise InvalidRange(
            f"range {range_header} is outside {info.size} bytes", headers=headers
        ) from None
    status = 200
    if chosen is None:
        start, end = 0, info.size - 1
    else:
        start, end = chosen
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{info.size}"
    headers["Content-Length"] = str(max(0, end - start + 1))
    if method == "HEAD" or info.size == 0:
        return LocalResponse(status, headers)
    return LocalResponse(status, headers, store.get(key, start, end))
