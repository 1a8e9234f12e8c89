"""Registration, login, token refresh and logout, and the caller's own account."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_jwt_extended import get_jwt
from flask_smorest import Blueprint
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError

from api import mail, ratelimit, settings, tokens
from api.auth.schemas import (
    LoginSchema,
    MeSchema,
    MeUpdateSchema,
    PasswordChangeSchema,
    PasswordResetAcceptedSchema,
    PasswordResetConfirmSchema,
    PasswordResetRequestSchema,
    RefreshSchema,
    RegisteredSchema,
    RegisterSchema,
    TokenSchema,
)
from api.security import auth_required, current_user
from storage import identity, password_reset
from storage.db import db
from storage.errors import Conflict, Unauthorized, Unprocessable

blp = Blueprint(
    "auth",
    __name__,
    url_prefix="/api/v1/auth",
    description="Accounts, tokens and the caller's profile.",
)


_LOGIN_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": LoginSchema},
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "required": ["username", "password"],
                "properties": {
                    "username": {"type": "string"},
                    "password": {"type": "string"},
                    "grant_type": {"type": "string"},
                },
            }
        },
    },
}


@blp.route("/register")
class Register(MethodView):
    @blp.arguments(RegisterSchema)
    @blp.response(201, RegisteredSchema)
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    def post(self, data: dict):
        """Create an account: the admin of a new organisation, or a member by invite."""
        ratelimit.check("register", ratelimit.client_address())
        try:
            user = identity.register(db.session, **data)
        except IntegrityError:
            # Two registrations of one email at once: the loser trips the unique index.
            db.session.rollback()
            if identity.email_registered(db.session, data["email"]):
                raise Conflict(
                    "An account with this email already exists.", code="email_taken"
                ) from None
            raise
        answer = tokens.issue_tokens(user)
        db.session.commit()
        return {**answer, "user": user}


@blp.route("/login")
class Login(MethodView):
    @blp.doc(requestBody=_LOGIN_BODY)
    @blp.response(200, TokenSchema)
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    def post(self):
        """Exchange email and password for an access and a refresh token."""
        payload = request.get_json() if request.is_json else request.form.to_dict()
        try:
            data = LoginSchema().load(payload or {})
        except ValidationError as exc:
            raise Unprocessable(
                "The request has invalid or unknown fields.",
                details={"errors": exc.normalized_messages()},
            ) from None
        address = ratelimit.client_address()
        ratelimit.check("login_address", address)
        ratelimit.check("login", f"{data['email'].strip().lower()}|{address}")
        user = identity.authenticate(db.session, data["email"], data["password"])
        answer = tokens.issue_tokens(user)
        db.session.commit()
        return answer


@blp.route("/refresh")
class Refresh(MethodView):
    @blp.arguments(RefreshSchema)
    @blp.response(200, TokenSchema)
    def post(self, data: dict):
        """Rotate a refresh token: the old one dies; reusing it revokes the session."""
        try:
            answer = tokens.refresh_tokens(data["refresh_token"])
        except Unauthorized:
            # Reuse detection may have revoked the family: keep that though the request fails.
            db.session.commit()
            raise
        db.session.commit()
        return answer


@blp.route("/logout")
class Logout(MethodView):
    @auth_required()
    @blp.response(204)
    def post(self):
        """Revoke the access token and its refresh token family."""
        tokens.revoke_session(get_jwt())
        db.session.commit()


@blp.route("/me")
class Me(MethodView):
    @auth_required()
    @blp.response(200, MeSchema)
    def get(self):
        """The caller's account."""
        return current_user()

    @auth_required()
    @blp.arguments(MeUpdateSchema)
    @blp.response(200, MeSchema)
    def patch(self, data: dict):
        """Change the caller's name, time zone or languages."""
        user = current_user()
        for name, value in data.items():
            setattr(user, name, value)
        db.session.commit()
        return user


@blp.route("/password")
class Password(MethodView):
    @auth_required()
    @blp.arguments(PasswordChangeSchema)
    @blp.response(204)
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    def post(self, data: dict):
        """Change the caller's password; every session, this one too, is signed out."""
        user = current_user()
        ratelimit.check("password", user.id)
        identity.change_password(db.session, user, data["current_password"], data["new_password"])
        db.session.commit()


@blp.route("/password-reset")
class PasswordResetRequest(MethodView):
    @blp.arguments(PasswordResetRequestSchema)
    @blp.response(202, PasswordResetAcceptedSchema)
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    def post(self, data: dict):
        """Mail a single-use password-reset link; the answer is the same for any email."""
        email = identity.normalise_email(data["email"])
        ratelimit.check("password_reset_address", ratelimit.client_address())
        ratelimit.check("password_reset", email)
        ttl = settings().password_reset_ttl
        issued = password_reset.request_reset(db.session, email, ttl)
        if issued is not None:
            mail.send_password_reset(issued, ttl)
        db.session.commit()
        return {"detail": "If an active account uses this email, a reset link is on its way."}


@blp.route("/password-reset/confirm")
class PasswordResetConfirm(MethodView):
    @blp.arguments(PasswordResetConfirmSchema)
    @blp.response(204)
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    def post(self, data: dict):
        """Set a new password with a reset token; every session of the account is signed out."""
        ratelimit.check("password_reset_confirm", ratelimit.client_address())
        password_reset.confirm_reset(db.session, data["token"], data["new_password"])
        db.session.commit()
