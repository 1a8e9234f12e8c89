"""Signed, expiring tokens that stand in for S3 presigned URLs on the local backend.

A token is `base64url(json payload) "." base64url(HMAC-SHA256(secret, payload part))`. The
payload names the operation, the key and the expiry, so a token for one object and one verb
cannot be reused for another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from storage.objectstore.base import InvalidToken

OPERATIONS = ("put", "get", "part")


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, message: str) -> str:
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return _b64encode(digest)


def sign_token(
    secret: str, op: str, key: str, expires: int, now: float | None = None, **extra: Any
) -> str:
    """Sign `op` on `key` for `expires` seconds; `extra` (content type, part...) rides along."""
    if not secret:
        raise ValueError("a signing secret is required for local presigned URLs")
    if op not in OPERATIONS:
        raise ValueError(f"unknown operation {op!r}")
    issued = time.time() if now is None else now
    payload = {"op": op, "key": key, "exp": int(issued) + int(expires), **extra}
    body = _b64encode(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return f"{body}.{_mac(secret, body)}"


def verify_token(
    secret: str, token: str, op: str | None = None, now: float | None = None
) -> dict[str, Any]:
    """Return the payload of a valid token, or raise InvalidToken (wrong, tampered, expired)."""
    body, dot, signature = token.partition(".")
    if not dot or not body or not signature:
        raise InvalidToken("the signed URL is malformed")
    # Bytes, not str: compare_digest refuses a str holding anything but ASCII.
    expected = _mac(secret, body).encode()
    if not hmac.compare_digest(expected, signature.encode("utf-8", "surrogateescape")):
        raise InvalidToken("the signed URL's signature does not match")
    try:
        payload = json.loads(_b64decode(body))
    except (ValueError, UnicodeDecodeError):
        raise InvalidToken("the signed URL is malformed") from None
    if not isinstance(payload, dict) or payload.get("op") not in OPERATIONS:
        raise InvalidToken("the signed URL is malformed")
    if op is not None and payload["op"] != op:
        raise InvalidToken(f"the signed URL does not allow {op}")
    current = time.time() if now is None else now
    if current >= int(payload.get("exp", 0)):
        raise InvalidToken("the signed URL has expired", code="signature_expired")
    return payload
