"""The webhook endpoint cache of a process (storage.webhooks.endpointcache: which
organisations have no enabled endpoint, so their events skip the endpoints query), kept
honest across processes (api.cachesync): a commit that adds or enables an endpoint empties
every cache of this process and is announced on a Redis channel; one thread per process
listens on it and empties them in turn. Worker processes build their app here too, so the
cache and its listener live where jobs finish.
"""

from __future__ import annotations

import weakref

from flask import Flask, current_app, has_app_context

from api import cachesync
from storage.webhooks import endpointcache

CHANNEL = "webhook-endpoints-changed"
_caches: weakref.WeakSet[endpointcache.EndpointCache] = weakref.WeakSet()


def _clear_all() -> None:
    for cache in list(_caches):
        cache.clear()


def _announce() -> None:
    """After a commit that may have given an organisation an enabled endpoint: this
    process at once, the others through Redis."""
    _clear_all()
    cachesync.announce(CHANNEL)


def cache() -> endpointcache.EndpointCache | None:
    """The current app's cache, its listener running; None when turned off (or outside an
    app)."""
    if not has_app_context():
        return None
    endpoint_cache: endpointcache.EndpointCache | None = current_app.extensions.get(
        "webhook_endpoint_cache"
    )
    if endpoint_cache is None:
        return None
    cachesync.ensure_listener(CHANNEL, _clear_all)
    return endpoint_cache


def init_app(app: Flask, seconds: float) -> None:
    endpointcache.changes.set_listeners([_announce])
    endpointcache.set_cache_source(cache)
    if seconds <= 0:
        return
    endpoint_cache = endpointcache.EndpointCache(seconds)
    _caches.add(endpoint_cache)
    app.extensions["webhook_endpoint_cache"] = endpoint_cache
