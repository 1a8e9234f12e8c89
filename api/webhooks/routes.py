"""Webhooks to partner systems: endpoints, their delivery logs, tests and redeliveries, the
event log for reconciliation, the callback secret, and learners' LMS ids."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from api.pagination import PageArgs, page_schema, paginate
from api.security import auth_required, current_principal
from api.webhooks import service
from api.webhooks.schemas import (
    CallbackSecretSchema,
    CreatedEndpointSchema,
    DeliveryArgs,
    DeliveryListArgs,
    DeliverySchema,
    EndpointCreateSchema,
    EndpointSchema,
    EndpointUpdateSchema,
    EventArgs,
    EventSchema,
    LmsIdentitySchema,
    RotatedSecretSchema,
    RotateSecretSchema,
)
from storage.actor import ADMIN
from storage.db import db
from storage.webhooks import deliveries, endpoints, events

blp = Blueprint(
    "webhooks",
    __name__,
    url_prefix="/api/v1",
    description="Signed webhooks (Standard Webhooks) to partner systems, with "
    "xAPI and LTI AGS formats for LMSs.",
)

MANAGE = "webhooks:manage"


@blp.route("/webhooks")
class Endpoints(MethodView):
    @auth_required((ADMIN,), scope=MANAGE)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(EndpointSchema))
    def get(self, args: dict):
        """List the organisation's webhook endpoints."""
        stmt = endpoints.list_query(current_principal().organisation_id)
        return paginate(db.session, stmt, args["page"], args["per_page"])

    @auth_required((ADMIN,), scope=MANAGE)
    @blp.arguments(EndpointCreateSchema)
    @blp.response(201, CreatedEndpointSchema)
    def post(self, data: dict):
        """Register an endpoint; the answer holds its signing secret, shown once."""
        return service.create_endpoint(data)


@blp.route("/webhooks/<endpoint_id>")
class EndpointView(MethodView):
    @auth_required((ADMIN,), scope=MANAGE)
    @blp.response(200, EndpointSchema)
    def get(self, endpoint_id: str):
        """Read an endpoint (its secret is never shown again)."""
        return service.get_endpoint(endpoint_id)

    @auth_required((ADMIN,), scope=MANAGE)
    @blp.arguments(EndpointUpdateSchema)
    @blp.response(200, EndpointSchema)
    def patch(self, data: dict, endpoint_id: str):
        """Change an endpoint, or disable / re-enable it."""
        return service.update_endpoint(endpoint_id, data)

    @auth_required((ADMIN,), scope=MANAGE)
    @blp.response(204)
    def delete(self, endpoint_id: str):
        """Delete an endpoint and its delivery log."""
        service.delete_endpoint(endpoint_id)


@blp.route("/webhooks/<endpoint_id>/rotate-secret")
class RotateSecret(MethodView):
    @auth_required((ADMIN,), scope=MANAGE)
    @blp.arguments(RotateSecretSchema)
    @blp.response(200, RotatedSecretSchema)
    def post(self, data: dict, endpoint_id: str):
        """New signing secret; the old one keeps signing during the overlap period."""
        endpoint = service.rotate_secret(endpoint_id, data.get("overlap_seconds"))
        return {
            "secret": endpoint.secret,
            "previous_secret_expires_at": endpoint.previous_secret_expires_at,
        }


@blp.route("/webhooks/<endpoint_id>/deliveries")
class EndpointDeliveries(MethodView):
    @auth_required((ADMIN,), scope=MANAGE)
    @blp.arguments(DeliveryArgs, location="query")
    @blp.response(200, page_schema(DeliverySchema))
    def get(self, args: dict, endpoint_id: str):
        """The endpoint's delivery log, newest first, with every attempt."""
        endpoint = service.get_endpoint(endpoint_id)
        stmt = deliveries.list_query(
            endpoint.organisation_id, endpoint_id=endpoint.id, state=args.get("state")
        )
        return paginate(db.session, stmt, args["page"], args["per_page"])


@blp.route("/webhooks/<endpoint_id>/test")
class TestEndpoint(MethodView):
    @auth_required((ADMIN,), scope=MANAGE)
    @blp.response(202, DeliverySchema)
    def post(self, endpoint_id: str):
        """Send a `webhook.test` event to this endpoint."""
        return service.send_test(endpoint_id)


@blp.route("/webhook-deliveries")
class Deliveries(MethodView):
    @auth_required((ADMIN,), scope=MANAGE)
    @blp.arguments(DeliveryListArgs, location="query")
    @blp.response(200, page_schema(DeliverySchema))
    def get(self, args: dict):
        """Every delivery (endpoints and job callback URLs), newest first."""
        stmt = deliveries.list_query(
            current_principal().organisation_id,
            endpoint_id=args.get("endpoint_id"),
            event_id=args.get("event_id"),
            state=args.get("state"),
            callbacks_only=bool(args.get("callbacks")),
        )
        return paginate(db.session, stmt, args["page"], args["per_page"])


@blp.route("/webhook-deliveries/<delivery_id>")
class DeliveryView(MethodView):
    @auth_required((ADMIN,), scope=MANAGE)
    @blp.response(200, DeliverySchema)
    def get(self, delivery_id: str):
        """Read one delivery with its attempts."""
        return deliveries.get_delivery(db.session, current_principal().organisation_id, delivery_id)


@blp.route("/webhook-deliveries/<delivery_id>/retry")
class RetryDelivery(MethodView):
    @auth_required((ADMIN,), scope=MANAGE)
    @blp.response(202, DeliverySchema)
    def post(self, delivery_id: str):
        """Deliver the same message again (same webhook-id and body) as a new delivery."""
        return service.redeliver(delivery_id)


@blp.route("/events")
class Events(MethodView):
    @auth_required((ADMIN,), scope=MANAGE)
    @blp.arguments(EventArgs, location="query")
    @blp.response(200, page_schema(EventSchema))
    def get(self, args: dict):
        """The organisation's events, oldest first, to reconcile what a partner missed."""
        stmt = events.list_query(
            current_principal().organisation_id,
            event_type=args.get("type"),
            since=args.get("since"),
            until=args.get("until"),
            job_id=args.get("job_id"),
        )
        return paginate(db.session, stmt, args["page"], args["per_page"])


@blp.route("/callback-secret")
class CallbackSecretView(MethodView):
    @auth_required((ADMIN,), scope=MANAGE)
    @blp.response(200, CallbackSecretSchema)
    def get(self):
        """The secret signing job callbacks: shown here once if it was made on demand."""
        return service.reveal_callback_secret()


@blp.route("/callback-secret/rotate")
class RotateCallbackSecret(MethodView):
    @auth_required((ADMIN,), scope=MANAGE)
    @blp.arguments(RotateSecretSchema)
    @blp.response(200, CallbackSecretSchema)
    def post(self, data: dict):
        """Create or replace the callback secret; the old one signs during the overlap."""
        return service.rotate_callback_secret(data.get("overlap_seconds"))


@blp.route("/lms-identities/<user_id>")
class LmsIdentity(MethodView):
    @auth_required((ADMIN,), scope=MANAGE)
    @blp.response(200, LmsIdentitySchema)
    def get(self, user_id: str):
        """A member's id in the partner LMS (xAPI actor, LTI AGS userId)."""
        return service.lms_identity(user_id)

    @auth_required((ADMIN,), scope=MANAGE)
    @blp.arguments(LmsIdentitySchema)
    @blp.response(200, LmsIdentitySchema)
    def put(self, data: dict, user_id: str):
        """Set or clear a member's id in the partner LMS."""
        return service.set_lms_identity(user_id, data["external_id"])
