"""Who is calling: a user with a JWT access token, or a partner client with an API key."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from flask import g, request
from flask_jwt_extended import get_jwt, verify_jwt_in_request
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from api import quotas
from storage import identity
from storage.actor import ROLES, STAFF_ROLES, is_staff
from storage.authstate import TokenUser
from storage.db import db
from storage.errors import Forbidden, Unauthorized
from storage.identity import API_KEY_PREFIX, authenticate_api_key, get_user
from storage.models.identity import User

log = logging.getLogger(__name__)

ANY_ROLE = ROLES
STAFF = STAFF_ROLES

SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT or API key"},
    "apiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "oauth2Password": {
        "type": "oauth2",
        "flows": {"password": {"tokenUrl": "/api/v1/auth/login", "scopes": {}}},
    },
}


@dataclass(frozen=True)
class Principal:
    organisation_id: str
    role: str
    user_id: str | None = None
    api_key_id: str | None = None
    scopes: frozenset[str] = frozenset()

    @property
    def id(self) -> str:
        return self.user_id or self.api_key_id or ""

    @property
    def is_api_key(self) -> bool:
        return self.api_key_id is not None

    def is_staff(self) -> bool:
        return is_staff(self.role, self.api_key_id)


def current_principal() -> Principal:
    principal = getattr(g, "principal", None)
    if principal is None:
        raise Unauthorized("Authentication is required.", code="unauthorized")
    return principal


def current_user() -> User:
    principal = current_principal()
    if principal.user_id is None:
        raise Forbidden("This endpoint needs a user, not an API key.", code="user_required")
    return get_user(db.session, principal.user_id)


def _presented_api_key() -> str | None:
    header = request.headers.get("X-API-Key")
    if header:
        return header.strip()
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer " and auth[7:].strip().startswith(API_KEY_PREFIX):
        return auth[7:].strip()
    return None


def _record_api_key_use(key_id: str) -> None:
    # On a session of its own: read-only requests never commit theirs.
    try:
        with Session(db.engine) as session, session.begin():
            identity.record_api_key_use(session, key_id)
    except SQLAlchemyError:
        log.warning("could not record the use of API key %s", key_id, exc_info=True)


def authenticate_request() -> Principal:
    presented = _presented_api_key()
    if presented is not None:
        key = authenticate_api_key(db.session, presented)
        if identity.api_key_use_is_stale(key):
            _record_api_key_use(key.id)
        principal = Principal(
            organisation_id=key.organisation_id,
            role="api_key",
            api_key_id=key.id,
            scopes=frozenset(key.scopes),
        )
        quotas.check_api_key(key.organisation_id, key.id)  # the plan's requests a minute
    else:
        verify_jwt_in_request()
        claims = get_jwt()
        # Read with the revocation check (see api.tokens.token_state).
        user: TokenUser | User | None = g.pop("token_user", None)
        if user is None or user.id != claims["sub"]:
            user = db.session.get(User, claims["sub"])
        if user is None or not user.is_active:
            raise Unauthorized("The account is not active.", code="account_inactive")
        principal = Principal(organisation_id=user.organisation_id, role=user.role, user_id=user.id)
    g.principal = principal
    return principal


def auth_required(roles: Iterable[str] = ANY_ROLE, scope: str | None = None) -> Callable:
    """Require a user with one of `roles`, or an API key holding `scope` (keys are refused
    where no scope is named)."""
    allowed = tuple(roles)

    def decorator(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = authenticate_request()
            if principal.is_api_key:
                if scope is None:
                    raise Forbidden("API keys cannot use this endpoint.", code="user_required")
                if scope not in principal.scopes:
                    raise Forbidden(
                        f"The API key lacks the {scope!r} scope.", code="insufficient_scope"
                    )
            elif principal.role not in allowed:
                raise Forbidden("Your role does not allow this.", code="insufficient_role")
            return func(*args, **kwargs)

        doc = deepcopy(getattr(func, "_apidoc", {}))
        security: list[dict[str, list]] = [{"bearerAuth": []}, {"oauth2Password": []}]
        if scope is not None:
            security.append({"apiKeyAuth": []})
        doc.setdefault("manual_doc", {})["security"] = security
        wrapper._apidoc = doc  # type: ignore[attr-defined]
        return wrapper

    return decorator
