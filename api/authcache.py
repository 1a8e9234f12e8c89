"""The access-token state cache of an API process (storage.authstate), kept honest across
processes: a commit that changes users or tokens empties every cache of this process and
is announced on a Redis channel; one thread per process listens on it and empties them in
turn. While the channel cannot be heard (Redis down) the caches are emptied whenever it is
heard again, and each entry expires after AUTH_CACHE_SECONDS anyway.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref

import redis
from flask import Flask, current_app, has_app_context

from storage import authstate

log = logging.getLogger(__name__)

_caches: weakref.WeakSet[authstate.TokenStateCache] = weakref.WeakSet()
_listeners: dict[tuple[str, str], tuple[int, threading.Thread]] = {}
_listeners_lock = threading.Lock()


def channel(prefix: str) -> str:
    return f"{prefix}auth-changed"


def _clear_all() -> None:
    for cache in list(_caches):
        cache.clear()


def _announce() -> None:
    """After a commit that changed users or tokens: this process at once, the others
    through Redis."""
    _clear_all()
    if not has_app_context():
        return
    runtime = current_app.extensions.get("runtime")
    if runtime is None or runtime.redis is None:
        return
    try:
        runtime.redis.publish(channel(runtime.settings.queue_prefix), "changed")
    except redis.RedisError as exc:  # the others' entries expire within AUTH_CACHE_SECONDS
        log.warning("auth cache: change not announced (%s)", type(exc).__name__)


def _listen(client: redis.Redis, name: str) -> None:
    while True:
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(name)
            _clear_all()  # whatever was announced while nobody listened
            for message in pubsub.listen():
                if message.get("type") == "message":
                    _clear_all()
        except Exception:  # Redis went away: empty the caches, and listen again
            _clear_all()
            time.sleep(1.0)
        finally:
            pubsub.close()


def _ensure_listener(client: redis.Redis, name: str) -> None:
    """One listening thread per process and channel, started on first use (after a fork,
    in the process that serves)."""
    url = repr(client.connection_pool.connection_kwargs)
    key = (url, name)
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
        thread = threading.Thread(
            target=_listen, args=(listener_client, name), name="auth-cache-listener", daemon=True
        )
        thread.start()
        _listeners[key] = (os.getpid(), thread)


def cache() -> authstate.TokenStateCache | None:
    """The current app's cache, its listener running; None when turned off."""
    token_cache: authstate.TokenStateCache | None = current_app.extensions.get("auth_cache")
    if token_cache is None:
        return None
    runtime = current_app.extensions.get("runtime")
    if runtime is not None and runtime.redis is not None:
        _ensure_listener(runtime.redis, channel(runtime.settings.queue_prefix))
    return token_cache


def init_app(app: Flask, seconds: float) -> None:
    authstate.set_change_listeners([_announce])
    if seconds <= 0:
        return
    token_cache = authstate.TokenStateCache(seconds)
    _caches.add(token_cache)
    app.extensions["auth_cache"] = token_cache
