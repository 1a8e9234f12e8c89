"""The audit log of the caller's organisation (organisation admins)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api.audit.schemas import AuditArgs, AuditRecordSchema
from api.pagination import page_schema, paginate
from api.security import auth_required, current_principal
from storage import audit
from storage.actor import ADMIN
from storage.db import db

blp = Blueprint(
    "audit",
    __name__,
    url_prefix="/api/v1/admin/audit",
    description="Append-only records of admin and teacher actions.",
)


@blp.route("")
class AuditLog(MethodView):
    @auth_required((ADMIN,))
    @blp.arguments(AuditArgs, location="query")
    @blp.response(200, page_schema(AuditRecordSchema))
    def get(self, args: dict):
        """The organisation's audit records, newest first, filtered by action, actor or time."""
        filters = {
            k: args.get(k)
            for k in ("action", "actor_id", "target_type", "target_id", "since", "until")
        }
        stmt = audit.list_query(current_principal().organisation_id, **filters)
        return paginate(db.session, stmt, args["page"], args["per_page"])
