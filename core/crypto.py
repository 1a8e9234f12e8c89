"""Encryption at rest for the secrets the platform must read back (webhook signing secrets).

Passwords and API keys are hashed: the platform only compares them. A webhook secret signs
every delivery, so it has to be read back; it is stored encrypted with AES-256-GCM instead.

Stored form: `enc:v1:<key id>:<base64url(nonce | ciphertext and tag)>`. The key id (eight hex
digits of the key's SHA-256) says which of the configured keys opens it, so keys can be
rotated: configure the new key first and the old ones after it, run
`flask secrets reencrypt`, then drop the old keys. A value without the prefix is read as it
is (rows written before encryption at rest); `reencrypt` encrypts those too.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "enc:v1:"
NONCE_BYTES = 12


class SecretUnreadable(RuntimeError):
    """A stored secret no configured key opens (a key was dropped too early)."""


def derive_key(material: str) -> bytes:
    """A 256-bit key from configured key material (ENCRYPTION_KEYS, or SECRET_KEY)."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"platform secrets at rest v1"
    ).derive(material.encode())


# One secret (SECRET_KEY), one key per purpose: a token signature never doubles as a URL
# signature, and neither is the key that encrypts secrets at rest. HKDF (RFC 5869) with a
# distinct `info` per purpose, as TLS 1.3 and Signal derive their keys.
SUBKEY_PURPOSES = ("token signing", "url signing", "flask sessions")


def subkey(secret: str, purpose: str) -> str:
    """The key for one purpose, derived from `secret` (text, for the libraries that take it)."""
    if purpose not in SUBKEY_PURPOSES:
        raise ValueError(f"unknown key purpose {purpose!r}")
    raw = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"platform {purpose} v1".encode()
    ).derive(secret.encode())
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


class SecretBox:
    """Encrypts with the first key; decrypts with whichever key the value names."""

    def __init__(self, materials: Sequence[str]) -> None:
        if not materials:
            raise ValueError("at least one encryption key is required")
        keys = [derive_key(material) for material in materials]
        self._current = keys[0]
        self._current_id = key_id(keys[0])
        self._keys = {key_id(key): AESGCM(key) for key in keys}

    def encrypt(self, plaintext: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._keys[self._current_id].encrypt(
            nonce, plaintext.encode(), self._current_id.encode()
        )
        body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{PREFIX}{self._current_id}:{body}"

    def decrypt(self, stored: str) -> str:
        if not is_encrypted(stored):
            return stored  # written before encryption at rest
        kid, _, body = stored[len(PREFIX) :].partition(":")
        cipher = self._keys.get(kid)
        if cipher is None:
            raise SecretUnreadable(
                f"a stored secret was encrypted with key {kid}, which is not configured"
            )
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        try:
            return cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], kid.encode()).decode()
        except InvalidTag:
            raise SecretUnreadable(f"a stored secret under key {kid} fails its check") from None

    @property
    def key_ids(self) -> frozenset[str]:
        """The ids of every configured key (a stored value names the one it was sealed with)."""
        return frozenset(self._keys)

    def is_current(self, stored: str) -> bool:
        return stored.startswith(f"{PREFIX}{self._current_id}:")


def is_encrypted(stored: str) -> bool:
    return stored.startswith(PREFIX)
