"""The audit log seen from a request: who is acting (the signed-in user or API key) and
from where (request id, client address), written into the request's transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import g, has_request_context, request
from sqlalchemy import select

from api.security import current_principal
from storage import audit
from storage.db import db
from storage.models.audit import AuditRecord
from storage.models.identity import User


def request_actor() -> audit.ActedBy:
    principal = current_principal()
    return audit.ActedBy(
        organisation_id=principal.organisation_id,
        type="api_key" if principal.is_api_key else "user",
        id=principal.id,
        role=None if principal.is_api_key else principal.role,
        request_id=getattr(g, "request_id", None) if has_request_context() else None,
        ip=request.remote_addr if has_request_context() else None,
    )


def record(
    action: str,
    *,
    target_type: str,
    target_id: str | None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditRecord:
    """Record an action of the caller in the current transaction (the view commits)."""
    return audit.record(
        db.session,
        request_actor(),
        action,
        target_type=target_type,
        target_id=target_id,
        before=before,
        after=after,
    )


# What a summary shows of each kind of target: settings and ids, never a secret column.
MEMBER_FIELDS = ("role", "is_active")
API_KEY_FIELDS = ("name", "prefix", "scopes", "revoked")
ENDPOINT_FIELDS = (
    "url",
    "description",
    "event_types",
    "format",
    "lms_base_url",
    "actor_lms",
    "lrs_auth_scheme",
    "enabled",
)
snapshot = audit.snapshot
changed = audit.changed


def snapshot_member(organisation_id: str, user_id: str) -> dict[str, Any] | None:
    """The member's summarised fields before an action (None when there is no such member:
    the action then fails on its own)."""
    member = db.session.scalar(
        select(User).where(User.organisation_id == organisation_id, User.id == user_id)
    )
    return audit.snapshot(member, MEMBER_FIELDS) if member is not None else None


def record_change(
    action: str,
    row: Any,
    before: Mapping[str, Any] | None,
    *,
    target_type: str,
    fields: tuple[str, ...] = MEMBER_FIELDS,
) -> AuditRecord | None:
    """Record what `action` changed of `row` since `before`; nothing when nothing changed."""
    was, now = audit.changed(before or {}, audit.snapshot(row, fields))
    if not now:
        return None
    return record(action, target_type=target_type, target_id=row.id, before=was, after=now)
