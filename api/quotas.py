"""Plan quotas checked on each request: API requests a minute per API key (and premium
features for work that is not a job). Counted in Redis
(shared by every API process) in fixed one-minute windows, so the count is exact however
many requests race; over the plan's number the answer is 429 `quota_exceeded` with the
limit, the use and when the minute resets.

The organisation's plan is read through a per-process cache (storage.plancache,
PLAN_CACHE_SECONDS) kept honest across processes by a Redis channel (api.cachesync): a
commit that changes a plan empties this process's copies at once and the others' as soon as
they hear it."""

from __future__ import annotations

import math
import time
import weakref
from datetime import UTC, datetime

from flask import Flask, current_app

from api import cachesync
from storage import plancache, quotas
from storage.db import db
from storage.media import uploads
from storage.models.media import Media
from workers import runtime

WINDOW_SECONDS = 60
CHANNEL = "plans-changed"
_caches: weakref.WeakSet[plancache.PlanCache] = weakref.WeakSet()


def plan_of(organisation_id: str) -> str:
    """The organisation's plan, or the DEFAULT_PLAN setting: from this process's cache, or
    one column read by primary key (no ORM object)."""
    cache: plancache.PlanCache | None = current_app.extensions.get("plan_cache")
    if cache is not None:
        plan = cache.get(organisation_id)
        if plan is not None:
            return plan
        cachesync.ensure_listener(CHANNEL, _clear_all)
        generation = cache.generation
    found, plan = plancache.read_plan(db.session, organisation_id)
    plan = plan or current_app.extensions["settings"].default_plan
    if cache is not None and found:
        cache.put(organisation_id, plan, generation)
    return plan


def _clear_all() -> None:
    for cache in list(_caches):
        cache.clear()


def _announce() -> None:
    """After a commit that changed a plan: this process at once, the others through
    Redis."""
    _clear_all()
    cachesync.announce(CHANNEL)


def init_app(app: Flask, seconds: float) -> None:
    plancache.changes.set_listeners([_announce])
    if seconds <= 0:
        return
    cache = plancache.PlanCache(seconds)
    _caches.add(cache)
    app.extensions["plan_cache"] = cache


def require_feature(organisation_id: str, job_type: str) -> None:
    """403 `feature_not_in_plan` for work the organisation's plan does not include (for
    work that is not a job; submissions check it with their quota)."""
    quotas.check_feature(plan_of(organisation_id), job_type)


def require_room(organisation_id: str, plan: str | None = None) -> None:
    """429 `quota_exceeded` (`storage_bytes`) for work that stores media while the
    organisation's media fill its plan's storage (see storage.quotas.check_room)."""
    limit = quotas.STORAGE_LIMITS[plan or plan_of(organisation_id)]
    if limit:
        quotas.check_room(db.session, organisation_id, limit)


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
