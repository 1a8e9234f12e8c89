"""LTI 1.3 Advantage: the LMS platforms an organisation registered, the values an LMS admin
registers the tool with, and the tool's public keys."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from flask.views import MethodView
from flask_smorest import Blueprint

from api import audit, settings
from api.jobs import submission
from api.jobs.decorators import submits_job
from api.lti import launch
from api.lti.schemas import (
    JwksSchema,
    PlatformCreateSchema,
    PlatformSchema,
    PlatformUpdateSchema,
    RosterSyncSchema,
    ToolConfigSchema,
)
from api.pagination import PageArgs, page_schema, paginate
from api.security import auth_required, current_principal
from core.outbound import is_public_address
from storage import lti
from storage.actor import ADMIN
from storage.db import db
from storage.errors import Unprocessable

blp = Blueprint(
    "lti",
    __name__,
    url_prefix="",
    description="LTI 1.3 Advantage (tool side): platform registrations, the tool's "
    "registration values and its public keys.",
)

ADMINS = (ADMIN,)
PLATFORM_URLS = ("auth_login_url", "token_url", "jwks_url")


def _check_urls(data: dict) -> None:
    """The LMS URLs the platform calls may not be literal internal addresses (hostnames are
    checked by the guarded client when it connects)."""
    if settings().webhook_allow_private_networks:
        return
    for name in PLATFORM_URLS:
        host = urlsplit(data.get(name) or "").hostname or ""
        try:
            ipaddress.ip_address(host)
        except ValueError:
            continue
        if not is_public_address(host):
            raise Unprocessable(
                f"`{name}` may not point at a private, loopback or link-local address.",
                code="lti_url_not_allowed",
            )


@blp.route("/.well-known/jwks.json")
class Jwks(MethodView):
    @blp.response(200, JwksSchema, headers={"Cache-Control": {"schema": {"type": "string"}}})
    def get(self):
        """The tool's public keys (RS256), for LMSs to verify what the tool signs."""
        keys = lti.jwks(db.session)
        db.session.commit()  # the first key is created on first use
        return keys, 200, {"Cache-Control": "public, max-age=300"}


@blp.route("/lti/login", methods=["GET", "POST"])
class LtiLogin(MethodView):
    @blp.response(302, description="To the LMS's authorisation endpoint.")
    def get(self):
        """LTI 1.3 OIDC login initiation (third-party initiated login) from the LMS."""
        return launch.login()

    @blp.response(302, description="To the LMS's authorisation endpoint.")
    def post(self):
        """LTI 1.3 OIDC login initiation, as a form post."""
        return launch.login()


@blp.route("/lti/launch")
class LtiLaunch(MethodView):
    @blp.response(200, description="The task page, with a session for the learner.")
    def post(self):
        """LTI 1.3 launch: checks the id_token, records learner and link, starts the task."""
        return launch.launch()


@blp.route("/lti/deep-link")
class LtiDeepLink(MethodView):
    @blp.response(200, description="An auto-submitting form back to the LMS.")
    def post(self):
        """LTI Deep Linking: place the chosen speaking or writing task in the course."""
        return launch.deep_link()


@blp.route("/api/v1/lti/tool")
class ToolConfig(MethodView):
    @auth_required(ADMINS)
    @blp.response(200, ToolConfigSchema)
    def get(self):
        """The values to register the tool with in Moodle, Canvas or another LMS."""
        base = settings().public_base_url.rstrip("/")
        return {
            "jwks_url": f"{base}/.well-known/jwks.json",
            "login_url": f"{base}/lti/login",
            "launch_url": f"{base}/lti/launch",
            "scopes": [lti.SCOPE_LINEITEM, lti.SCOPE_SCORE, lti.SCOPE_MEMBERSHIPS],
        }


@blp.route("/api/v1/lti/platforms")
class Platforms(MethodView):
    @auth_required(ADMINS)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(PlatformSchema))
    def get(self, args: dict):
        """List the organisation's LMS platform registrations."""
        stmt = lti.platforms_query(current_principal().organisation_id)
        return paginate(db.session, stmt, args["page"], args["per_page"])

    @auth_required(ADMINS)
    @blp.arguments(PlatformCreateSchema)
    @blp.response(201, PlatformSchema)
    def post(self, data: dict):
        """Register an LMS platform (issuer, client id, deployments, its three URLs)."""
        _check_urls(data)
        platform = lti.create_platform(db.session, current_principal().organisation_id, data)
        audit.record(
            "lti_platform.created",
            target_type="lti_platform",
            target_id=platform.id,
            after=audit.snapshot(platform, lti.PLATFORM_FIELDS),
        )
        db.session.commit()
        return platform


@blp.route("/api/v1/lti/platforms/<platform_id>/roster-syncs")
class RosterSyncs(MethodView):
    @submits_job(blp, RosterSyncSchema, roles=ADMINS, scope=None)
    def post(self, data: dict, platform_id: str):
        """Synchronise a course's roster (LTI Names and Role Provisioning) as a job."""
        link = lti.link_of(
            db.session, current_principal().organisation_id, platform_id, data["resource_link_id"]
        )
        return submission.submit(
            "lti_roster_sync", {"platform_id": platform_id, "link_id": link.id}
        )


@blp.route("/api/v1/lti/platforms/<platform_id>")
class PlatformView(MethodView):
    @auth_required(ADMINS)
    @blp.response(200, PlatformSchema)
    def get(self, platform_id: str):
        """Read a platform registration."""
        return lti.get_platform(db.session, current_principal().organisation_id, platform_id)

    @auth_required(ADMINS)
    @blp.arguments(PlatformUpdateSchema)
    @blp.response(200, PlatformSchema)
    def patch(self, data: dict, platform_id: str):
        """Change a platform registration (its cached access token is dropped)."""
        _check_urls(data)
        organisation_id = current_principal().organisation_id
        before = audit.snapshot(
            lti.get_platform(db.session, organisation_id, platform_id), lti.PLATFORM_FIELDS
        )
        platform = lti.update_platform(db.session, organisation_id, platform_id, data)
        audit.record_change(
            "lti_platform.updated",
            platform,
            before,
            target_type="lti_platform",
            fields=lti.PLATFORM_FIELDS,
        )
        db.session.commit()
        return platform

    @auth_required(ADMINS)
    @blp.response(204)
    def delete(self, platform_id: str):
        """Remove a platform registration with its resource links and launches."""
        platform = lti.get_platform(db.session, current_principal().organisation_id, platform_id)
        audit.record(
            "lti_platform.deleted",
            target_type="lti_platform",
            target_id=platform.id,
            before=audit.snapshot(platform, lti.PLATFORM_FIELDS),
        )
        db.session.delete(platform)
        db.session.commit()
