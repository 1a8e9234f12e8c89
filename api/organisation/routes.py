"""The caller's organisation: invites and members (organisation admins)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api import audit, mail, settings
from api.organisation.schemas import (
    InviteCreateSchema,
    InviteSchema,
    IssuedInviteSchema,
    MemberArgs,
    MemberSchema,
    MemberUpdateSchema,
    OrganisationSchema,
)
from api.pagination import PageArgs, page_schema, paginate
from api.security import ANY_ROLE, auth_required, current_principal, current_user
from storage import identity
from storage.actor import ADMIN
from storage.db import db
from storage.models.identity import Invite, Organisation
from storage.tenancy import tenant_select


def _fields(row: object, schema: type) -> dict:
    """The row's raw values for the schema's fields (the response decorator serialises)."""
    return {name: getattr(row, name) for name in schema().fields}


blp = Blueprint(
    "organisation",
    __name__,
    url_prefix="/api/v1/organisation",
    description="The caller's organisation, its members and invites.",
)


@blp.route("")
class OrganisationView(MethodView):
    @auth_required(ANY_ROLE)
    @blp.response(200, OrganisationSchema)
    def get(self):
        """The caller's organisation."""
        return db.session.get(Organisation, current_principal().organisation_id)

    @auth_required((ADMIN,))
    @blp.arguments(OrganisationSchema)
    @blp.response(200, OrganisationSchema)
    def patch(self, data: dict):
        """Rename the organisation."""
        organisation = db.session.get(Organisation, current_principal().organisation_id)
        before = {"name": organisation.name}
        organisation.name = data.get("name", organisation.name)
        if organisation.name != before["name"]:
            audit.record(
                "organisation.renamed",
                target_type="organisation",
                target_id=organisation.id,
                before=before,
                after={"name": organisation.name},
            )
        db.session.commit()
        return organisation


@blp.route("/invites")
class Invites(MethodView):
    @auth_required((ADMIN,))
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(InviteSchema))
    def get(self, args: dict):
        """List the organisation's invites."""
        stmt = tenant_select(Invite, current_principal().organisation_id).order_by(
            Invite.created_at.desc()
        )
        return paginate(db.session, stmt, args["page"], args["per_page"])

    @auth_required((ADMIN,))
    @blp.arguments(InviteCreateSchema)
    @blp.response(201, IssuedInviteSchema)
    def post(self, data: dict):
        """Invite a teacher, learner or admin; the code is shown once, and mailed to `email`."""
        admin = current_user()
        issued = identity.create_invite(
            db.session,
            admin,
            role=data["role"],
            email=data.get("email"),
            ttl_seconds=settings().invite_ttl,
        )
        if issued.invite.email:
            mail.send_invite(issued, admin)
        audit.record(
            "invite.created",
            target_type="invite",
            target_id=issued.invite.id,
            after={
                "role": issued.invite.role,
                "emailed": bool(issued.invite.email),
                "expires_at": issued.invite.expires_at,
            },
        )
        db.session.commit()
        return {
            **_fields(issued.invite, InviteSchema),
            "code": issued.code,
            "emailed": issued.invite.email is not None,
        }


@blp.route("/invites/<invite_id>")
class InviteView(MethodView):
    @auth_required((ADMIN,))
    @blp.response(204)
    def delete(self, invite_id: str):
        """Revoke an invite."""
        invite = identity.revoke_invite(db.session, current_principal().organisation_id, invite_id)
        audit.record(
            "invite.revoked",
            target_type="invite",
            target_id=invite.id,
            after={"role": invite.role, "revoked": True},
        )
        db.session.commit()


@blp.route("/members")
class Members(MethodView):
    @auth_required((ADMIN,))
    @blp.arguments(MemberArgs, location="query")
    @blp.response(200, page_schema(MemberSchema))
    def get(self, args: dict):
        """List the organisation's members."""
        stmt = identity.members_query(current_principal().organisation_id, args.get("role"))
        return paginate(db.session, stmt, args["page"], args["per_page"])


@blp.route("/members/<user_id>")
class Member(MethodView):
    @auth_required((ADMIN,))
    @blp.arguments(MemberUpdateSchema)
    @blp.response(200, MemberSchema)
    def patch(self, data: dict, user_id: str):
        """Change a member's role."""
        admin = current_user()
        before = audit.snapshot_member(admin.organisation_id, user_id)
        member = identity.change_role(db.session, admin, user_id, data["role"])
        audit.record_change("member.role_changed", member, before, target_type="user")
        db.session.commit()
        return member


@blp.route("/members/<user_id>/deactivate")
class DeactivateMember(MethodView):
    @auth_required((ADMIN,))
    @blp.response(200, MemberSchema)
    def post(self, user_id: str):
        """Deactivate a member: they can no longer sign in."""
        admin = current_user()
        before = audit.snapshot_member(admin.organisation_id, user_id)
        member = identity.deactivate_member(db.session, admin, user_id)
        audit.record_change("member.deactivated", member, before, target_type="user")
        db.session.commit()
        return member
