"""CORS for browser clients on other origins, handled by flask-cors.

Only the origins of CORS_ORIGINS, and only under /api/: with none listed (the default) no
`Access-Control-*` header is ever sent, and /metrics, the console, LTI launches and the
health checks never carry one. Credentials are not allowed: the API authenticates with
bearer tokens and API keys in the Authorization header, which a cross-origin request
carries without `Access-Control-Allow-Credentials`; allowing credentials would only let
other origins ride on cookies (the console's), which the API does not use.
"""

from __future__ import annotations

from flask import Flask
from flask_cors import CORS

from core.settings import Settings

# Request headers a browser client may send beyond the CORS-safelisted ones.
ALLOW_HEADERS = (
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "Prefer",
    "X-Request-ID",
    "If-None-Match",
    "If-Match",
    "X-API-Key",
)
# Response headers a browser client may read: ETag (each part of a multipart upload, as Uppy
# reads it; polling), Location and Retry-After (job submissions), the request id, the
# rate-limit headers, Preference-Applied (Prefer: wait) and Idempotent-Replayed.
EXPOSE_HEADERS = (
    "ETag",
    "Location",
    "Retry-After",
    "X-Request-ID",
    "Preference-Applied",
    "Idempotent-Replayed",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "Content-Disposition",
)
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def init_app(app: Flask, settings: Settings) -> None:
    if not settings.cors_origins:
        return
    CORS(
        app,
        resources={r"/api/*": {"origins": list(settings.cors_origins)}},
        methods=list(METHODS),
        allow_headers=list(ALLOW_HEADERS),
        expose_headers=list(EXPOSE_HEADERS),
        supports_credentials=False,
        max_age=settings.cors_max_age,
        vary_header=True,
        send_wildcard=False,
    )
