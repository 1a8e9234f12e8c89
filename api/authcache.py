"""The access-token state cache of an API process (storage.authstate), kept honest across
processes (api.cachesync): a commit that changes users or tokens empties every cache of this
process and is announced on a Redis channel; one thread per process listens on it and
empties them in turn. While the channel cannot be heard (Redis down) the caches are emptied
whenever it is heard again, and each entry expires after AUTH_CACHE_SECONDS anyway.
"""

from __future__ import annotations

import weakref

from flask import Flask, current_app

from api import cachesync
from storage import authstate

CHANNEL = "auth-changed"
_caches: weakref.WeakSet[authstate.TokenStateCache] = weakref.WeakSet()


def channel(prefix: str) -> str:
    return cachesync.channel(prefix, CHANNEL)


def _clear_all() -> None:
    for cache in list(_caches):
        cache.clear()


def _announce() -> None:
    """After a commit that changed users or tokens: this process at once, the others
    through Redis."""
    _clear_all()
    cachesync.announce(CHANNEL)


def cache() -> authstate.TokenStateCache | None:
    """The current app's cache, its listener running; None when turned off."""
    token_cache: authstate.TokenStateCache | None = current_app.extensions.get("auth_cache")
    if token_cache is None:
        return None
    cachesync.ensure_listener(CHANNEL, _clear_all)
    return token_cache


def init_app(app: Flask, seconds: float) -> None:
    authstate.changes.set_listeners([_announce])
    if seconds <= 0:
        return
    token_cache = authstate.TokenStateCache(seconds)
    _caches.add(token_cache)
    app.extensions["auth_cache"] = token_cache
