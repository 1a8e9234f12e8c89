"""The per-process caches of an API process (access-token state, organisations' plans) kept
honest across processes: a commit that changes what a cache holds empties that cache in the
process that made it and is announced on a Redis channel of its own; one thread per process
and channel listens and empties the cache in turn (a process skips its own announcements:
it emptied its caches when it committed, and emptying them again when its message comes
back would throw away what it read since). While a channel cannot be heard (Redis
down) its caches are emptied whenever it is heard again, and every entry expires after its
cache's TTL anyway.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Callable

import redis
from flask import current_app, has_app_context

log = logging.getLogger(__name__)

LISTEN_WAIT_SECONDS = 1.0
_listeners: dict[tuple[str, str], tuple[int, threading.Thread]] = {}
_listeners_lock = threading.Lock()
# Who announces: this process (a new id after a fork).
_sender = f"{os.getpid()}-{secrets.token_hex(4)}"


def channel(prefix: str, name: str) -> str:
    return f"{prefix}{name}"


def announce(name: str) -> None:
    """Tell the other processes, after a commit, that what channel `name` covers changed."""
    if not has_app_context():
        return
    runtime = current_app.extensions.get("runtime")
    if runtime is None or runtime.redis is None:
        return
    try:
        runtime.redis.publish(channel(runtime.settings.queue_prefix, name), _sender)
    except redis.RedisError as exc:  # the others' entries expire within their TTL
        log.warning("%s: change not announced (%s)", name, type(exc).__name__)


def _forked() -> None:
    # A child starts its own listeners (see ensure_listener); a lock a parent's thread held
    # at the fork is not inherited held.
    global _listeners_lock, _sender
    _listeners_lock = threading.Lock()
    _sender = f"{os.getpid()}-{secrets.token_hex(4)}"


os.register_at_fork(after_in_child=_forked)


def _listen(
    client: redis.Redis, name: str, clear: Callable[[], None], listening: threading.Event
) -> None:
    while True:
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(name)
            clear()  # whatever was announced while nobody listened
            listening.set()
            for message in pubsub.listen():
                if message.get("type") == "message" and not _own(message.get("data")):
                    clear()
        except Exception:  # Redis went away: empty the caches, and listen again
            clear()
            time.sleep(1.0)
        finally:
            pubsub.close()


def _own(data: object) -> bool:
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    return data == _sender


def ensure_listener(name: str, clear: Callable[[], None]) -> None:
    """One listening thread per process and channel, started on first use (after a fork,
    in the process that serves) and subscribed before this returns; none without Redis."""
    runtime = current_app.extensions.get("runtime")
    if runtime is None or runtime.redis is None:
        return
    client: redis.Redis = runtime.redis
    full_name = channel(runtime.settings.queue_prefix, name)
    key = (repr(client.connection_pool.connection_kwargs), full_name)
    with _listeners_lock:
        running = _listeners.get(key)
        if running is not None and running[0] == os.getpid() and running[1].is_alive():
            return
        listener_client = redis.Redis(
            connection_pool=redis.ConnectionPool(
                connection_class=client.connection_pool.connection_class,
                **{**client.connection_pool.connection_kwargs, "socket_timeout": None},
            )
        )
        listening = threading.Event()
        thread = threading.Thread(
            target=_listen,
            args=(listener_client, full_name, clear, listening),
            name=f"{name}-listener",
            daemon=True,
        )
        thread.start()
        _listeners[key] = (os.getpid(), thread)
    # What the caller reads next is kept only once the channel is heard (the listener
    # empties the caches when it subscribes); a Redis that does not answer is not waited
    # for long.
    listening.wait(timeout=LISTEN_WAIT_SECONDS)
