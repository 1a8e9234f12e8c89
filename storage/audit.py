"""Writing and reading the audit log. `record` adds a row to the caller's transaction, so an
action and its record commit (or roll back) together; nothing here commits."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import Select
from sqlalchemy.orm import Session

from storage.ids import new_id
from storage.models.audit import AuditRecord
from storage.tenancy import tenant_select

# Keys whose values never enter a summary, whatever an action passes: a summary that named
# a secret would keep it forever in a table nobody may delete from.
_SECRET_KEY = re.compile(
    r"(secret|password|passwd|token|credential|private|key_hash|code_hash|^key$|^code$"
    r"|authorization|email)",
    re.IGNORECASE,
)
REDACTED = "[redacted]"


@dataclass(frozen=True)
class ActedBy:
    """Who acted and from where: built by the entry point (a request, a job)."""

    organisation_id: str
    type: str  # "user", "api_key" or "system"
    id: str | None = None
    role: str | None = None
    request_id: str | None = None
    ip: str | None = None


def scrub(summary: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The summary with the value of every secret-looking key replaced, at any depth."""
    if summary is None:
        return None
    return {k: _scrub_value(k, v) for k, v in summary.items()}


def _scrub_value(key: str, value: Any) -> Any:
    if _SECRET_KEY.search(key):
        return REDACTED if value is not None else None
    if isinstance(value, Mapping):
        return scrub(value)
    if isinstance(value, list):
        return [scrub(v) if isinstance(v, Mapping) else v for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return _bare_url(value)
    return value


def _bare_url(url: str) -> str:
    """A URL without user info, query or fragment, where partners put tokens."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        return REDACTED
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def snapshot(row: object, names: Iterable[str]) -> dict[str, Any]:
    """The row's current values of `names`, copied (lists and dicts too)."""
    values: dict[str, Any] = {}
    for name in names:
        value = getattr(row, name)
        values[name] = (
            list(value)
            if isinstance(value, list)
            else (dict(value) if isinstance(value, dict) else value)
        )
    return values


def record(
    session: Session,
    actor: ActedBy,
    action: str,
    *,
    target_type: str,
    target_id: str | None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditRecord:
    row = AuditRecord(
        id=new_id("aud"),
        organisation_id=actor.organisation_id,
        actor_type=actor.type,
        actor_id=actor.id,
        actor_role=actor.role,
        action=action,
        target_type=target_type,
        target_id=target_id,
        before=scrub(before),
        after=scrub(after),
        request_id=actor.request_id,
        ip=actor.ip,
    )
    session.add(row)
    return row


def changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict, dict]:
    """Only the keys whose values differ, as (before, after) summaries."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def list_query(
    organisation_id: str,
    *,
    action: str | None = None,
    actor_id: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select[tuple[AuditRecord]]:
    """The organisation's records, newest first, narrowed by the given filters; an action
    ending in `.` or `*` matches every action of that family (`api_key.*`)."""
    stmt = tenant_select(AuditRecord, organisation_id)
    if action:
        if action.endswith((".", "*")):
            prefix = action.rstrip("*")
            stmt = stmt.where(AuditRecord.action.startswith(prefix, autoescape=True))
        else:
            stmt = stmt.where(AuditRecord.action == action)
    if actor_id:
        stmt = stmt.where(AuditRecord.actor_id == actor_id)
    if target_type:
        stmt = stmt.where(AuditRecord.target_type == target_type)
    if target_id:
        stmt = stmt.where(AuditRecord.target_id == target_id)
    if since:
        stmt = stmt.where(AuditRecord.created_at >= since)
    if until:
        stmt = stmt.where(AuditRecord.created_at < until)
    return stmt.order_by(AuditRecord.created_at.desc(), AuditRecord.id.desc())
