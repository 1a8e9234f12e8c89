"""Partner endpoints: create, change, disable, and rotate their signing secrets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from storage.db import utcnow
from storage.errors import Conflict
from storage.ids import new_id
from storage.models.webhooks import WebhookDelivery, WebhookEndpoint
from storage.tenancy import get_owned, tenant_select
from storage.webhooks import endpointcache

SecretFactory = Callable[[], str]
MAX_ENDPOINTS = 50
_EDITABLE = (
    "url",
    "description",
    "event_types",
    "format",
    "lms_base_url",
    "actor_lms",
    "lrs_auth_scheme",
    "lrs_credentials",
)


def live_secrets(
    secret: str,
    previous: str | None,
    previous_expires_at: datetime | None,
    now: datetime | None = None,
) -> list[str]:
    """The secrets that sign a message now: the current one, and the previous one while its
    overlap lasts (the receiver may not have switched yet)."""
    now = now or utcnow()
    secrets = [secret]
    if previous and previous_expires_at and previous_expires_at > now:
        secrets.append(previous)
    return secrets


def create_endpoint(
    session: Session,
    organisation_id: str,
    *,
    url: str,
    event_types: list[str],
    format: str,
    description: str = "",
    lms_base_url: str | None = None,
    actor_lms: str | None = None,
    new_secret: SecretFactory,
    lrs_auth_scheme: str | None = None,
    lrs_credentials: str | None = None,
) -> WebhookEndpoint:
    count = (
        session.scalar(
            select(func.count()).select_from(
                tenant_select(WebhookEndpoint, organisation_id).subquery()
            )
        )
        or 0
    )
    if count >= MAX_ENDPOINTS:
        raise Conflict(
            f"An organisation can have at most {MAX_ENDPOINTS} webhook endpoints.",
            code="webhook_limit_reached",
        )
    now = utcnow()
    endpoint = WebhookEndpoint(
        id=new_id("whk"),
        organisation_id=organisation_id,
        url=url,
        description=description,
        event_types=sorted(set(event_types)),
        format=format,
        lms_base_url=lms_base_url,
        actor_lms=actor_lms,
        lrs_auth_scheme=lrs_auth_scheme,
        lrs_credentials=lrs_credentials,
        secret=new_secret(),
        enabled=True,
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    session.flush()
    return endpoint


def get_endpoint(
    session: Session, organisation_id: str, endpoint_id: str, *, for_update: bool = False
) -> WebhookEndpoint:
    return get_owned(
        session,
        WebhookEndpoint,
        endpoint_id,
        organisation_id,
        what="webhook",
        for_update=for_update,
    )


def list_query(organisation_id: str) -> Select:
    return tenant_select(WebhookEndpoint, organisation_id).order_by(
        WebhookEndpoint.created_at.desc(), WebhookEndpoint.id.desc()
    )


def update_endpoint(
    session: Session, endpoint: WebhookEndpoint, changes: dict[str, Any]
) -> WebhookEndpoint:
    """Change the editable fields; `enabled: true` re-enables a disabled endpoint and starts
    its failure clock afresh."""
    for name in _EDITABLE:
        if name in changes:
            value = changes[name]
            setattr(endpoint, name, sorted(set(value)) if name == "event_types" else value)
    if "enabled" in changes:
        if changes["enabled"] and not endpoint.enabled:
            endpoint.enabled = True
            endpoint.disabled_reason = endpoint.disabled_at = endpoint.failing_since = None
        elif not changes["enabled"] and endpoint.enabled:
            disable(session, endpoint.id, "Disabled by the organisation.")
            session.refresh(endpoint)
    endpoint.updated_at = utcnow()
    session.flush()
    return endpoint


def delete_endpoint(session: Session, endpoint: WebhookEndpoint) -> None:
    session.delete(endpoint)
    session.flush()


def rotate_secret(
    session: Session, endpoint: WebhookEndpoint, *, new_secret: SecretFactory, overlap_seconds: int
) -> str:
    """A new secret; the old one keeps signing for `overlap_seconds` (0 ends it at once)."""
    now = utcnow()
    endpoint.previous_secret = endpoint.secret if overlap_seconds > 0 else None
    endpoint.previous_secret_expires_at = (
        now + timedelta(seconds=overlap_seconds) if overlap_seconds > 0 else None
    )
    endpoint.secret = new_secret()
    endpoint.updated_at = now
    session.flush()
    return endpoint.secret


def disable(session: Session, endpoint_id: str, reason: str) -> bool:
    """Disable the endpoint and cancel what still waits for it. False when it already was."""
    now = utcnow()
    result = session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.enabled.is_(True))
        .values(enabled=False, disabled_reason=reason, disabled_at=now, updated_at=now)
        .execution_options(synchronize_session=False, **endpointcache.KEEPS_ENABLED)
    )
    if result.rowcount != 1:
        return False
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.state == "pending")
        .values(
            state="canceled",
            error="endpoint_disabled",
            error_detail=reason,
            next_attempt_at=None,
            finished_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return True


def record_health(
    session: Session, endpoint_id: str, *, succeeded: bool, disable_after_seconds: int
) -> str | None:
    """Track the endpoint's run of failures; disable it once the run lasts longer than
    `disable_after_seconds`. Returns the reason when this call disabled it."""
    now = utcnow()
    if succeeded:
        session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id)
            .values(failing_since=None)
            .execution_options(synchronize_session=False, **endpointcache.KEEPS_ENABLED)
        )
        return None
    session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.failing_since.is_(None))
        .values(failing_since=now)
        .execution_options(synchronize_session=False, **endpointcache.KEEPS_ENABLED)
    )
    cutoff = now - timedelta(seconds=disable_after_seconds)
    endpoint = session.get(WebhookEndpoint, endpoint_id, populate_existing=True)
    if endpoint is None or not endpoint.enabled or endpoint.failing_since is None:
        return None
    if endpoint.failing_since > cutoff:
        return None
    reason = (
        f"Every delivery failed since {endpoint.failing_since.isoformat()} "
        f"(longer than {disable_after_seconds} s)."
    )
    return reason if disable(session, endpoint_id, reason) else None
