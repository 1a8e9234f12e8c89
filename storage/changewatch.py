"""Which committed transactions change what a per-process cache holds.

A `ChangeWatch` marks a session whose transaction writes one of its tables (through the
unit of work, a bulk statement, or a textual statement that names the table), and calls its
listeners once that transaction commits; a rollback forgets the mark. A statement whose
table cannot be told counts as a change: a cache emptied once too often costs a query, one
left full serves a stale answer. The API sets the listeners (empty this process's caches,
announce to the others); a process without a cache sets none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction


class ChangeWatch:
    def __init__(
        self, name: str, tables: Iterable[str], flushed: Callable[[Session], bool]
    ) -> None:
        """`tables`: the table names whose writes count; `flushed(session)`: whether a
        flush of the unit of work changed what the cache holds."""
        self.key = f"{name}_changed"
        self.tables = frozenset(tables)
        self._flushed = flushed
        self._listeners: list[Callable[[], None]] = []
        event.listen(Session, "after_flush", self._after_flush)
        event.listen(Session, "do_orm_execute", self._executed)
        event.listen(Session, "after_commit", self._committed)
        event.listen(Session, "after_soft_rollback", self._rolled_back)

    def set_listeners(self, listeners: list[Callable[[], None]]) -> None:
        self._listeners[:] = listeners

    def mark(self, session: Session) -> None:
        session.info[self.key] = True

    def _after_flush(self, session: Session, flush_context: UOWTransaction) -> None:
        if self._flushed(session):
            self.mark(session)

    def _executed(self, state: ORMExecuteState) -> None:
        if state.is_select:
            return
        statement = state.statement
        table = getattr(statement, "table", None)
        sql = getattr(statement, "text", None)
        if table is None and isinstance(sql, str):
            # A textual statement names no table (a `SELECT 1` is not a select to
            # SQLAlchemy): only one that mentions a watched table may have changed it.
            lowered = sql.lower()
            if any(name in lowered for name in self.tables):
                self.mark(state.session)
            return
        if table is None or getattr(table, "name", None) in self.tables:
            self.mark(state.session)

    def _committed(self, session: Session) -> None:
        if session.info.pop(self.key, False):
            for listener in self._listeners:
                listener()

    def _rolled_back(self, session: Session, previous_transaction: Any) -> None:
        if previous_transaction.parent is None:
            session.info.pop(self.key, None)
