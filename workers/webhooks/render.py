"""Turn an event into the bytes one endpoint receives, in the endpoint's format.

Rendering happens once, on a delivery's first attempt; the body is stored on the delivery
so every retry sends the same bytes under the same `webhook-id`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models.identity import User
from storage.models.lms import LmsIdentity
from storage.models.lti import LtiResourceLink
from storage.models.webhooks import WebhookEndpoint, WebhookEvent
from workers.webhooks import content_formats, formats

JSON = "application/json"
LTI_SCORE = "application/vnd.ims.lis.v1.score+json"


@dataclass(frozen=True)
class Rendered:
    body: str | None
    content_type: str
    # Why nothing is sent (the event has no meaning in the endpoint's format).
    skipped: str | None = None


# A lone UTF-16 surrogate is no text: it cannot be stored, encoded or signed. The API refuses
# it at the edge; one that got into an event by another path (an old row, a provider's answer)
# becomes U+FFFD here, so the delivery still goes out instead of failing forever.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
STUDY_STATEMENTS = {
    "study.session.ended": formats.xapi_session_statement,
    "study.review.recorded": formats.xapi_review_statement,
    **content_formats.STATEMENTS,
}


def dumps(payload: dict[str, Any]) -> str:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return _LONE_SURROGATE.sub("\ufffd", body)


def lms_home_page(endpoint: WebhookEndpoint | None) -> str:
    if endpoint is not None and endpoint.lms_base_url:
        return endpoint.lms_base_url
    if endpoint is None:
        return ""
    parts = urlsplit(endpoint.url)
    return f"{parts.scheme}://{parts.netloc}"


def extra_headers(format: str) -> dict[str, str]:
    """Headers the receiving protocol expects besides the signature."""
    if format == "xapi":
        return {"X-Experience-API-Version": formats.XAPI_VERSION}
    return {}


def actor_name(
    session: Session, learner: User | None, endpoint: WebhookEndpoint | None
) -> str | None:
    """How a statement names its learner: their id in the endpoint's `actor_lms` (the LMS
    the LRS belongs to) when they have one there, else their own `external_id`, else the
    platform's user id."""
    if learner is None:
        return None
    if endpoint is not None and endpoint.actor_lms:
        known = session.scalar(
            select(LmsIdentity.external_id).where(
                LmsIdentity.user_id == learner.id, LmsIdentity.lms == endpoint.actor_lms
            )
        )
        if known:
            return known
    return learner.external_id or learner.id


def assessed_job(event: WebhookEvent) -> dict[str, Any] | None:
    """The job an event reports as an assessment result: the finished job itself, or, for a
    teacher's review, the job with the reviewed result (events recorded before reviews
    carried it have none)."""
    if event.type == "job.succeeded":
        return event.data
    if event.type == "result.reviewed" and isinstance(event.data.get("job"), dict):
        return event.data["job"]
    return None


def render(
    session: Session,
    event: WebhookEvent,
    endpoint: WebhookEndpoint | None,
    format: str,
    platform_base_url: str,
) -> Rendered:
    if format == "standard":
        payload = formats.standard(event.type, event.created_at, event.data)
        return Rendered(dumps(payload), JSON)
    content_type = LTI_SCORE if format == "lti_ags" else JSON
    learner = session.get(User, event.user_id) if event.user_id else None
    home = lms_home_page(endpoint)
    actor = actor_name(session, learner, endpoint)
    if event.type == "webhook.test":
        name = actor or "webhook-test"
        if format == "xapi":
            payload = formats.xapi_test_statement(
                message_id=event.id,
                account_name=name,
                lms_base_url=home,
                platform_base_url=platform_base_url,
                timestamp=event.created_at,
            )
        else:
            payload = formats.lti_test_score(account_name=name, timestamp=event.created_at)
        return Rendered(dumps(payload), content_type)
    if format == "xapi" and event.type in STUDY_STATEMENTS:
        if learner is None:
            return Rendered(None, content_type, skipped="the record has no learner")
        build = STUDY_STATEMENTS[event.type]
        payload = build(
            event.data, account_name=actor, lms_base_url=home, platform_base_url=platform_base_url
        )
        return Rendered(dumps(payload), content_type)
    job = assessed_job(event)
    if job is None:
        return Rendered(None, content_type, skipped=f"{event.type} has no {format} form")
    if learner is None:
        return Rendered(None, content_type, skipped="the job has no learner to report on")
    outcome = formats.outcome_from_job(
        job,
        learner_id=learner.id,
        learner_external_id=actor,
        lms_base_url=home,
        platform_base_url=platform_base_url,
    )
    if outcome.score is None:
        return Rendered(None, content_type, skipped="the job's result is not an assessment")
    if format == "xapi":
        return Rendered(dumps(formats.xapi_statement(outcome)), content_type)
    return Rendered(dumps(formats.lti_ags_score(outcome)), content_type)


def render_grade(
    session: Session, event: WebhookEvent, link: LtiResourceLink, platform_base_url: str
) -> Rendered:
    """The AGS score of a finished assessment for the learner's line item on one LTI
    platform: `userId` is the learner's `sub` there."""
    job = assessed_job(event)
    if job is None or not event.user_id:
        return Rendered(None, LTI_SCORE, skipped="the job has no learner to report on")
    sub = session.scalar(
        select(LmsIdentity.external_id).where(
            LmsIdentity.user_id == event.user_id, LmsIdentity.lms == link.platform_id
        )
    )
    if sub is None:
        return Rendered(None, LTI_SCORE, skipped="the learner has no id on this platform")
    outcome = formats.outcome_from_job(
        job,
        learner_id=event.user_id,
        learner_external_id=sub,
        lms_base_url="",
        platform_base_url=platform_base_url,
    )
    if outcome.score is None:
        return Rendered(None, LTI_SCORE, skipped="the job's result is not an assessment")
    return Rendered(dumps(formats.lti_ags_score(outcome)), LTI_SCORE)
