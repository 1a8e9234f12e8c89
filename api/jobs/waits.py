"""A bound on the long polls one caller holds at once.

A long poll holds no database connection while it sleeps, but it holds a server thread and
a Redis subscription: one caller must not take them all. Past the bound a wait is answered
at once with the job as it is, which RFC 7240 allows (a server may ignore a preference), and
the answer's `Retry-After` paces the client, as GitHub and Stripe pace clients that poll.

Counted in Redis when configured, so the bound holds across API processes; in process
memory in embedded mode. If Redis cannot be reached the wait goes ahead.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import Counter
from collections.abc import Iterator

import redis

log = logging.getLogger(__name__)

MAX_CONCURRENT_WAITS = 10
# A counter left by a process that died mid-wait clears itself after this long.
_COUNTER_TTL_SECONDS = 120

_lock = threading.Lock()
_local: Counter[str] = Counter()


@contextlib.contextmanager
def wait_slot(
    client: redis.Redis | None, prefix: str, caller: str, limit: int = MAX_CONCURRENT_WAITS
) -> Iterator[bool]:
    """Yields True when the caller may wait (and holds a slot until the block ends)."""
    key = f"{prefix}long-polls:{caller}"
    if client is None:
        with _lock:
            taken = _local[key] < limit
            if taken:
                _local[key] += 1
        try:
            yield taken
        finally:
            if taken:
                with _lock:
                    _local[key] -= 1
                    if _local[key] <= 0:
                        del _local[key]
        return
    try:
        pipe = client.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, _COUNTER_TTL_SECONDS)
        count = int(pipe.execute()[0])
    except redis.RedisError as exc:
        log.warning("long-poll bound not checked: Redis unreachable (%s)", type(exc).__name__)
        yield True
        return
    taken = count <= limit
    try:
        yield taken
    finally:
        try:
            client.decr(key)
        except redis.RedisError:
            pass  # the key expires on its own
