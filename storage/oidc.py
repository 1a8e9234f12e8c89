"""OpenID Connect sign-in, the platform's side: an organisation's providers, the state of
each authorization request (state, nonce, PKCE verifier; single use, short-lived), and
linking a verified email to an existing account. Protocol work (discovery, the token
request, ID token validation) is the API's (api/oidc/client.py). Nothing here commits."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.db import utcnow
from storage.errors import Forbidden, NotFound, Unprocessable
from storage.identity import normalise_email
from storage.ids import new_id
from storage.models.identity import User
from storage.models.oidc import OidcLogin, OidcProvider
from storage.tenancy import tenant_select

LOGIN_TTL = timedelta(minutes=10)
PROVIDER_FIELDS = ("name", "issuer", "client_id", "scopes", "enabled")


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def providers_query(organisation_id: str):
    return tenant_select(OidcProvider, organisation_id).order_by(OidcProvider.name)


def sign_in_providers(session: Session, organisation_id: str) -> list[dict[str, str]]:
    """The organisation's enabled providers as a sign-in page shows them (an unknown
    organisation has none)."""
    return [
        {"name": p.name, "sign_in_url": f"/api/v1/auth/oidc/{organisation_id}/{p.name}/authorize"}
        for p in session.scalars(
            providers_query(organisation_id).where(OidcProvider.enabled.is_(True))
        )
    ]


def find_provider(session: Session, organisation_id: str, name: str) -> OidcProvider | None:
    return session.scalar(
        tenant_select(OidcProvider, organisation_id).where(OidcProvider.name == name)
    )


def put_provider(
    session: Session, organisation_id: str, name: str, data: Mapping[str, Any]
) -> tuple[OidcProvider, bool]:
    """Create or change the provider `name`; a secret left out keeps the stored one."""
    provider = find_provider(session, organisation_id, name)
    created = provider is None
    if provider is None:
        provider = OidcProvider(
            id=new_id("oidc"), organisation_id=organisation_id, name=name, created_at=utcnow()
        )
        session.add(provider)
    for key in ("issuer", "client_id", "scopes", "enabled"):
        if key in data:
            setattr(provider, key, data[key])
    if "client_secret" in data:
        provider.client_secret = data["client_secret"]
    provider.updated_at = utcnow()
    session.flush()
    return provider, created


def usable_provider(session: Session, organisation_id: str, name: str) -> OidcProvider:
    provider = find_provider(session, organisation_id, name)
    if provider is None or not provider.enabled:
        raise NotFound(f"No sign-in provider {name!r}.", code="oidc_provider_not_found")
    return provider


@dataclass(frozen=True)
class StartedLogin:
    state: str
    nonce: str
    code_verifier: str


def start_login(session: Session, provider: OidcProvider, redirect_uri: str) -> StartedLogin:
    """A new authorization request: the state (only its hash is kept), a nonce and a PKCE
    verifier whose S256 challenge goes to the provider."""
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)
    now = utcnow()
    session.add(
        OidcLogin(
            state_hash=_sha256(state),
            organisation_id=provider.organisation_id,
            provider_id=provider.id,
            nonce=nonce,
            code_verifier=verifier,
            redirect_uri=redirect_uri,
            created_at=now,
            expires_at=now + LOGIN_TTL,
        )
    )
    # Requests never finished are dropped as new ones start.
    session.execute(
        delete(OidcLogin)
        .where(OidcLogin.expires_at < now - LOGIN_TTL)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return StartedLogin(state, nonce, verifier)


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def take_login(session: Session, state: str, now: datetime) -> tuple[OidcLogin, OidcProvider]:
    """The request this state belongs to, marked used: a state works once, for ten minutes."""
    login = session.scalar(
        select(OidcLogin).where(OidcLogin.state_hash == _sha256(state)).with_for_update()
    )
    if login is None or login.used_at is not None:
        raise Unprocessable(
            "The sign-in state is unknown or was used already; start again.",
            code="oidc_state_invalid",
        )
    if login.expires_at <= now:
        raise Unprocessable("The sign-in took too long; start again.", code="oidc_state_expired")
    login.used_at = now
    provider = session.get(OidcProvider, login.provider_id)
    if provider is None or not provider.enabled:
        raise NotFound("The sign-in provider is gone.", code="oidc_provider_not_found")
    return login, provider


def linked_user(session: Session, organisation_id: str, claims: Mapping[str, Any]) -> User:
    """The organisation's active account whose email the provider verified. Accounts are
    linked by verified email only: an unverified address could be anyone's."""
    email = claims.get("email")
    if not isinstance(email, str) or claims.get("email_verified") is not True:
        raise Forbidden(
            "The provider did not vouch for an email address.", code="oidc_email_not_verified"
        )
    user = session.scalar(
        tenant_select(User, organisation_id).where(User.email == normalise_email(email))
    )
    if user is None:
        raise Forbidden(
            "No account of this organisation has this email; ask an admin for an invite.",
            code="oidc_account_not_found",
        )
    if not user.is_active:
        raise Forbidden("The account is deactivated.", code="account_deactivated")
    return user
