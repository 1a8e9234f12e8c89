"""Job submission and reading as the API does it: tenant and owner checks, enqueue after
commit, the 202 answer, and long polling."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from flask import g, request, url_for

from api import quotas as plan_quotas
from api import ratelimit
from api.jobs import waits
from api.security import Principal, current_principal
from core.outbound import check_url, refused_literal
from storage import jobs as job_service
from storage import learners, quotas
from storage.actor import LEARNER
from storage.db import after_commit, db, kept_through_commit, utcnow
from storage.errors import Forbidden, NotFound, Unprocessable
from storage.models.jobs import Job
from storage.tenancy import get_owned
from workers import engine, runtime

RETRY_AFTER_SECONDS = 1
MAX_WAIT = 30
_PREFER_WAIT = re.compile(r"(?:^|[,;\s])wait=(\d+)")
WAITED_DESCRIPTION = "With `Prefer: wait=N` (up to 30 s): the job finished in time."


def requested_wait(query_wait: int | None = None) -> int:
    """`?wait=N` or `Prefer: wait=N` (RFC 7240), capped at 30 seconds."""
    if query_wait is not None:
        return query_wait
    match = _PREFER_WAIT.search(request.headers.get("Prefer", ""))
    if match is None:
        return 0
    # Any number of digits is a long wait, capped; int() of thousands of digits would fail.
    digits = match.group(1).lstrip("0") or "0"
    return MAX_WAIT if len(digits) > 3 else min(int(digits), MAX_WAIT)


def submit(
    job_type: str,
    input: dict[str, Any],
    *,
    callback_url: str | None = None,
    learner: str | dict[str, Any] | None = None,
    on_created: Callable[[Job], None] | None = None,
) -> tuple[Job, int, dict[str, str]]:
    """Create the job row, commit, then send: the 202 answer of every job-creating POST.

    `learner` is what the request said about the learner (see storage.learners); the job
    records the learner it resolves to. `on_created` is called with the new job before the
    commit, so rows that name it are written in the same transaction.

    With `Prefer: wait=N` the request is held until the job ends or N seconds pass, and a job
    that ended in time is answered with 200 (RFC 7240's `Preference-Applied` says so).
    """
    principal = current_principal()
    if callback_url is not None:
        check_callback(principal, callback_url)
    # Read before the job is written: nothing about the answer may fail after the commit.
    wait = requested_wait()
    ratelimit.check("submit", principal.organisation_id)
    learner_id = learners.resolve(db.session, principal, learner)
    quota_charge = reserve_quota(principal.organisation_id, learner_id, job_type, input)
    job = job_service.new_job(
        engine.job_spec(job_type),
        organisation_id=principal.organisation_id,
        input=input,
        owner_user_id=principal.user_id,
        owner_api_key_id=principal.api_key_id,
        learner_user_id=learner_id,
        idempotency_key=request.headers.get("Idempotency-Key"),
        callback_url=callback_url,
    )
    if quota_charge is not None:
        job.quota_charge = quota_charge
    if on_created is not None:
        on_created(job)
    # The answer shows the job as submitted, without reading back the row just written.
    if db.session().in_transaction():
        # What this request read or wrote before commits with the job, in one transaction.
        db.session.add(job)
        db.session.flush()
        sent_at = runtime.enqueue_after_commit(db.session, job)
        with kept_through_commit(job, inserted=True) as kept:
            db.session.commit()
            kept["enqueued_at"] = sent_at()
    else:
        job.enqueued_at = runtime.insert_and_send(job, on_committed=_committed)
    _committed(job.id)
    headers = accepted_headers(job)
    if not wait:
        return job, 202, headers
    job = wait_for(job.id, wait)
    if not g.get("wait_refused"):
        headers["Preference-Applied"] = f"wait={wait}"
    if job.terminal:
        headers.pop("Retry-After", None)
        return job, 200, headers
    return job, 202, headers


def reserve_quota(
    organisation_id: str, learner_id: str | None, job_type: str, input: dict[str, Any]
) -> dict[str, Any] | None:
    """Check the plan has the feature and room for the media the job will store, and count
    the submission against it (429 `quota_exceeded` over a limit); what was counted goes
    with the job, to be settled when it ends.

    The plan comes from the process's plan cache (no row read); the counters are changed
    by one statement."""
    charge = quotas.charge_of(db.session, organisation_id, job_type, input)
    stores_media = quotas.makes_media(
        job_type, input, runtime.get().settings.conversation_speak_replies
    )
    if not charge and not stores_media and job_type not in quotas.FEATURE_OF_TYPE:
        return None
    plan = plan_quotas.plan_of(organisation_id)
    quotas.check_feature(plan, job_type)  # 403 `feature_not_in_plan`
    if stores_media:
        plan_quotas.require_room(organisation_id, plan)
    if not charge:
        return None
    counted = quotas.reserve(
        db.session, organisation_id, learner_id, charge, quotas.plan_limits(plan), utcnow()
    )
    return {"plan": plan, "charge": charge, "counted": counted}


def _committed(job_id: str) -> None:
    g.committed_job_id = job_id  # from here on, an Idempotency-Key replays this job


def check_callback(principal: Principal, url: str) -> None:
    """A callback is signed with the organisation's callback secret: only staff and API keys
    may name where it goes (as only administrators configure webhooks on GitHub or
    Stripe), and a destination refused at delivery is refused now, with a clear error."""
    if principal.role == LEARNER and not principal.is_api_key:
        raise Forbidden(
            "Learners cannot ask for callbacks; poll the job or ask an admin to "
            "configure a webhook.",
            code="callback_not_allowed",
        )
    problem = check_url(url)
    if problem is None and not runtime.get().settings.webhook_allow_private_networks:
        problem = refused_literal(url)
    if problem is not None:
        raise Unprocessable(
            f"callback_url: {problem}.",
            code="callback_url_invalid",
            details={"errors": {"callback_url": [problem]}},
        )


def accepted_headers(job: Job) -> dict[str, str]:
    return {
        "Location": url_for("jobs.JobView", job_id=job.id),
        "Retry-After": str(RETRY_AFTER_SECONDS),
    }


def visible_job(job_id: str, principal: Principal | None = None) -> Job:
    """A job of the caller's organisation; learners only see their own (submitted by them
    or about them)."""
    principal = principal or current_principal()
    job = get_owned(db.session, Job, job_id, principal.organisation_id, what="job")
    if principal.role == LEARNER and principal.user_id not in (
        job.owner_user_id,
        job.learner_user_id,
    ):
        raise NotFound(f"No job with id {job_id!r}.", code="job_not_found")
    return job


def wait_for(job_id: str, seconds: float) -> Job:
    """Hold until the job is terminal or `seconds` pass, woken by change notifications.

    The transaction is ended before every sleep, so a waiting request holds no pooled
    database connection; it takes one only for the moment of each re-read. A caller already
    holding MAX_CONCURRENT_WAITS long polls is answered at once."""
    job = visible_job(job_id)
    if job.terminal or seconds <= 0:
        return job
    principal = current_principal()
    rt = runtime.get()
    with waits.wait_slot(rt.redis, rt.settings.queue_prefix, principal.id) as may_wait:
        if not may_wait:
            g.wait_refused = True
            return job
        subscription = rt.notifier.subscribe(job_id)
        deadline = time.monotonic() + seconds
        try:
            while True:
                # Read once the subscription is in place, so a job that ended between the
                # first read and the subscription is answered now, not at the next re-read.
                # The commit ends the snapshot (the read sees the worker's commits).
                db.session.commit()
                job = visible_job(job_id, principal)
                left = deadline - time.monotonic()
                if job.terminal or left <= 0:
                    return job
                # Returns the connection to the pool for the sleep; re-read at least every
                # 2 s in case a notification was missed.
                db.session.commit()
                subscription.wait(min(left, 2.0))
        finally:
            subscription.close()


def cancel(job_id: str) -> Job:
    job = visible_job(job_id)
    job_service.cancel(db.session, job)
    after_commit(db.session, lambda: runtime.notify_job(job_id))
    db.session.commit()
    return job


def retry(job_id: str) -> tuple[Job, int, dict[str, str]]:
    job = visible_job(job_id)
    spec = engine.job_spec(job.type)
    job_service.retry(db.session, job, spec.actor, spec.queue)
    runtime.enqueue_after_commit(db.session, job)
    db.session.commit()
    return job, 202, accepted_headers(job)


def etag(job: Job) -> str:
    return f'"{job.id}.{job.version}"'
