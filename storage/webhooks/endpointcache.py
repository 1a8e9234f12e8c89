"""Which organisations have no enabled webhook endpoint, as a process remembers it
(WEBHOOK_ENDPOINT_CACHE_SECONDS), so that an event of such an organisation (every finished
job's) is written without querying its endpoints. The event row itself is always written:
partners page through events.

Only "no enabled endpoint" can make an event miss a delivery, so only a change that may give
an organisation an enabled endpoint empties the caches:
- a commit, through any session, that adds an endpoint, changes one through the ORM, or
  inserts or updates the endpoints table with a bulk or textual statement (unless the
  statement says it enables none, `KEEPS_ENABLED`: a delivery's health record, a disable)
  empties this process's caches and is announced to the other processes (the API wires the
  announcement to Redis pub/sub, see api.webhookcache), which empty theirs;
- removing or disabling an endpoint leaves a "has endpoints" entry stale, which only costs
  the query it would have made;
- an entry lives at most `ttl` seconds, so a missed announcement (Redis down) delays a new
  endpoint's first deliveries in another process by that much at most.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from storage.models.webhooks import WebhookEndpoint
from storage.ttlcache import TtlCache

_TABLE = WebhookEndpoint.__tablename__
# Execution option of a bulk UPDATE of endpoints that enables none (see the module doc).
KEEPS_ENABLED = {"webhook_endpoints_keep_enabled": True}


class EndpointCache(TtlCache[bool]):
    """Organisation id -> whether it has an enabled webhook endpoint."""


# The current process's cache, its change listener running (set by the API; no cache
# without it). Called on every event, so it must be cheap.
_source: list[Callable[[], EndpointCache | None]] = []
# Called after a commit that may have given an organisation an enabled endpoint.
_on_change: list[Callable[[], None]] = []


def set_cache_source(source: Callable[[], EndpointCache | None]) -> None:
    _source[:] = [source]


def set_change_listeners(listeners: list[Callable[[], None]]) -> None:
    _on_change[:] = listeners


def current() -> EndpointCache | None:
    return _source[0]() if _source else None


def _mark(session: Session) -> None:
    session.info["webhook_endpoints_changed"] = True


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, flush_context: UOWTransaction) -> None:
    for obj in session.new:
        if isinstance(obj, WebhookEndpoint):
            _mark(session)
            return
    for obj in session.dirty:
        if isinstance(obj, WebhookEndpoint):
            _mark(session)
            return


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_select or state.is_delete:
        return
    statement = state.statement
    table = getattr(statement, "table", None)
    sql = getattr(statement, "text", None)
    if table is None and isinstance(sql, str):
        # A textual statement names no table: only one that mentions endpoints may have
        # added or enabled one.
        if _TABLE in sql.lower():
            _mark(state.session)
        return
    if table is not None and table.name != _TABLE:
        return
    if state.is_update and state.execution_options.get("webhook_endpoints_keep_enabled"):
        return
    _mark(state.session)  # a bulk write to endpoints, or to a table not known


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop("webhook_endpoints_changed", False):
        for listener in _on_change:
            listener()


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop("webhook_endpoints_changed", None)
