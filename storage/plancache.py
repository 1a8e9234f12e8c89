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

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from storage.changewatch import ChangeWatch
from storage.models.identity import Organisation
from storage.ttlcache import TtlCache


class PlanCache(TtlCache[str]):
    """Organisation id -> the plan its quotas follow (the DEFAULT_PLAN setting applied)."""


def read_plan(session: Session, organisation_id: str) -> tuple[bool, str | None]:
    """(found, the organisation's `plan` column) read from the database."""
    row = session.execute(
        select(Organisation.plan).where(Organisation.id == organisation_id)
    ).first()
    return (False, None) if row is None else (True, row[0])


def _touched(session: Session) -> bool:
    """A flush that deleted an organisation or changed one's plan."""
    return any(isinstance(obj, Organisation) for obj in session.deleted) or any(
        isinstance(obj, Organisation) and inspect(obj).attrs.plan.history.has_changes()
        for obj in session.dirty
    )


# Committed changes to organisations' plans.
changes = ChangeWatch("plan", [Organisation.__tablename__], _touched)
