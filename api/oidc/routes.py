"""Sign-in with an organisation's OpenID Connect providers (Google and others): admins
configure them; a browser starts at `authorize` and comes back to `callback`, which signs in
the account whose email the provider verified."""

from __future__ import annotations

import re

from flask import redirect, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from api import audit, ratelimit, settings, tokens
from api.auth.schemas import TokenSchema
from api.oidc import client
from api.oidc.schemas import (
    API,
    CONSOLE,
    AuthorizeArgs,
    CallbackArgs,
    ProviderPutSchema,
    ProviderSchema,
    SignInProviderListSchema,
)
from api.pagination import PageArgs, page_schema, paginate
from api.security import auth_required, current_principal
from core.outbound import refused_literal
from storage import oidc
from storage.actor import ADMIN
from storage.db import db, utcnow
from storage.errors import Unauthorized, Unprocessable

blp = Blueprint(
    "oidc",
    __name__,
    url_prefix="/api/v1",
    description="Sign-in with OpenID Connect providers (Google and others).",
)


def _redirect_uri(client_kind: str = API) -> str:
    """Where the provider sends the browser back: the API's callback (tokens as JSON) or
    the console's (signs the console in). Each login keeps the one it started with."""
    endpoint = "console.oidc_callback" if client_kind == CONSOLE else "oidc.Callback"
    return settings().public_base_url.rstrip("/") + url_for(endpoint)


def complete_sign_in(args: dict, client_kind: str = API) -> dict:
    """The provider's answer to a login this callback started: the account's tokens."""
    ratelimit.check("login_address", ratelimit.client_address())
    login, provider = oidc.take_login(db.session, args["state"], utcnow())
    db.session.commit()  # the state is spent whatever happens next
    if login.redirect_uri != _redirect_uri(client_kind):
        # A login started for the other callback: its code was sent elsewhere.
        raise Unprocessable(
            "The sign-in was started for another client.", code="oidc_state_invalid"
        )
    if "error" in args or "code" not in args:
        raise Unauthorized(
            f"The provider refused: {args.get('error', 'no code')}.", code="oidc_denied"
        )
    metadata = client.discover(provider.issuer)
    claims = client.exchange(
        provider,
        metadata,
        login.redirect_uri,
        code=args["code"],
        code_verifier=login.code_verifier,
        nonce=login.nonce,
    )
    user = oidc.linked_user(db.session, provider.organisation_id, claims)
    answer = tokens.issue_tokens(user)
    user.last_login_at = utcnow()
    db.session.commit()
    return answer


@blp.route("/organisation/oidc-providers")
class Providers(MethodView):
    @auth_required((ADMIN,))
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(ProviderSchema))
    def get(self, args: dict):
        """List the organisation's sign-in providers (secrets are never shown)."""
        stmt = oidc.providers_query(current_principal().organisation_id)
        return paginate(db.session, stmt, args["page"], args["per_page"])


@blp.route("/organisation/oidc-providers/<name>")
class ProviderView(MethodView):
    @auth_required((ADMIN,))
    @blp.arguments(ProviderPutSchema)
    @blp.response(200, ProviderSchema)
    def put(self, data: dict, name: str):
        """Create or change a sign-in provider (issuer, client id, secret)."""
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,63}", name):
            raise Unprocessable(
                "A provider name is 1 to 64 lower-case letters, digits, - or _.",
                code="oidc_provider_name_invalid",
            )
        if not settings().webhook_allow_private_networks and refused_literal(data["issuer"]):
            raise Unprocessable(
                "The issuer may not be a private or loopback address.",
                code="oidc_issuer_not_allowed",
            )
        organisation_id = current_principal().organisation_id
        existing = oidc.find_provider(db.session, organisation_id, name)
        before = audit.snapshot(existing, oidc.PROVIDER_FIELDS) if existing else {}
        provider, created = oidc.put_provider(db.session, organisation_id, name, data)
        was, now = audit.changed(before, audit.snapshot(provider, oidc.PROVIDER_FIELDS))
        if "client_secret" in data:
            now["client_authentication_changed"] = True
        audit.record(
            "oidc_provider.created" if created else "oidc_provider.updated",
            target_type="oidc_provider",
            target_id=provider.id,
            before=was or None,
            after=now,
        )
        db.session.commit()
        return provider

    @auth_required((ADMIN,))
    @blp.response(204)
    def delete(self, name: str):
        """Remove a sign-in provider."""
        provider = oidc.usable_provider(db.session, current_principal().organisation_id, name)
        audit.record(
            "oidc_provider.deleted",
            target_type="oidc_provider",
            target_id=provider.id,
            before=audit.snapshot(provider, oidc.PROVIDER_FIELDS),
        )
        db.session.delete(provider)
        db.session.commit()


@blp.route("/auth/oidc/<organisation_id>/providers")
class SignInProviders(MethodView):
    @blp.response(200, SignInProviderListSchema)
    def get(self, organisation_id: str):
        """The organisation's enabled providers, for a sign-in page's buttons (public)."""
        return {"items": oidc.sign_in_providers(db.session, organisation_id)}


@blp.route("/auth/oidc/<organisation_id>/<name>/authorize")
class Authorize(MethodView):
    @blp.arguments(AuthorizeArgs, location="query")
    @blp.response(302)
    def get(self, args: dict, organisation_id: str, name: str):
        """Start signing in: redirects the browser to the provider (state, nonce, PKCE)."""
        ratelimit.check("login_address", ratelimit.client_address())
        provider = oidc.usable_provider(db.session, organisation_id, name)
        metadata = client.discover(provider.issuer)
        back = _redirect_uri(args["client"])
        started = oidc.start_login(db.session, provider, back)
        url = client.authorization_url(
            provider,
            metadata,
            back,
            state=started.state,
            nonce=started.nonce,
            code_verifier=started.code_verifier,
        )
        db.session.commit()
        return redirect(url, code=302)


@blp.route("/auth/oidc/callback")
class Callback(MethodView):
    @blp.arguments(CallbackArgs, location="query")
    @blp.response(200, TokenSchema)
    def get(self, args: dict):
        """Where the provider sends the browser back: signs in the linked account."""
        return complete_sign_in(args)
