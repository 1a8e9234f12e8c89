"""Plan quotas checked on each request: API requests a minute per API key (and premium
features for work that is not a job). Counted in Redis
(shared by every API process) in fixed one-minute windows, so the count is exact however
many requests race; over the plan's number the answer is 429 `quota_exceeded` with the
limit, the use and when the minute resets."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

from flask import current_app

from storage import quotas
from storage.db import db
from storage.media import uploads
from storage.models.identity import Organisation
from storage.models.media import Media
from workers import runtime

WINDOW_SECONDS = 60


def plan_of(organisation_id: str) -> str:
    """The organisation's plan, or the DEFAULT_PLAN setting."""
    organisation = db.session.get(Organisation, organisation_id)
    return (organisation.plan if organisation is not None else None) or current_app.extensions[
        "settings"
    ].default_plan


def require_feature(organisation_id: str, job_type: str) -> None:
    """403 `feature_not_in_plan` for work the organisation's plan does not include (for
    work that is not a job; submissions check it with their quota)."""
    quotas.check_feature(plan_of(organisation_id), job_type)


def check_api_key(organisation_id: str, api_key_id: str) -> None:
    """Count one request of the key against its organisation's plan."""
    plan = plan_of(organisation_id)
    limit = quotas.API_REQUESTS_PER_MINUTE[plan]
    if not limit:
        return
    now = time.time()
    counted = current_app.extensions["rate_limiter"].count_window(
        f"quota:api_requests:{api_key_id}", limit, WINDOW_SECONDS, now
    )
    if counted is None or counted[0]:
        return
    _, used, ends = counted
    resets_at = datetime.fromtimestamp(ends, UTC)
    raise quotas.QuotaExceeded(
        f"The plan's limit of {limit} API requests a minute for this key is reached.",
        details={
            "quota": {
                "scope": "api_key",
                "period": "minute",
                "metric": "api_requests",
                "limit": limit,
                "used": used,
                "requested": 1,
                "resets_at": resets_at.isoformat(),
            }
        },
        headers={"Retry-After": str(max(1, math.ceil(ends - now)))},
    )


def check_storage(media: Media) -> quotas.QuotaExceeded | None:
    """The organisation's media, this upload included, within its plan's bytes; else the
    upload's object is removed, its row marked rejected (`quota_exceeded`), and the error
    returned for the caller to raise once it has committed (or rolled back) the row."""
    if media.status != "ready":
        return None
    limit = quotas.STORAGE_LIMITS[plan_of(media.organisation_id)]
    if not limit:
        return None
    try:
        quotas.check_storage(db.session, media, limit)
    except quotas.QuotaExceeded as exceeded:
        uploads.reject_stored(runtime.object_store(), media, exceeded.code, exceeded.message)
        return exceeded
    return None
