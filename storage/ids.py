"""Public identifiers: a type prefix and a ULID, so ids sort by creation time."""

from __future__ import annotations

import secrets

from ulid import ULID


def new_id(prefix: str) -> str:
    return f"{prefix}_{str(ULID()).lower()}"


def random_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)
