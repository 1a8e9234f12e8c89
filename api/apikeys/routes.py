"""API keys for partner clients (organisation admins)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api import audit
from api.apikeys.schemas import ApiKeyCreateSchema, ApiKeySchema, IssuedApiKeySchema
from api.pagination import PageArgs, page_schema, paginate
from api.security import auth_required, current_principal, current_user
from storage import identity
from storage.actor import ADMIN
from storage.db import db
from storage.models.identity import ApiKey
from storage.tenancy import tenant_select

blp = Blueprint(
    "api_keys",
    __name__,
    url_prefix="/api/v1/api-keys",
    description="Keys that let partner systems call the API.",
)


@blp.route("")
class ApiKeys(MethodView):
    @auth_required((ADMIN,))
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(ApiKeySchema))
    def get(self, args: dict):
        """List the organisation's API keys (secrets are never shown again)."""
        stmt = tenant_select(ApiKey, current_principal().organisation_id).order_by(
            ApiKey.created_at.desc(), ApiKey.id
        )
        return paginate(db.session, stmt, args["page"], args["per_page"])

    @auth_required((ADMIN,))
    @blp.arguments(ApiKeyCreateSchema)
    @blp.response(201, IssuedApiKeySchema)
    def post(self, data: dict):
        """Create an API key; its secret is returned once."""
        issued = identity.create_api_key(
            db.session, current_user(), name=data["name"], scopes=data["scopes"]
        )
        key = issued.api_key
        audit.record(
            "api_key.created",
            target_type="api_key",
            target_id=key.id,
            after=audit.snapshot(key, audit.API_KEY_FIELDS),
        )
        db.session.commit()
        return {
            **{name: getattr(key, name) for name in ApiKeySchema().fields},
            "key": issued.secret,
        }


@blp.route("/<key_id>")
class ApiKeyView(MethodView):
    @auth_required((ADMIN,))
    @blp.response(200, ApiKeySchema)
    def delete(self, key_id: str):
        """Revoke an API key."""
        key = identity.revoke_api_key(db.session, current_principal().organisation_id, key_id)
        if db.session.is_modified(key):  # revoking a revoked key changes nothing to record
            audit.record(
                "api_key.revoked",
                target_type="api_key",
                target_id=key.id,
                before={"revoked": False},
                after=audit.snapshot(key, audit.API_KEY_FIELDS),
            )
        db.session.commit()
        return key
