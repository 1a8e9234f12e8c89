"""Classes: the teachers and learners of the organisation who work together."""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from api.classes.schemas import (
    ClassCreateSchema,
    ClassMemberListSchema,
    ClassSchema,
    MembersAddSchema,
)
from api.pagination import PageArgs, page_schema, paginate
from api.security import STAFF, auth_required, current_principal
from storage import classes
from storage.actor import ADMIN
from storage.db import db

blp = Blueprint(
    "classes",
    __name__,
    url_prefix="/api/v1/classes",
    description="Classes: their teachers and learners (teachers and admins).",
)


def staff() -> classes.Staff:
    """The teacher or admin calling, or an API key with `classes:read` / `classes:write`
    (which acts as an admin: every class of the organisation)."""
    principal = current_principal()
    return classes.Staff(
        principal.organisation_id,
        principal.user_id,
        is_admin=principal.role == ADMIN or principal.is_api_key,
    )


def member_rows(rows: list) -> dict:
    return {
        "items": [
            {
                "user_id": user.id,
                "role": member.role,
                "email": user.email,
                "name": user.name,
                "external_id": user.external_id,
            }
            for member, user in rows
        ]
    }


@blp.route("")
class Classes(MethodView):
    @auth_required(STAFF, scope="classes:read")
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(ClassSchema))
    def get(self, args: dict):
        """List the classes the caller teaches (an admin: every class)."""
        return paginate(db.session, classes.list_classes(staff()), args["page"], args["per_page"])

    @auth_required(STAFF, scope="classes:write")
    @blp.arguments(ClassCreateSchema)
    @blp.response(201, ClassSchema)
    def post(self, data: dict):
        """Create a class; its creator becomes one of its teachers."""
        created = classes.create_class(db.session, staff(), data)
        db.session.commit()
        return created, 201, {"Location": url_for("classes.ClassView", class_id=created.id)}


@blp.route("/<class_id>")
class ClassView(MethodView):
    @auth_required(STAFF, scope="classes:read")
    @blp.response(200, ClassSchema)
    def get(self, class_id: str):
        """Read one class."""
        return classes.get_class(db.session, staff(), class_id)

    @auth_required(STAFF, scope="classes:write")
    @blp.response(204)
    def delete(self, class_id: str):
        """Delete a class with its assignments (the jobs and their results stay)."""
        classes.delete_class(db.session, staff(), class_id)
        db.session.commit()


@blp.route("/<class_id>/members")
class Members(MethodView):
    @auth_required(STAFF, scope="classes:read")
    @blp.response(200, ClassMemberListSchema)
    def get(self, class_id: str):
        """List the class's teachers and learners."""
        classes.get_class(db.session, staff(), class_id)
        return member_rows(classes.members(db.session, class_id))

    @auth_required(STAFF, scope="classes:write")
    @blp.arguments(MembersAddSchema)
    @blp.response(200, ClassMemberListSchema)
    def post(self, data: dict, class_id: str):
        """Add users of the organisation as teachers or learners (by id or email)."""
        rows = classes.add_members(
            db.session, staff(), class_id, data["role"], data["user_ids"], data["emails"]
        )
        db.session.commit()
        return member_rows(rows)


@blp.route("/<class_id>/members/<user_id>")
class Member(MethodView):
    @auth_required(STAFF, scope="classes:write")
    @blp.response(204)
    def delete(self, class_id: str, user_id: str):
        """Remove a member from the class."""
        classes.remove_member(db.session, staff(), class_id, user_id)
        db.session.commit()
