"""Each organisation's plan as an API process reuses it between changes
(PLAN_CACHE_SECONDS), so that a submission's quota check, an API key's requests a minute and
the premium-feature checks read it without a query.

Staleness is bounded as for access tokens (storage.authstate):
- a commit that changes an organisation's plan or deletes an organisation, through any
  session (or that writes the organisations table with a bulk statement), empties this
  process's caches and is announced to the other processes (the API wires the announcement
  to Redis pub/sub, see api.quotas), which empty theirs;
- an entry lives at most `ttl` seconds, so a missed announcement (Redis down) delays a plan
  change in another process by that much at most.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from storage.models.identity import Organisation
from storage.ttlcache import TtlCache

_TABLE = Organisation.__tablename__


class PlanCache(TtlCache[str]):
    """Organisation id -> the plan its quotas follow (the DEFAULT_PLAN setting applied)."""


def read_plan(session: Session, organisation_id: str) -> tuple[bool, str | None]:
    """(found, the organisation's `plan` column) read from the database."""
    row = session.execute(
        select(Organisation.plan).where(Organisation.id == organisation_id)
    ).first()
    return (False, None) if row is None else (True, row[0])


# Called after a commit that changed a plan (the API empties its caches and tells the other
# processes). Set by the API; nothing to do in a process without a cache.
_on_change: list[Callable[[], None]] = []


def set_change_listeners(listeners: list[Callable[[], None]]) -> None:
    _on_change[:] = listeners


def _mark(session: Session) -> None:
    session.info["plan_changed"] = True


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, flush_context: UOWTransaction) -> None:
    for obj in session.deleted:
        if isinstance(obj, Organisation):
            _mark(session)
            return
    for obj in session.dirty:
        if isinstance(obj, Organisation) and inspect(obj).attrs.plan.history.has_changes():
            _mark(session)
            return


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_select:
        return
    statement = state.statement
    table = getattr(statement, "table", None)
    sql = getattr(statement, "text", None)
    if table is None and isinstance(sql, str):
        # A textual statement names no table (a `SELECT 1` is not a select to SQLAlchemy):
        # only one that mentions organisations may have changed a plan.
        if _TABLE in sql.lower():
            _mark(state.session)
        return
    if table is None or table.name == _TABLE:
        _mark(state.session)  # a bulk write to organisations, or to a table not known


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop("plan_changed", False):
        for listener in _on_change:
            listener()


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop("plan_changed", None)
