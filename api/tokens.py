"""Access and refresh tokens: issue, rotate, revoke, and the JWT error answers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Response, g
from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from flask_jwt_extended.exceptions import JWTExtendedException
from jwt import ExpiredSignatureError, InvalidTokenError

from api import authcache, settings
from api.errors import problem
from api.extensions import jwt
from storage import authstate, identity
from storage.db import db
from storage.errors import Unauthorized
from storage.models.identity import User


def issue_tokens(user: User, family_id: str | None = None) -> dict[str, Any]:
    """A new access + refresh pair. A login starts a family; a refresh continues it."""
    family = family_id or uuid.uuid4().hex
    claims = {"org": user.organisation_id, "role": user.role, "fam": family}
    access = create_access_token(identity=user.id, additional_claims=claims)
    refresh = create_refresh_token(identity=user.id, additional_claims=claims)
    decoded = decode_token(refresh)
    identity.record_refresh_token(
        db.session,
        jti=decoded["jti"],
        user_id=user.id,
        family_id=family,
        expires_at=datetime.fromtimestamp(decoded["exp"], UTC),
    )
    return {
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "bearer",
        "expires_in": settings().access_token_ttl,
    }


def refresh_tokens(refresh_token: str) -> dict[str, Any]:
    claims = _decode(refresh_token, expected_type="refresh")
    stored = identity.rotate_refresh_token(db.session, claims["jti"])
    user = identity.get_user(db.session, stored.user_id)
    if not user.is_active:
        raise Unauthorized("The account is not active.", code="account_inactive")
    return issue_tokens(user, family_id=stored.family_id)


def revoke_session(access_claims: dict[str, Any]) -> None:
    """Logout: the presented access token and its whole refresh family die."""
    identity.revoke_access_token(
        db.session, access_claims["jti"], datetime.fromtimestamp(access_claims["exp"], UTC)
    )
    identity.revoke_family(db.session, access_claims["fam"])


def _decode(token: str, expected_type: str) -> dict[str, Any]:
    try:
        claims = decode_token(token)
    except ExpiredSignatureError:
        raise Unauthorized("The token has expired.", code="token_expired") from None
    except (InvalidTokenError, JWTExtendedException, ValueError):
        raise Unauthorized("The token is not valid.", code="token_invalid") from None
    if claims.get("type") != expected_type:
        raise Unauthorized(f"A {expected_type} token is required.", code="token_invalid")
    return claims


@jwt.token_in_blocklist_loader
def _is_revoked(_header: dict, payload: dict) -> bool:
    if payload.get("type") != "access":
        return False
    state = token_state(payload)
    g.token_user = state.user  # authentication reads it instead of loading the user again
    return state.revoked


def token_state(payload: dict) -> authstate.TokenState:
    """The access token's user and revocation, from this process's short-lived cache or
    the database (see storage.authstate)."""
    cache = authcache.cache()
    if cache is not None:
        cached = cache.get(payload["jti"])
        if cached is not None:
            return cached
        generation = cache.generation
    user, revoked = identity.access_token_state(
        db.session, payload["jti"], payload.get("fam", ""), payload["sub"]
    )
    state = authstate.TokenState(
        None
        if user is None
        else authstate.TokenUser(
            id=user.id,
            organisation_id=user.organisation_id,
            role=user.role,
            is_active=user.is_active,
        ),
        revoked,
    )
    if cache is not None:
        cache.put(payload["jti"], state, generation)
    return state


@jwt.expired_token_loader
def _expired(_header: dict, _payload: dict) -> Response:
    return problem(
        401,
        "token_expired",
        "The access token has expired.",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


@jwt.invalid_token_loader
def _invalid(reason: str) -> Response:
    return problem(
        401,
        "token_invalid",
        "The access token is not valid.",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


@jwt.unauthorized_loader
def _missing(reason: str) -> Response:
    return problem(
        401,
        "unauthorized",
        "Authentication is required: send a bearer token or an API key.",
        headers={"WWW-Authenticate": "Bearer"},
    )


@jwt.revoked_token_loader
def _revoked(_header: dict, _payload: dict) -> Response:
    return problem(
        401,
        "token_revoked",
        "The access token was revoked.",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


@jwt.needs_fresh_token_loader
def _not_fresh(_header: dict, _payload: dict) -> Response:
    return problem(401, "token_not_fresh", "A fresh login is required.")


@jwt.user_lookup_error_loader
def _user_lookup(_header: dict, _payload: dict) -> Response:
    return problem(401, "account_inactive", "The account is not active.")


@jwt.token_verification_failed_loader
def _claims_failed(_header: dict, _payload: dict) -> Response:
    return problem(401, "token_invalid", "The access token is not valid.")
