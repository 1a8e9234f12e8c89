"""Answers that carry a credential are never stored by a cache: tokens, API keys, signing
secrets, presigned upload URLs and pages holding an access token.

RFC 6749 section 5.1 asks `Cache-Control: no-store` (and `Pragma: no-cache` for HTTP/1.0
caches) of token responses; Stripe and GitHub send it on answers holding a secret. The list
is written here, in one place, rather than as hooks beside each view, so a new secret-bearing
view is added where the others are seen.
"""

from __future__ import annotations

from flask import Flask, Response, request

# Every view of these blueprints answers tokens or secrets shown once.
BLUEPRINTS = frozenset({"auth", "api_keys"})
# Single views elsewhere that answer a credential.
ENDPOINTS = frozenset(
    {
        "oidc.Callback",  # an access and a refresh token
        "console.oidc_callback",  # signs the console in
        "webhooks.Endpoints",  # POST: the endpoint's signing secret, shown once
        "webhooks.RotateSecret",
        "webhooks.CallbackSecretView",
        "webhooks.RotateCallbackSecret",
        "conversations.RealtimeToken",  # a realtime session's client secret
        "lti.LtiLaunch",  # the task page holds an access token
        "lti.LtiDeepLink",  # a signed deep-linking response
        "media.PresignedUploads",  # a presigned PUT URL (a capability for an hour)
        "media.MultipartUploads",
        "media.MultipartPart",
    }
)


def no_store(response: Response) -> Response:
    if request.blueprint in BLUEPRINTS or request.endpoint in ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


def init_app(app: Flask) -> None:
    app.after_request(no_store)
