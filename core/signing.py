"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

A secret is `whsec_` + base64 of random bytes. The signature of a message is
`v1,<base64 HMAC-SHA256 of "{msg_id}.{timestamp}.{body}">`. During a secret rotation the
sender signs with every live secret and sends the signatures space-separated, so a receiver
holding either secret verifies the message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as _secrets
from collections.abc import Iterable

SECRET_PREFIX = "whsec_"
# The specification asks for between 24 and 64 bytes of key material.
SECRET_BYTES = 32


class InvalidSecret(ValueError):
    """A secret that is not `whsec_` followed by base64 of 24..64 bytes."""


def generate_secret(nbytes: int = SECRET_BYTES) -> str:
    """A new signing secret, `whsec_` + base64 of `nbytes` random bytes."""
    if not 24 <= nbytes <= 64:
        raise ValueError("a webhook secret needs between 24 and 64 random bytes")
    return SECRET_PREFIX + base64.b64encode(_secrets.token_bytes(nbytes)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The raw HMAC key inside a `whsec_` secret."""
    if not secret.startswith(SECRET_PREFIX):
        raise InvalidSecret("a webhook secret starts with whsec_")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except binascii.Error:
        raise InvalidSecret("a webhook secret is base64 after the whsec_ prefix") from None
    if not 24 <= len(key) <= 64:
        raise InvalidSecret("a webhook secret holds between 24 and 64 bytes")
    return key


def _one(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def sign(secret: str | Iterable[str], msg_id: str, timestamp: int, body: bytes | str) -> str:
    """The `webhook-signature` value for a message: one `v1,` signature per secret."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    keys = [secret] if isinstance(secret, str) else list(secret)
    if not keys:
        raise InvalidSecret("at least one secret is needed to sign a message")
    if "." in msg_id or " " in msg_id:
        # The id is part of the signed string and the header; a dot would make it ambiguous.
        raise ValueError("a webhook message id may not contain dots or spaces")
    return " ".join(_one(key, msg_id, int(timestamp), body) for key in keys)


def signed_headers(
    secret: str | Iterable[str], msg_id: str, timestamp: int, body: bytes | str
) -> dict[str, str]:
    """The three Standard Webhooks headers for one delivery attempt."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp)),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }
