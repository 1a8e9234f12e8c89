"""A named lock held by one process across the whole deployment, for scheduled work that
must not run twice at once (two scheduler replicas)."""

from __future__ import annotations

import contextlib
import threading
import uuid
import zlib
from collections.abc import Iterator

from sqlalchemy import text

from storage.db import db
from workers import runtime

_local_locks: dict[str, threading.Lock] = {}
_guard = threading.Lock()

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


@contextlib.contextmanager
def exclusive(name: str, ttl_seconds: int = 600) -> Iterator[bool]:
    """Yields True when this process holds the lock, False when another one does.

    Redis (SET NX PX with a token) when configured; a PostgreSQL advisory lock otherwise;
    a process-local lock on SQLite (embedded mode has one process).
    """
    rt = runtime.get()
    if rt.redis is not None:
        key, token = f"{rt.settings.queue_prefix}lock:{name}", uuid.uuid4().hex
        acquired = bool(rt.redis.set(key, token, nx=True, px=ttl_seconds * 1000))
        try:
            yield acquired
        finally:
            if acquired:
                rt.redis.eval(_RELEASE, 1, key, token)
        return
    if db.engine.dialect.name == "postgresql":
        lock_id = zlib.crc32(name.encode())
        with db.engine.connect() as connection:
            acquired = bool(
                connection.scalar(text("SELECT pg_try_advisory_lock(:id)"), {"id": lock_id})
            )
            try:
                yield acquired
            finally:
                if acquired:
                    connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": lock_id})
        return
    with _guard:
        lock = _local_locks.setdefault(name, threading.Lock())
    acquired = lock.acquire(blocking=False)
    try:
        yield acquired
    finally:
        if acquired:
            lock.release()
