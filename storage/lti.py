"""LTI 1.3 Advantage on the tool side: platform registrations, the tool's signing keys and
JWKS, what a launch records (the learner's LMS identity, the resource link with its AGS
endpoints, the launch itself), and the AGS deliveries a finished assessment creates.

Functions take the session and change rows; the caller commits.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import Select, delete, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage import learners
from storage.db import utcnow
from storage.errors import Conflict, NotFound, Unprocessable
from storage.ids import new_id
from storage.models.jobs import Job
from storage.models.lti import LtiKey, LtiLaunch, LtiNonce, LtiPlatform, LtiResourceLink
from storage.models.webhooks import WebhookDelivery, WebhookEvent
from storage.tenancy import get_owned, tenant_select

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
CLAIM_AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
CLAIM_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READ = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_MEMBERSHIPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
# Retired keys stay published this long: longer than any token signed with them lives.
KEY_GRACE = timedelta(days=2)
# A spent nonce is kept longer than any id_token lives (LMSs issue them for minutes).
NONCE_KEPT = timedelta(days=1)
AGS_FORMAT = "lti_ags"
ASSESSMENT_TYPES = ("speaking_assessment", "writing_assessment")


# Keys ------------------------------------------------------------------------------------


def _new_key(now: datetime) -> LtiKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    jwk = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    # The RFC 7638 thumbprint, as LTI libraries compute a key's id.
    members = json.dumps(
        {"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True
    )
    kid = base64.urlsafe_b64encode(hashlib.sha256(members.encode()).digest()).decode().rstrip("=")
    jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return LtiKey(kid=kid, private_pem=pem, public_jwk=jwk, created_at=now)


def signing_key(session: Session) -> LtiKey:
    """The newest active key. The first one is created and committed on a session of its
    own, so the JWKS shows it before anything it signed leaves the platform."""
    stmt = (
        select(LtiKey)
        .where(LtiKey.retired_at.is_(None))
        .order_by(LtiKey.created_at.desc())
        .limit(1)
    )
    key = session.scalar(stmt)
    if key is None:
        with Session(session.get_bind()) as own, own.begin():
            if own.scalar(stmt) is None:
                own.add(_new_key(utcnow()))
        key = session.scalar(stmt)
        assert key is not None
    return key


def public_pem(key: LtiKey) -> str:
    private = serialization.load_pem_private_key(key.private_pem.encode(), password=None)
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def rotate_key(session: Session) -> LtiKey:
    """A new signing key; the previous ones are retired (published for KEY_GRACE more)."""
    now = utcnow()
    for key in session.scalars(select(LtiKey).where(LtiKey.retired_at.is_(None))):
        key.retired_at = now
    key = _new_key(now + timedelta(microseconds=1))
    session.add(key)
    session.flush()
    return key


def jwks(session: Session) -> dict[str, Any]:
    """The tool's public key set: active keys and those retired within the grace period."""
    signing_key(session)
    cutoff = utcnow() - KEY_GRACE
    keys = session.scalars(
        select(LtiKey)
        .where(or_(LtiKey.retired_at.is_(None), LtiKey.retired_at > cutoff))
        .order_by(LtiKey.created_at.desc())
    )
    return {"keys": [dict(key.public_jwk) for key in keys]}


# Platforms -------------------------------------------------------------------------------

PLATFORM_FIELDS = (
    "name",
    "issuer",
    "client_id",
    "deployment_ids",
    "auth_login_url",
    "token_url",
    "jwks_url",
    "token_audience",
)


def create_platform(session: Session, organisation_id: str, data: Mapping[str, Any]) -> LtiPlatform:
    _check_unique(session, data["issuer"], data["client_id"])
    platform = LtiPlatform(
        id=new_id("ltp"),
        organisation_id=organisation_id,
        created_at=utcnow(),
        **{k: data.get(k) for k in PLATFORM_FIELDS},
    )
    platform.deployment_ids = list(data.get("deployment_ids") or [])
    session.add(platform)
    session.flush()
    return platform


def update_platform(
    session: Session, organisation_id: str, platform_id: str, data: Mapping[str, Any]
) -> LtiPlatform:
    platform = get_platform(session, organisation_id, platform_id)
    issuer = data.get("issuer", platform.issuer)
    client_id = data.get("client_id", platform.client_id)
    if (issuer, client_id) != (platform.issuer, platform.client_id):
        _check_unique(session, issuer, client_id)
    for key in PLATFORM_FIELDS:
        if key in data:
            setattr(platform, key, data[key])
    # Another token endpoint or client means the cached token is no longer theirs.
    platform.access_token = platform.access_token_expires_at = None
    platform.updated_at = utcnow()
    session.flush()
    return platform


def _check_unique(session: Session, issuer: str, client_id: str) -> None:
    taken = session.scalar(
        select(LtiPlatform.id).where(
            LtiPlatform.issuer == issuer, LtiPlatform.client_id == client_id
        )
    )
    if taken:
        raise Conflict(
            "A platform with this issuer and client id is already registered.",
            code="lti_platform_exists",
        )


def get_platform(session: Session, organisation_id: str, platform_id: str) -> LtiPlatform:
    return get_owned(session, LtiPlatform, platform_id, organisation_id, what="lti_platform")


def platforms_query(organisation_id: str) -> Select[tuple[LtiPlatform]]:
    return tenant_select(LtiPlatform, organisation_id).order_by(LtiPlatform.created_at)


def find_platform(session: Session, issuer: str, client_id: str | None) -> LtiPlatform | None:
    """The registration a launch or login names (the client id may be left out by a
    platform with one registration for the issuer)."""
    stmt = select(LtiPlatform).where(LtiPlatform.issuer == issuer)
    if client_id:
        stmt = stmt.where(LtiPlatform.client_id == client_id)
    rows = session.scalars(stmt.limit(2)).all()
    return rows[0] if len(rows) == 1 else None


def link_of(
    session: Session, organisation_id: str, platform_id: str, resource_link_id: str
) -> LtiResourceLink:
    platform = get_platform(session, organisation_id, platform_id)
    link = session.scalar(
        select(LtiResourceLink).where(
            LtiResourceLink.platform_id == platform.id,
            LtiResourceLink.resource_link_id == resource_link_id,
        )
    )
    if link is None:
        raise NotFound(
            f"No launched resource link {resource_link_id!r} on this platform.",
            code="lti_resource_link_not_found",
        )
    return link


# Launches --------------------------------------------------------------------------------


def record_launch(
    session: Session, platform: LtiPlatform, claims: Mapping[str, Any]
) -> tuple[learners.Upserted, LtiResourceLink]:
    """Record a validated resource-link launch: the learner (found or created by their
    `sub` on this platform), the resource link with its AGS and NRPS endpoints, and that
    the learner launched from it."""
    deployment = claims.get(CLAIM + "deployment_id")
    if platform.deployment_ids and deployment not in platform.deployment_ids:
        raise Unprocessable(
            f"Deployment {deployment!r} is not registered for the platform.",
            code="lti_unknown_deployment",
        )
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise Unprocessable("The launch names no user (sub).", code="lti_anonymous_launch")
    name = (
        claims.get("name")
        or " ".join(p for p in (claims.get("given_name"), claims.get("family_name")) if p)
        or None
    )
    upserted = learners.upsert(
        session, platform.organisation_id, lms=platform.id, external_id=sub, name=name
    )
    link_claim = claims.get(CLAIM + "resource_link") or {}
    context = claims.get(CLAIM + "context") or {}
    custom = claims.get(CLAIM + "custom") or {}
    ags = claims.get(CLAIM_AGS) or {}
    nrps = claims.get(CLAIM_NRPS) or {}
    link = upsert_link(
        session,
        platform,
        resource_link_id=str(link_claim.get("id") or ""),
        context_id=context.get("id"),
        title=link_claim.get("title"),
        prompt_id=custom.get("prompt_id"),
        job_type=custom.get("task_type"),
        lineitems_url=ags.get("lineitems"),
        lineitem_url=ags.get("lineitem"),
        ags_scopes=list(ags.get("scope") or []),
        memberships_url=nrps.get("context_memberships_url"),
    )
    now = utcnow()
    launch = session.scalar(
        select(LtiLaunch).where(LtiLaunch.user_id == upserted.user.id, LtiLaunch.link_id == link.id)
    )
    if launch is None:
        session.add(
            LtiLaunch(
                id=new_id("ltl"),
                organisation_id=platform.organisation_id,
                user_id=upserted.user.id,
                link_id=link.id,
                created_at=now,
                last_launched_at=now,
            )
        )
    else:
        launch.last_launched_at = now
    session.flush()
    return upserted, link


def upsert_link(
    session: Session, platform: LtiPlatform, *, resource_link_id: str, **values: Any
) -> LtiResourceLink:
    if not resource_link_id:
        raise Unprocessable("The launch names no resource link.", code="lti_no_resource_link")
    link = session.scalar(
        select(LtiResourceLink).where(
            LtiResourceLink.platform_id == platform.id,
            LtiResourceLink.resource_link_id == resource_link_id,
        )
    )
    if link is None:
        link = LtiResourceLink(
            id=new_id("ltr"),
            organisation_id=platform.organisation_id,
            platform_id=platform.id,
            resource_link_id=resource_link_id,
            created_at=utcnow(),
            ags_scopes=[],
        )
        session.add(link)
    for key, value in values.items():
        # A launch without a value keeps what an earlier launch (or the tool) found.
        if value not in (None, [], ""):
            setattr(link, key, value)
    link.updated_at = utcnow()
    session.flush()
    return link


# Grades ----------------------------------------------------------------------------------


def _matches(link: LtiResourceLink, job: Job) -> bool:
    prompt = (job.input or {}).get("prompt_id")
    if link.prompt_id and link.prompt_id != prompt:
        return False
    return not link.job_type or link.job_type == job.type


def grade_deliveries(session: Session, event: WebhookEvent, job: Job) -> list[WebhookDelivery]:
    """One AGS delivery per resource link the job's learner launched from whose task the
    job assessed; sent with the LMS's access token by the webhook worker."""
    if job.status != "succeeded" or job.type not in ASSESSMENT_TYPES or not job.learner_user_id:
        return []
    links = session.scalars(
        select(LtiResourceLink)
        .join(LtiLaunch, LtiLaunch.link_id == LtiResourceLink.id)
        .where(
            LtiLaunch.user_id == job.learner_user_id,
            LtiLaunch.organisation_id == job.organisation_id,
            or_(
                LtiResourceLink.lineitems_url.is_not(None),
                LtiResourceLink.lineitem_url.is_not(None),
            ),
        )
        .order_by(LtiResourceLink.created_at)
    ).all()
    now = utcnow()
    made = []
    for link in links:
        if _matches(link, job):
            made.append(
                WebhookDelivery(
                    id=new_id("whd"),
                    organisation_id=job.organisation_id,
                    event_id=event.id,
                    endpoint_id=None,
                    url=link.lineitem_url or link.lineitems_url or "",
                    format=AGS_FORMAT,
                    state="pending",
                    attempts=0,
                    next_attempt_at=now,
                    created_at=now,
                    lti_link_id=link.id,
                )
            )
    session.add_all(made)
    session.flush()
    return made


def spend_nonce(session: Session, nonce: str, now: datetime) -> bool:
    """Record a launch's nonce as spent; False when it was spent already. The insert is the
    claim: the primary key lets one of two launches win (the other waits for its commit, on
    PostgreSQL's index and SQLite's write lock, then finds the row)."""
    session.execute(delete(LtiNonce).where(LtiNonce.expires_at < now))
    try:
        with session.begin_nested():
            session.execute(
                insert(LtiNonce).values(
                    nonce_hash=hashlib.sha256(nonce.encode()).hexdigest(),
                    expires_at=now + NONCE_KEPT,
                )
            )
    except IntegrityError:
        return False
    return True
