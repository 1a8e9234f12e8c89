"""LTI jobs: the roster of a course (NRPS) synchronised into the organisation's learners."""

from __future__ import annotations

from pipelines.errors import PipelineError, TransientError
from storage import learners
from storage.errors import Conflict
from storage.models.lti import LtiPlatform, LtiResourceLink
from workers.engine import JobContext, Outcome, job_actor
from workers.webhooks import ags

LEARNER_ROLES = ("#Learner", "/Learner", "Learner")


@job_actor(
    "lti_roster_sync", name="lti_roster_sync", queue="webhooks", max_attempts=4, lease_seconds=300
)
def lti_roster_sync(ctx: JobContext) -> Outcome:
    link = ctx.session.get(LtiResourceLink, ctx.input["link_id"])
    if link is None or not link.memberships_url:
        raise PipelineError(
            "lti_no_roster_service", "The resource link has no Names and Role service."
        )
    platform = ctx.session.get(LtiPlatform, link.platform_id)
    ctx.report("reading roster", 10)
    client = ags.AgsClient(
        ctx.session,
        platform,
        timeout=ctx.settings.webhook_timeout_seconds,
        allow_private=ctx.settings.webhook_allow_private_networks,
    )
    members = ags.roster(client, link.memberships_url)
    if isinstance(members, ags.Step):
        result = members.result
        detail = result.detail or f"HTTP {result.status}"
        if result.status is not None and 400 <= result.status < 500 and result.status != 429:
            raise PipelineError("lti_roster_refused", f"The LMS refused: {detail}")
        raise TransientError("lti_roster_unavailable", f"The LMS did not answer: {detail}")
    ctx.report("syncing learners", 60)
    created = updated = skipped = 0
    for member in members:
        roles = member.get("roles") or []
        active = (member.get("status") or "Active") == "Active"
        if not active or not any(r.endswith(LEARNER_ROLES) for r in roles):
            skipped += 1
            continue
        given = {
            "lms": platform.id,
            "external_id": str(member["user_id"]),
            "name": member.get("name"),
        }
        try:
            with ctx.session.begin_nested():
                done = learners.upsert(
                    ctx.session, platform.organisation_id, email=member.get("email"), **given
                )
        except Conflict:  # the email belongs to another account: keep the learner without
            done = learners.upsert(ctx.session, platform.organisation_id, **given)
        created, updated = created + done.created, updated + (not done.created)
    return Outcome(
        {
            "members": len(members),
            "learners_created": created,
            "learners_updated": updated,
            "skipped": skipped,
            "resource_link_id": link.resource_link_id,
        },
        provider="lti-nrps",
    )
