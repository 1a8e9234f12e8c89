"""One delivery attempt, the dispatch of delivery messages, and the sweeper for lost ones.

An attempt claims the delivery (pending -> sending), renders its body once, signs it with
the live secrets (two during a rotation overlap) and posts it through the guarded client.
The retry policy then decides: done, try again later (a delayed broker message), exhausted,
failed for good, or disable the endpoint (410). An endpoint whose deliveries keep failing
for longer than WEBHOOK_DISABLE_AFTER_SECONDS is disabled.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import dramatiq
from flask import current_app
from sqlalchemy.orm import Session

from core import outbound as http
from core.signing import generate_secret, signed_headers
from storage.db import after_commit, db, utcnow
from storage.lti import AGS_FORMAT
from storage.models.lti import LtiPlatform, LtiResourceLink
from storage.models.webhooks import WebhookDelivery, WebhookEndpoint
from storage.webhooks import callbacks, deliveries, endpoints, events
from workers import engine, runtime
from workers.webhooks import ags
from workers.webhooks.render import extra_headers, render, render_grade
from workers.webhooks.schedule import Decision, Outcome, RetryPolicy

log = logging.getLogger(__name__)

ACTOR_NAME = "deliver_webhook"
QUEUE = "webhooks"
# Time a worker may hold a claimed delivery beyond the request timeout before the sweeper
# assumes it died.
LEASE_MARGIN_SECONDS = 60


def retry_policy(settings: Any) -> RetryPolicy:
    return RetryPolicy(schedule=tuple(settings.webhook_retry_schedule))


def send(delivery_id: str, delay_seconds: float = 0.0) -> bool:
    """Send the delivery's broker message; False when the broker is unreachable (the
    sweeper sends it later)."""
    message = dramatiq.Message(
        queue_name=engine.actor_queue(ACTOR_NAME),
        actor_name=ACTOR_NAME,
        args=(delivery_id,),
        kwargs={},
        options={},
    )
    try:
        runtime.get().broker.enqueue(message, delay=int(delay_seconds * 1000) or None)
    except Exception as exc:
        log.warning(
            "webhook delivery %s: broker send failed (%s); the sweeper will re-send",
            delivery_id,
            type(exc).__name__,
        )
        return False
    return True


def dispatch(delivery_ids: list[str], delay_seconds: float = 0.0) -> None:
    """Send each delivery's message and record that it was sent (on a session of its own,
    since this runs after the creating transaction committed)."""
    sent = [delivery_id for delivery_id in delivery_ids if send(delivery_id, delay_seconds)]
    if sent:
        with Session(db.engine) as session, session.begin():
            deliveries.mark_enqueued(session, sent)


def first_dispatch(delivery_ids: list[str]) -> None:
    """Send new deliveries (the webhook events' dispatcher, see workers.wiring)."""
    settings = current_app.extensions["settings"]
    dispatch(delivery_ids, retry_policy(settings).first_delay())


def attempt(delivery_id: str) -> None:
    """Make one attempt at a delivery (the body of the `deliver_webhook` actor)."""
    settings = current_app.extensions["settings"]
    session = db.session
    delivery = deliveries.claim(
        session, delivery_id, lease_seconds=settings.webhook_timeout_seconds + LEASE_MARGIN_SECONDS
    )
    if delivery is None:
        session.rollback()
        log.info("webhook delivery %s: not due or already handled, message skipped", delivery_id)
        return
    if delivery.format == AGS_FORMAT and delivery.endpoint_id is None:
        # A grade for an LTI resource link (an `lti_ags` endpoint posts signed, as others).
        _attempt_grade(session, delivery, settings)
        return
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id) if delivery.endpoint_id else None
    if delivery.endpoint_id and (endpoint is None or not endpoint.enabled):
        deliveries.finish_without_attempt(
            session,
            delivery,
            state="canceled",
            error="endpoint_disabled",
            detail=endpoint.disabled_reason if endpoint else "The endpoint was deleted.",
        )
        session.commit()
        return
    if delivery.body is None:
        rendered = render(
            session, delivery.event, endpoint, delivery.format, settings.public_base_url
        )
        if rendered.body is None:
            deliveries.finish_without_attempt(
                session,
                delivery,
                state="skipped",
                error="not_applicable",
                detail=rendered.skipped or "",
            )
            session.commit()
            return
        delivery.body, delivery.content_type = rendered.body, rendered.content_type
    lrs_auth: dict[str, str] = {}
    lrs_oauth: str | None = None
    if endpoint is not None:
        secrets = endpoints.live_secrets(
            endpoint.secret, endpoint.previous_secret, endpoint.previous_secret_expires_at
        )
        url = endpoint.url
        if endpoint.lrs_auth_scheme == "oauth":
            lrs_oauth = endpoint.lrs_credentials
        else:
            lrs_auth = lrs_authorization(endpoint.lrs_auth_scheme, endpoint.lrs_credentials)
    else:
        row = callbacks.ensure(session, delivery.organisation_id, generate_secret)
        secrets = endpoints.live_secrets(
            row.secret, row.previous_secret, row.previous_secret_expires_at
        )
        url = delivery.url
    message_id, body, number = delivery.event_id, delivery.body, delivery.attempts
    headers = {
        "Content-Type": delivery.content_type or "application/json",
        **extra_headers(delivery.format),
        **lrs_auth,
    }
    endpoint_id = delivery.endpoint_id
    # Commit the claim and the rendered body before the network call, so no transaction
    # stays open while the receiver takes its time.
    session.commit()

    started = utcnow()
    headers.update(signed_headers(secrets, message_id, int(time.time()), body))
    # With an LRS's OAuth credentials: a cached token, and on a 401 one new token and one
    # more try (the LRS may have revoked or expired it early).
    for fresh in (False, True) if lrs_oauth else (False,):
        if lrs_oauth:
            token = lrs_oauth_token(lrs_oauth, settings, fresh=fresh)
            if isinstance(token, http.PostResult):  # the LRS's token endpoint refused
                decision = retry_policy(settings).decide(
                    number, token.status, token.headers, error=token.error
                )
                _record(
                    session,
                    delivery_id,
                    endpoint_id,
                    json.loads(lrs_oauth)["token_url"],
                    started,
                    token,
                    decision,
                    settings,
                )
                return
            headers["Authorization"] = f"Bearer {token}"
        result = http.post(
            url,
            body.encode("utf-8"),
            headers,
            timeout=settings.webhook_timeout_seconds,
            allow_private=settings.webhook_allow_private_networks,
        )
        if result.status != 401:
            break
    decision = retry_policy(settings).decide(
        number, result.status, result.headers, error=result.error
    )
    _record(session, delivery_id, endpoint_id, url, started, result, decision, settings)


def lrs_authorization(scheme: str | None, credentials: str | None) -> dict[str, str]:
    """The Authorization header an LRS expects, from the endpoint's stored credentials."""
    if not scheme or not credentials:
        return {}
    if scheme == "basic":
        return {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}
    return {"Authorization": f"Bearer {credentials}"}


# LRS access tokens of this process, by a digest of the credentials that obtained them (new
# credentials, new token): (token, monotonic time after which it is not used).
_lrs_tokens: dict[str, tuple[str, float]] = {}
_lrs_tokens_lock = threading.Lock()
# A token is not used in its last minute: the statement must not race its expiry.
LRS_TOKEN_MARGIN = 60


def lrs_oauth_token(stored: str, settings: Any, *, fresh: bool = False) -> str | http.PostResult:
    """An access token of the LRS's OAuth2 client-credentials grant (client id and secret
    as HTTP Basic, RFC 6749 section 2.3.1), reused until shortly before it expires;
    `fresh` asks for a new one."""
    key = hashlib.sha256(stored.encode()).hexdigest()
    with _lrs_tokens_lock:
        cached = _lrs_tokens.pop(key, None) if fresh else _lrs_tokens.get(key)
    if cached is not None and not fresh and cached[1] > time.monotonic():
        return cached[0]
    answer = _request_lrs_token(stored, settings)
    if isinstance(answer, tuple):
        token, lifetime = answer
        with _lrs_tokens_lock:
            _lrs_tokens[key] = (token, time.monotonic() + lifetime - LRS_TOKEN_MARGIN)
        return token
    return answer


def _request_lrs_token(stored: str, settings: Any) -> tuple[str, float] | http.PostResult:
    given = json.loads(stored)
    pair = f"{given['client_id']}:{given['client_secret']}".encode()
    form = {"grant_type": "client_credentials"}
    if given.get("scope"):
        form["scope"] = given["scope"]
    result = http.request(
        "POST",
        given["token_url"],
        urlencode(form).encode(),
        {
            "Authorization": "Basic " + base64.b64encode(pair).decode(),
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        },
        timeout=settings.webhook_timeout_seconds,
        allow_private=settings.webhook_allow_private_networks,
        body_limit=64 * 1024,
    )
    if result.error or result.status is None or not 200 <= result.status < 300:
        return (
            result
            if result.error
            else http.PostResult(
                status=result.status,
                headers=result.headers,
                body=result.body,
                duration_ms=result.duration_ms,
                error=None,
                address=result.address,
                detail=f"the LRS token request was refused: HTTP {result.status}",
            )
        )
    try:
        answer = json.loads(result.body)
        lifetime = float(answer.get("expires_in") or 3600)
        return str(answer["access_token"]), lifetime
    except (ValueError, KeyError, TypeError, AttributeError):
        return http.PostResult(
            status=result.status,
            error="protocol_error",
            detail="the LRS token answer has no access_token",
        )


def _attempt_grade(session: Session, delivery: WebhookDelivery, settings: Any) -> None:
    """An LTI AGS score for one resource link, sent with the LMS's access token."""
    link = session.get(LtiResourceLink, delivery.lti_link_id) if delivery.lti_link_id else None
    if link is None:
        deliveries.finish_without_attempt(
            session,
            delivery,
            state="canceled",
            error="resource_link_deleted",
            detail="The LTI resource link was deleted.",
        )
        session.commit()
        return
    if delivery.body is None:
        rendered = render_grade(session, delivery.event, link, settings.public_base_url)
        if rendered.body is None:
            deliveries.finish_without_attempt(
                session,
                delivery,
                state="skipped",
                error="not_applicable",
                detail=rendered.skipped or "",
            )
            session.commit()
            return
        delivery.body, delivery.content_type = rendered.body, rendered.content_type
    delivery_id, body, number, link_id = delivery.id, delivery.body, delivery.attempts, link.id
    session.commit()

    started = utcnow()
    link = session.get(LtiResourceLink, link_id)
    platform = session.get(LtiPlatform, link.platform_id)
    client = ags.AgsClient(
        session,
        platform,
        timeout=settings.webhook_timeout_seconds,
        allow_private=settings.webhook_allow_private_networks,
    )
    step = client.deliver(link, body)
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is not None:
        delivery.url = step.url or delivery.url
    decision = retry_policy(settings).decide(
        number, step.result.status, step.result.headers, error=step.result.error
    )
    _record(session, delivery_id, None, step.url, started, step.result, decision, settings)


def _record(
    session: Session,
    delivery_id: str,
    endpoint_id: str | None,
    url: str,
    started: datetime,
    result: http.PostResult,
    decision: Decision,
    settings: Any,
) -> None:
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        # The endpoint (and with it its deliveries) was deleted during the attempt.
        session.rollback()
        log.info("webhook delivery %s: deleted while being sent", delivery_id)
        return
    record = deliveries.AttemptRecord(
        url=url,
        started_at=started,
        status=result.status,
        body=result.body,
        duration_ms=result.duration_ms,
        error=result.error,
        detail=result.detail,
        address=result.address,
    )
    outcome = decision.outcome
    if outcome is Outcome.SUCCEEDED:
        deliveries.record_attempt(session, delivery, record, state="succeeded")
    elif outcome is Outcome.RETRY:
        next_at = utcnow() + timedelta(seconds=decision.delay)
        deliveries.record_attempt(
            session,
            delivery,
            record,
            state="pending",
            next_attempt_at=next_at,
            reason=decision.reason,
        )
        delay = decision.delay
        after_commit(session, lambda: dispatch([delivery_id], delay))
    elif outcome is Outcome.EXHAUSTED:
        deliveries.record_attempt(
            session, delivery, record, state="exhausted", reason=decision.reason
        )
    else:  # DISABLE (410) or FAILED (unusable URL)
        deliveries.record_attempt(session, delivery, record, state="failed", reason=decision.reason)
    if endpoint_id is not None:
        if outcome is Outcome.DISABLE:
            endpoints.disable(
                session,
                endpoint_id,
                f"The receiver answered {result.status} Gone; it asked to stop.",
            )
        else:
            endpoints.record_health(
                session,
                endpoint_id,
                succeeded=outcome is Outcome.SUCCEEDED,
                disable_after_seconds=settings.webhook_disable_after_seconds,
            )
    session.commit()
    log.info(
        "webhook delivery %s: attempt %s -> %s (%s)",
        delivery_id,
        delivery.attempts,
        outcome.value,
        decision.reason,
    )


def resend_lost() -> None:
    """Scheduled: re-send deliveries whose broker message never left or went missing."""
    session = db.session
    lost = deliveries.take_lost(session)
    ids = [delivery.id for delivery in lost]
    session.commit()
    if ids:
        log.info("webhook sweeper: re-sending %s deliveries", len(ids))
        dispatch(ids)


def purge_old_events() -> None:
    """Scheduled: drop events (and their deliveries) past the retention period."""
    session = db.session
    removed = events.purge_older_than(
        session, utcnow() - timedelta(days=events.EVENT_RETENTION_DAYS)
    )
    session.commit()
    if removed:
        log.info("webhook events: %s past retention removed", removed)
