"""Which organisations have no enabled webhook endpoint, as a process remembers it
(WEBHOOK_ENDPOINT_CACHE_SECONDS), so that an event of such an organisation (every finished
job's) is written without querying its endpoints. The event row itself is always written:
partners page through events.

Only "no enabled endpoint" can make an event miss a delivery, so only a change that may give
an organisation an enabled endpoint empties the caches:
- a commit, through any session (storage.changewatch), that adds an endpoint, changes one
  through the ORM, or inserts or updates the endpoints table with a bulk or textual
  statement (unless the statement says it enables none, `KEEPS_ENABLED`: a delivery's
  health record, a disable)
  empties this process's caches and is announced to the other processes (the API wires the
  announcement to Redis pub/sub, see api.webhookcache), which empty theirs;
- removing or disabling an endpoint leaves a "has endpoints" entry stale, which only costs
  the query it would have made;
- an entry lives at most `ttl` seconds, so a missed announcement (Redis down) delays a new
  endpoint's first deliveries in another process by that much at most.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import ORMExecuteState, Session

from storage.changewatch import ChangeWatch
from storage.models.webhooks import WebhookEndpoint
from storage.ttlcache import TtlCache

# Execution option of a bulk UPDATE of endpoints that enables none (see the module doc).
KEEPS_ENABLED = {"webhook_endpoints_keep_enabled": True}


class EndpointCache(TtlCache[bool]):
    """Organisation id -> whether it has an enabled webhook endpoint."""


# The current process's cache, its change listener running (set by the API; no cache
# without it). Called on every event, so it must be cheap.
_source: list[Callable[[], EndpointCache | None]] = []


def set_cache_source(source: Callable[[], EndpointCache | None]) -> None:
    _source[:] = [source]


def current() -> EndpointCache | None:
    return _source[0]() if _source else None


def _touched(session: Session) -> bool:
    """A flush that added an endpoint or changed one through the ORM."""
    return any(isinstance(obj, WebhookEndpoint) for obj in (*session.new, *session.dirty))


class _EndpointWatch(ChangeWatch):
    """A ChangeWatch on the endpoints table that ignores the writes which cannot give an
    organisation an enabled endpoint: bulk deletes, and bulk updates marked KEEPS_ENABLED
    (every delivery records its endpoint's health; those must not empty every cache)."""

    def _executed(self, state: ORMExecuteState) -> None:
        if state.is_delete:
            return
        if state.is_update and state.execution_options.get("webhook_endpoints_keep_enabled"):
            return
        super()._executed(state)


# Committed changes that may have given an organisation an enabled endpoint.
changes = _EndpointWatch("webhook_endpoints", [WebhookEndpoint.__tablename__], _touched)
