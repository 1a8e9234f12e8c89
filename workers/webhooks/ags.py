"""LTI Advantage Assignment and Grade Services, as LMSs accept a score from a tool.

1. An access token from the LMS's token endpoint by the OAuth2 client-credentials grant
   with a signed JWT client assertion (RFC 7523; RS256, the tool's key, `kid` from the
   tool's JWKS), kept on the registration until shortly before it expires.
2. The line item of the launched resource link: the one the launch gave, else the one of
   the link in the LMS's line items container, else a new one bound to the link.
3. The score POSTed to `{lineitem}/scores` as `application/vnd.ims.lis.v1.score+json`.

A 401 on a service call drops the cached token and tries once more with a new one; a 404
on the scores URL (the line item was deleted in the LMS) forgets the line item and finds
or creates it again. Every network call goes through the guarded client.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import jwt
from sqlalchemy.orm import Session

from core import outbound as http
from storage.db import utcnow
from storage.lti import (
    SCOPE_LINEITEM,
    SCOPE_LINEITEM_READ,
    SCOPE_MEMBERSHIPS,
    SCOPE_SCORE,
    signing_key,
)
from storage.models.lti import LtiPlatform, LtiResourceLink

MEDIA_SCORE = "application/vnd.ims.lis.v1.score+json"
MEDIA_LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
MEDIA_LINEITEMS = "application/vnd.ims.lis.v2.lineitemcontainer+json"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# A cached token is not used in its last minute: the score call must not race its expiry.
TOKEN_MARGIN = timedelta(seconds=60)
ANSWER_LIMIT = 256 * 1024


@dataclass(frozen=True)
class Step:
    """The outcome of the delivery: the last call made and what it answered."""

    url: str
    result: http.PostResult


class AgsClient:
    def __init__(
        self, session: Session, platform: LtiPlatform, *, timeout: float, allow_private: bool
    ) -> None:
        self.session = session
        self.platform = platform
        self.timeout = timeout
        self.allow_private = allow_private

    # Calls ------------------------------------------------------------------------------

    def _call(
        self, method: str, url: str, body: bytes | None, headers: dict[str, str]
    ) -> http.PostResult:
        return http.request(
            method,
            url,
            body,
            headers,
            timeout=self.timeout,
            allow_private=self.allow_private,
            body_limit=ANSWER_LIMIT,
        )

    def client_assertion(self) -> str:
        """The JWT that authenticates the tool at the token endpoint."""
        key = signing_key(self.session)
        now = int(time.time())
        audience = self.platform.token_audience or self.platform.token_url
        claims = {
            "iss": self.platform.client_id,
            "sub": self.platform.client_id,
            "aud": audience,
            "iat": now,
            "exp": now + 300,
            "jti": str(uuid.uuid4()),
        }
        return jwt.encode(
            claims, key.private_pem, algorithm="RS256", headers={"kid": key.kid, "typ": "JWT"}
        )

    def token(self, scopes: list[str], *, fresh: bool = False) -> str | Step:
        """An access token for `scopes`, cached on the registration; a Step on failure."""
        platform = self.platform
        wanted = " ".join(sorted(scopes))
        if (
            not fresh
            and platform.access_token
            and platform.access_token_expires_at
            and platform.access_token_scope == wanted
            and platform.access_token_expires_at - TOKEN_MARGIN > utcnow()
        ):
            return platform.access_token
        form = urlencode(
            {
                "grant_type": "client_credentials",
                "client_assertion_type": ASSERTION_TYPE,
                "client_assertion": self.client_assertion(),
                "scope": wanted,
            }
        )
        result = self._call(
            "POST",
            platform.token_url,
            form.encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        )
        if result.error or not http_ok(result.status):
            return Step(platform.token_url, _explained(result, "token request refused"))
        try:
            answer = json.loads(result.body)
            token = answer["access_token"]
            lifetime = int(answer.get("expires_in") or 3600)
        except (ValueError, KeyError, TypeError):
            return Step(
                platform.token_url,
                _replace(
                    result,
                    error="protocol_error",
                    detail="the token answer is not an OAuth2 token response",
                ),
            )
        platform.access_token, platform.access_token_scope = token, wanted
        platform.access_token_expires_at = utcnow() + timedelta(seconds=lifetime)
        return token

    # Line items -------------------------------------------------------------------------

    def lineitem(
        self, link: LtiResourceLink, token: str, *, maximum: float, label: str
    ) -> str | Step:
        """The line item URL of the link: known, found in the container, or created."""
        if link.lineitem_url:
            return link.lineitem_url
        if not link.lineitems_url:
            return Step(
                "", http.PostResult(error="invalid_url", detail="the launch gave no line items URL")
            )
        query = urlencode({"resource_link_id": link.resource_link_id})
        container = _with_query(link.lineitems_url, query)
        found = self._call(
            "GET", container, None, {"Authorization": f"Bearer {token}", "Accept": MEDIA_LINEITEMS}
        )
        if found.error or not http_ok(found.status):
            return Step(container, _explained(found, "line items could not be read"))
        try:
            items = json.loads(found.body or "[]")
        except ValueError:
            items = None
        if isinstance(items, dict):  # some platforms page inside an object
            items = items.get("lineItems") or items.get("content")
        for item in items or []:
            if isinstance(item, dict) and item.get("resourceLinkId") == link.resource_link_id:
                link.lineitem_url = item.get("id")
                if link.lineitem_url:
                    return link.lineitem_url
        body = json.dumps(
            {
                "scoreMaximum": maximum,
                "label": label,
                "resourceLinkId": link.resource_link_id,
                "resourceId": link.prompt_id or link.job_type or "assessment",
                "tag": "cefr",
            }
        ).encode()
        made = self._call(
            "POST",
            link.lineitems_url,
            body,
            {
                "Authorization": f"Bearer {token}",
                "Content-Type": MEDIA_LINEITEM,
                "Accept": MEDIA_LINEITEM,
            },
        )
        if made.error or not http_ok(made.status):
            return Step(link.lineitems_url, _explained(made, "the line item was not created"))
        try:
            link.lineitem_url = json.loads(made.body)["id"]
        except (ValueError, KeyError, TypeError):
            return Step(
                link.lineitems_url,
                _replace(made, error="protocol_error", detail="the new line item has no id"),
            )
        return link.lineitem_url

    # The delivery -----------------------------------------------------------------------

    def deliver(self, link: LtiResourceLink, score_body: str) -> Step:
        score = json.loads(score_body)
        scopes = [
            SCOPE_SCORE,
            SCOPE_LINEITEM
            if SCOPE_LINEITEM in link.ags_scopes or not link.ags_scopes
            else SCOPE_LINEITEM_READ,
        ]
        label = link.title or "Assessment"
        retried_token = retried_item = False
        while True:
            token = self.token(scopes, fresh=retried_token)
            if isinstance(token, Step):
                return token
            item = self.lineitem(link, token, maximum=float(score["scoreMaximum"]), label=label)
            if isinstance(item, Step):
                if item.result.status == 401 and not retried_token:
                    retried_token = True
                    continue
                return item
            url = scores_url(item)
            result = self._call(
                "POST",
                url,
                score_body.encode(),
                {"Authorization": f"Bearer {token}", "Content-Type": MEDIA_SCORE},
            )
            if result.status == 401 and not retried_token:
                retried_token = True
                continue
            if result.status == 404 and not retried_item:
                # The line item was deleted in the LMS: find or create it again.
                retried_item = True
                link.lineitem_url = None
                continue
            if result.error is None and not http_ok(result.status):
                result = _explained(result, "the score was refused")
            return Step(url, result)


def http_ok(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


def scores_url(lineitem_url: str) -> str:
    """`{lineitem}/scores`, the path extended before any query string."""
    parts = urlsplit(lineitem_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def _with_query(url: str, query: str) -> str:
    parts = urlsplit(url)
    joined = f"{parts.query}&{query}" if parts.query else query
    return urlunsplit(parts._replace(query=joined))


def _replace(result: http.PostResult, **values: Any) -> http.PostResult:
    fields = {**result.__dict__, **values}
    return http.PostResult(**fields)


def _explained(result: http.PostResult, what: str) -> http.PostResult:
    if result.error is not None:
        return result
    return _replace(result, detail=f"{what}: HTTP {result.status} {result.body[:300]}")


MEDIA_MEMBERSHIPS = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
MAX_ROSTER_PAGES = 100


def roster(client: AgsClient, memberships_url: str) -> list[dict[str, Any]] | Step:
    """Every member of the course (NRPS), following `Link: <...>; rel="next"` pages."""
    token = client.token([SCOPE_MEMBERSHIPS])
    if isinstance(token, Step):
        return token
    members: list[dict[str, Any]] = []
    url: str | None = memberships_url
    for _ in range(MAX_ROSTER_PAGES):
        if url is None:
            break
        page = client._call(
            "GET", url, None, {"Authorization": f"Bearer {token}", "Accept": MEDIA_MEMBERSHIPS}
        )
        if page.error or not http_ok(page.status):
            return Step(url, _explained(page, "the roster could not be read"))
        try:
            members.extend(json.loads(page.body).get("members") or [])
        except (ValueError, AttributeError):
            return Step(
                url,
                _replace(
                    page,
                    error="protocol_error",
                    detail="the roster answer is not a membership container",
                ),
            )
        url = _next_link(page.headers.get("link", ""))
    return members


def _next_link(header: str) -> str | None:
    for part in header.split(","):
        if 'rel="next"' in part or "rel=next" in part:
            start, end = part.find("<"), part.find(">")
            if 0 <= start < end:
                return part[start + 1 : end]
    return None
