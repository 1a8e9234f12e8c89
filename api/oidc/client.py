"""The relying party's protocol work, with Authlib: provider discovery, the authorization URL
(with state, nonce and an S256 PKCE challenge), the code exchange (with the verifier) and
the ID token's validation (signature against the provider's JWKS, issuer, audience, expiry,
nonce). Provider failures become problem answers with stable codes."""

from __future__ import annotations

import warnings
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2 import OAuth2Error
from authlib.oidc.core import CodeIDToken
from joserfc.errors import JoseError as JoserfcError

from storage.errors import AppError, Unauthorized
from storage.models.oidc import OidcProvider

with warnings.catch_warnings():  # authlib.jose is deprecated in favour of joserfc, kept in 1.x
    warnings.simplefilter("ignore")
    from authlib.jose import JsonWebKey, jwt
    from authlib.jose.errors import JoseError

TIMEOUT = 10


class ProviderError(AppError):
    status = 502
    code = "oidc_provider_error"
    title = "Bad Gateway"


def discover(issuer: str) -> dict[str, Any]:
    """The provider's metadata, which must name the configured issuer."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        answer = requests.get(url, timeout=TIMEOUT, allow_redirects=False)
        answer.raise_for_status()
        metadata = answer.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderError(
            f"The provider's discovery document could not be read ({type(exc).__name__})."
        ) from None
    if metadata.get("issuer") != issuer.rstrip("/") and metadata.get("issuer") != issuer:
        raise ProviderError("The provider's discovery document names another issuer.")
    return metadata


def _session(provider: OidcProvider, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(
        provider.client_id,
        provider.client_secret,
        scope=provider.scopes,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=TIMEOUT,
    )


def authorization_url(
    provider: OidcProvider,
    metadata: dict[str, Any],
    redirect_uri: str,
    *,
    state: str,
    nonce: str,
    code_verifier: str,
) -> str:
    url, _ = _session(provider, redirect_uri).create_authorization_url(
        metadata["authorization_endpoint"], state=state, nonce=nonce, code_verifier=code_verifier
    )
    return url


def exchange(
    provider: OidcProvider,
    metadata: dict[str, Any],
    redirect_uri: str,
    *,
    code: str,
    code_verifier: str,
    nonce: str,
) -> dict[str, Any]:
    """Trade the code for tokens and return the validated ID token's claims."""
    try:
        token = _session(provider, redirect_uri).fetch_token(
            metadata["token_endpoint"],
            code=code,
            code_verifier=code_verifier,
            grant_type="authorization_code",
        )
        keys = requests.get(metadata["jwks_uri"], timeout=TIMEOUT, allow_redirects=False)
        keys.raise_for_status()
        key_set = JsonWebKey.import_key_set(keys.json())
    except (OAuth2Error, requests.RequestException, ValueError) as exc:
        raise ProviderError(
            f"The provider refused the code or failed ({type(exc).__name__})."
        ) from None
    if "id_token" not in token:
        raise ProviderError("The provider answered without an ID token.")
    issuer = metadata["issuer"]
    try:
        claims = jwt.decode(
            token["id_token"],
            key_set,
            claims_cls=CodeIDToken,
            claims_options={
                "iss": {"essential": True, "value": issuer},
                "aud": {"essential": True, "value": provider.client_id},
            },
            claims_params={
                "nonce": nonce,
                "client_id": provider.client_id,
                "access_token": token.get("access_token"),
            },
        )
        claims.validate(leeway=60)
    except (JoseError, JoserfcError, ValueError) as exc:
        raise Unauthorized(
            f"The ID token is not valid ({type(exc).__name__}).", code="oidc_id_token_invalid"
        ) from None
    return dict(claims)
