"""What the webhook views do, between parsing and answering: tenant checks, secrets, the
private-address rule for URLs written as IP literals, and committing."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from api import audit, settings
from api.security import current_principal
from core.outbound import refused_literal
from core.signing import generate_secret
from storage.db import db
from storage.errors import Conflict, Unprocessable
from storage.models.identity import User
from storage.models.webhooks import CallbackSecret, WebhookDelivery, WebhookEndpoint
from storage.tenancy import get_owned
from storage.webhooks import callbacks, deliveries, endpoints, events


def _check_destination(url: str) -> None:
    """Refuse a URL whose host is a literal internal address now, rather than at every
    delivery; hostnames are checked when delivering, since DNS answers change."""
    if settings().webhook_allow_private_networks:
        return
    if refused_literal(url) is not None:
        raise Unprocessable(
            "Webhook URLs may not point at private, loopback or link-local addresses.",
            code="webhook_url_not_allowed",
        )


def create_endpoint(data: dict[str, Any]) -> WebhookEndpoint:
    _check_destination(data["url"])
    endpoint = endpoints.create_endpoint(
        db.session,
        current_principal().organisation_id,
        url=data["url"],
        event_types=data["events"],
        format=data["format"],
        description=data["description"],
        lms_base_url=data.get("lms_base_url"),
        actor_lms=data.get("actor_lms"),
        new_secret=generate_secret,
        **_lrs_auth(data.get("lrs_auth")),
    )
    audit.record(
        "webhook_endpoint.created",
        target_type="webhook_endpoint",
        target_id=endpoint.id,
        after=audit.snapshot(endpoint, audit.ENDPOINT_FIELDS),
    )
    db.session.commit()
    return endpoint


def _lrs_auth(given: dict[str, Any] | None) -> dict[str, str | None]:
    """The stored form of an LRS's credentials (encrypted by the column)."""
    if not given:
        return {"lrs_auth_scheme": None, "lrs_credentials": None}
    if given["scheme"] == "basic":
        return {
            "lrs_auth_scheme": "basic",
            "lrs_credentials": f"{given['username']}:{given['password']}",
        }
    if given["scheme"] == "oauth":
        fields = {k: given.get(k) for k in ("token_url", "client_id", "client_secret", "scope")}
        return {"lrs_auth_scheme": "oauth", "lrs_credentials": json.dumps(fields)}
    return {"lrs_auth_scheme": "bearer", "lrs_credentials": given["token"]}


def get_endpoint(endpoint_id: str) -> WebhookEndpoint:
    return endpoints.get_endpoint(db.session, current_principal().organisation_id, endpoint_id)


def update_endpoint(endpoint_id: str, data: dict[str, Any]) -> WebhookEndpoint:
    if "url" in data:
        _check_destination(data["url"])
    changes = dict(data)
    if "events" in changes:
        changes["event_types"] = changes.pop("events")
    if "lrs_auth" in changes:
        changes.update(_lrs_auth(changes.pop("lrs_auth")))
    endpoint = get_endpoint(endpoint_id)
    before = audit.snapshot(endpoint, audit.ENDPOINT_FIELDS)
    endpoint = endpoints.update_endpoint(db.session, endpoint, changes)
    audit.record_change(
        "webhook_endpoint.updated",
        endpoint,
        before,
        target_type="webhook_endpoint",
        fields=audit.ENDPOINT_FIELDS,
    )
    if "lrs_credentials" in changes:
        # The credentials are never summarised; that they changed is.
        audit.record(
            "webhook_endpoint.lrs_credentials_changed",
            target_type="webhook_endpoint",
            target_id=endpoint.id,
        )
    db.session.commit()
    return endpoint


def delete_endpoint(endpoint_id: str) -> None:
    endpoint = get_endpoint(endpoint_id)
    audit.record(
        "webhook_endpoint.deleted",
        target_type="webhook_endpoint",
        target_id=endpoint.id,
        before=audit.snapshot(endpoint, audit.ENDPOINT_FIELDS),
    )
    endpoints.delete_endpoint(db.session, endpoint)
    db.session.commit()


def rotate_secret(endpoint_id: str, overlap_seconds: int | None) -> WebhookEndpoint:
    endpoint = endpoints.get_endpoint(
        db.session, current_principal().organisation_id, endpoint_id, for_update=True
    )
    overlap = (
        settings().webhook_secret_overlap_seconds if overlap_seconds is None else overlap_seconds
    )
    endpoints.rotate_secret(
        db.session, endpoint, new_secret=generate_secret, overlap_seconds=overlap
    )
    audit.record(
        "webhook_endpoint.secret_rotated",
        target_type="webhook_endpoint",
        target_id=endpoint.id,
        after={"overlap_seconds": overlap},
    )
    db.session.commit()
    return endpoint


def send_test(endpoint_id: str) -> WebhookDelivery:
    """A `webhook.test` event delivered to this endpoint only."""
    principal = current_principal()
    endpoint = get_endpoint(endpoint_id)
    if not endpoint.enabled:
        raise Conflict(
            "The webhook endpoint is disabled; enable it first.", code="webhook_disabled"
        )
    _, created = events.record_event(
        db.session,
        principal.organisation_id,
        "webhook.test",
        {
            "endpoint_id": endpoint.id,
            "message": "A test message from the platform.",
            "requested_by": principal.id,
        },
        user_id=principal.user_id,
        only_endpoint=endpoint,
    )
    db.session.commit()
    return created[0]


def redeliver(delivery_id: str) -> WebhookDelivery:
    original = deliveries.get_delivery(db.session, current_principal().organisation_id, delivery_id)
    copy = deliveries.redeliver(db.session, original)
    events.dispatch_after_commit(db.session, [copy.id])
    db.session.commit()
    return copy


def reveal_callback_secret() -> dict[str, Any]:
    row, secret = callbacks.reveal(db.session, current_principal().organisation_id)
    db.session.commit()
    return _callback_view(row, secret)


def rotate_callback_secret(overlap_seconds: int | None) -> dict[str, Any]:
    overlap = (
        settings().webhook_secret_overlap_seconds if overlap_seconds is None else overlap_seconds
    )
    row = callbacks.rotate(
        db.session,
        current_principal().organisation_id,
        new_secret=generate_secret,
        overlap_seconds=overlap,
    )
    audit.record(
        "callback_secret.rotated",
        target_type="callback_secret",
        target_id=None,
        after={"overlap_seconds": overlap},
    )
    db.session.commit()
    return _callback_view(row, row.secret)


def _callback_view(row: CallbackSecret | None, secret: str | None) -> dict[str, Any]:
    if row is None:
        return {
            "secret": None,
            "created_at": None,
            "rotated_at": None,
            "previous_secret_expires_at": None,
        }
    return {
        "secret": secret,
        "created_at": row.created_at,
        "rotated_at": row.rotated_at,
        "previous_secret_expires_at": row.previous_secret_expires_at,
    }


def lms_identity(user_id: str) -> dict[str, Any]:
    user = get_owned(db.session, User, user_id, current_principal().organisation_id, what="user")
    return {"user_id": user.id, "external_id": user.external_id}


def set_lms_identity(user_id: str, external_id: str | None) -> dict[str, Any]:
    organisation_id = current_principal().organisation_id
    user = get_owned(db.session, User, user_id, organisation_id, what="user")
    if external_id is not None:
        taken = db.session.scalar(
            select(User.id).where(
                User.organisation_id == organisation_id,
                User.external_id == external_id,
                User.id != user.id,
            )
        )
        if taken:
            raise Conflict("Another member already has this LMS id.", code="external_id_taken")
    user.external_id = external_id
    db.session.commit()
    return {"user_id": user.id, "external_id": user.external_id}
