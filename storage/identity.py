"""Identity services: registration, credentials, invites, API keys, refresh-token families.

Functions take the session and change rows; the caller commits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import available_timezones

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session, aliased

from storage.db import utcnow
from storage.errors import Conflict, Forbidden, NotFound, Unauthorized, Unprocessable
from storage.ids import new_id
from storage.models.identity import (
    ROLES,
    ApiKey,
    Invite,
    Organisation,
    RefreshToken,
    RevokedToken,
    User,
)
from storage.passwords import check_password
from storage.tenancy import get_owned, tenant_select

_hasher = PasswordHasher()
# Verifying against this keeps a login for an unknown email as slow as one for a known email.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


def configure_password_hashing(time_cost: int, memory_kib: int) -> None:
    """Set argon2id's cost for new hashes (PASSWORD_HASH_TIME_COST, PASSWORD_HASH_MEMORY_KIB).
    Stored hashes carry their own parameters, so hashes made at another cost still verify."""
    global _hasher, _DUMMY_HASH
    if (_hasher.time_cost, _hasher.memory_cost) == (time_cost, memory_kib):
        return
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
    _DUMMY_HASH = _hasher.hash("not a password of anyone")


API_KEY_PREFIX = "lak_"
API_KEY_SCOPES = (
    "jobs:read",
    "jobs:write",
    "media:read",
    "media:write",
    "learning:read",
    "learning:write",
    "webhooks:manage",
    "learners:read",
    "learners:write",
    "classes:read",
    "classes:write",
)


@lru_cache(maxsize=1)
def timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_timezone(name: str) -> str:
    if name not in timezones():
        raise Unprocessable(
            f"{name!r} is not an IANA time zone name.",
            code="invalid_timezone",
            details={"errors": {"timezone": ["Unknown time zone."]}},
        )
    return name


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def register(
    session: Session,
    *,
    email: str,
    password: str,
    name: str,
    organisation_name: str | None = None,
    invite_code: str | None = None,
    timezone: str = "UTC",
    native_language: str | None = None,
    target_languages: list[str] | None = None,
) -> User:
    """Create a user: the admin of a new organisation, or a member through an invite."""
    email = normalise_email(email)
    check_timezone(timezone)
    check_password(password, (email, name))
    # Hashed first: argon2 takes a moment, and no lock is held yet.
    password_hash = hash_password(password)
    now = utcnow()
    invite = None
    if invite_code:
        # Claimed before anything else is read, by one conditional UPDATE: PostgreSQL
        # serialises it on the row, SQLite on its write lock (it ignores FOR UPDATE), so an
        # invite redeemed by parallel requests makes exactly one member. An error below
        # rolls the claim back with the request.
        invite = claim_invite(session, invite_code, email, now)
        organisation_id, role = invite.organisation_id, invite.role
    if email_registered(session, email):
        raise Conflict("An account with this email already exists.", code="email_taken")
    if invite is None:
        organisation = Organisation(
            id=new_id("org"), name=organisation_name or f"{name}'s organisation"
        )
        session.add(organisation)
        organisation_id, role = organisation.id, "admin"
    user = User(
        id=new_id("usr"),
        organisation_id=organisation_id,
        email=email,
        password_hash=password_hash,
        role=role,
        name=name,
        timezone=timezone,
        native_language=native_language,
        target_languages=target_languages or [],
        created_at=now,
    )
    session.add(user)
    session.flush()
    if invite is not None:
        invite.accepted_by = user.id
    return user


def claim_invite(session: Session, code: str, email: str, now: datetime) -> Invite:
    """Mark the invite accepted if it is still open; raise why not otherwise."""
    code_hash = _sha256(code)
    claimed = session.execute(
        update(Invite)
        .where(
            Invite.code_hash == code_hash,
            Invite.accepted_at.is_(None),
            Invite.revoked.is_(False),
            Invite.expires_at > now,
            (Invite.email.is_(None)) | (Invite.email == email),
        )
        .values(accepted_at=now)
        .execution_options(synchronize_session=False)
    )
    invite = session.scalar(select(Invite).where(Invite.code_hash == code_hash))
    if claimed.rowcount == 1 and invite is not None:
        session.refresh(invite)
        return invite
    if invite is None or invite.revoked or invite.accepted_at is not None:
        raise Unprocessable("The invite code is not valid.", code="invite_invalid")
    if invite.expires_at <= now:
        raise Unprocessable("The invite code has expired.", code="invite_expired")
    raise Unprocessable("The invite was issued for another email.", code="invite_invalid")


def email_registered(session: Session, email: str) -> bool:
    return session.scalar(select(User.id).where(User.email == normalise_email(email))) is not None


def authenticate(session: Session, email: str, password: str) -> User:
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None:
        raise Unauthorized("Email or password is wrong.", code="invalid_credentials")
    if not user.is_active:
        raise Forbidden("This account is deactivated.", code="account_deactivated")
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def change_password(session: Session, user: User, current: str, new: str) -> None:
    try:
        _hasher.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise Unauthorized("The current password is wrong.", code="invalid_credentials") from None
    check_password(new, (user.email, user.name, current))
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    revoke_user_refresh_tokens(session, user.id)


# Refresh-token families ---------------------------------------------------------------


def record_refresh_token(
    session: Session, *, jti: str, user_id: str, family_id: str, expires_at: datetime
) -> None:
    session.add(
        RefreshToken(
            jti=jti, user_id=user_id, family_id=family_id, issued_at=utcnow(), expires_at=expires_at
        )
    )


def rotate_refresh_token(session: Session, jti: str) -> RefreshToken:
    """Mark a refresh token used and return it. Presenting a used one is theft or a replay:
    its whole family is revoked and the caller gets 401. A revoked one (logout, password
    change, reuse elsewhere in its family) is simply refused.

    The token is taken by one conditional UPDATE, the first statement of the transaction, so
    of two parallel redemptions exactly one wins on PostgreSQL (row lock, re-checked after
    the winner commits) and on SQLite (database write lock). The loser is treated as reuse
    and revokes the family, as Auth0's refresh-token rotation does with no reuse interval
    (and as the OAuth 2.0 Security BCP, RFC 9700 section 4.14.2, describes).
    """
    other = aliased(RefreshToken)
    family_revoked = exists().where(
        other.family_id == RefreshToken.family_id, other.revoked_at.is_not(None)
    )
    taken = session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.jti == jti,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
            ~family_revoked,
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    token = session.get(RefreshToken, jti, populate_existing=True)
    if token is None:
        raise Unauthorized("Unknown refresh token.", code="token_invalid")
    if taken.rowcount == 1:
        return token
    if token.revoked_at is None and token.used_at is None:
        # Its family was revoked after it was minted (a refresh racing a logout).
        revoke_family(session, token.family_id)
        raise Unauthorized("This refresh token was revoked.", code="token_revoked")
    if token.used_at is not None:
        revoke_family(session, token.family_id)
        raise Unauthorized(
            "This refresh token was already used; the session is revoked.", code="token_reused"
        )
    raise Unauthorized("This refresh token was revoked.", code="token_revoked")


def revoke_family(session: Session, family_id: str) -> None:
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def revoke_user_refresh_tokens(session: Session, user_id: str) -> None:
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def access_token_state(
    session: Session, jti: str, family_id: str, user_id: str
) -> tuple[User | None, bool]:
    """The token's user and whether the token is revoked: an access token dies when revoked
    itself (logout) or when its login's refresh family is revoked (reuse detected, password
    changed). One round trip for both: it runs on every request. No user: (None, False).

    A family with any revoked token is revoked: a token minted by a refresh that raced the
    revocation (and so escaped it) must not bring the family back to life."""
    revoked = exists().where(RevokedToken.jti == jti)
    family_alive = exists().where(
        RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None)
    )
    family_revoked = exists().where(
        RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_not(None)
    )
    row = session.execute(
        select(User, revoked | ~family_alive | family_revoked).where(User.id == user_id)
    ).first()
    if row is None:
        return None, False
    return row[0], bool(row[1])


def revoke_access_token(session: Session, jti: str, expires_at: datetime) -> None:
    if session.get(RevokedToken, jti) is None:
        session.add(RevokedToken(jti=jti, expires_at=expires_at))


# Invites ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedInvite:
    invite: Invite
    code: str


def create_invite(
    session: Session, admin: User, *, role: str, email: str | None, ttl_seconds: int
) -> IssuedInvite:
    if role not in ("learner", "teacher", "admin"):
        raise Unprocessable(f"Unknown role {role!r}.", code="invalid_role")
    code = secrets.token_urlsafe(18)
    invite = Invite(
        id=new_id("inv"),
        organisation_id=admin.organisation_id,
        code_hash=_sha256(code),
        role=role,
        email=normalise_email(email) if email else None,
        created_by=admin.id,
        expires_at=utcnow() + timedelta(seconds=ttl_seconds),
    )
    session.add(invite)
    session.flush()
    return IssuedInvite(invite, code)


def revoke_invite(session: Session, organisation_id: str, invite_id: str) -> Invite:
    invite = get_owned(session, Invite, invite_id, organisation_id, what="invite")
    invite.revoked = True
    return invite


# Members ---------------------------------------------------------------------------------


def change_role(session: Session, actor: User, user_id: str, role: str) -> User:
    if role not in ROLES:
        raise Unprocessable(f"Unknown role {role!r}.", code="invalid_role")
    lock_organisation(session, actor.organisation_id)
    member = get_owned(session, User, user_id, actor.organisation_id, what="user")
    session.refresh(member)
    if member.role == "admin" and role != "admin":
        _ensure_another_admin(session, member)
    member.role = role
    return member


def deactivate_member(session: Session, actor: User, user_id: str) -> User:
    lock_organisation(session, actor.organisation_id)
    member = get_owned(session, User, user_id, actor.organisation_id, what="user")
    session.refresh(member)
    if member.role == "admin" and member.is_active:
        _ensure_another_admin(session, member)
    member.is_active = False
    revoke_user_refresh_tokens(session, member.id)
    # What they issued dies with their access, as GitHub revokes a departing member's tokens
    # and SSH keys' access to the organisation: their API keys and their invites not yet used.
    now = utcnow()
    session.execute(
        update(ApiKey)
        .where(
            ApiKey.organisation_id == member.organisation_id,
            ApiKey.created_by == member.id,
            ApiKey.revoked.is_(False),
        )
        .values(revoked=True, revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Invite)
        .where(
            Invite.organisation_id == member.organisation_id,
            Invite.created_by == member.id,
            Invite.accepted_at.is_(None),
            Invite.revoked.is_(False),
        )
        .values(revoked=True)
        .execution_options(synchronize_session=False)
    )
    return member


def lock_organisation(session: Session, organisation_id: str) -> None:
    """Serialise changes to an organisation's members until the transaction ends.

    A no-op UPDATE of the organisation row, rather than SELECT ... FOR UPDATE: PostgreSQL
    takes the row lock either way, and SQLite (which ignores FOR UPDATE) takes its database
    write lock, so "is there another admin?" is answered after any concurrent change
    committed. The caller's own authentication reads ran before it, in autocommit (SQLite)
    or READ COMMITTED (PostgreSQL), so the checks below read fresh rows."""
    session.execute(
        update(Organisation)
        .where(Organisation.id == organisation_id)
        .values(name=Organisation.name)
        .execution_options(synchronize_session=False)
    )


def _ensure_another_admin(session: Session, actor: User) -> None:
    admins = session.scalar(
        select(func.count())
        .select_from(User)
        .where(
            User.organisation_id == actor.organisation_id,
            User.role == "admin",
            User.is_active.is_(True),
            User.id != actor.id,
        )
    )
    if not admins:
        raise Conflict("An organisation needs at least one active admin.", code="last_admin")


def members_query(organisation_id: str, role: str | None = None):
    stmt = tenant_select(User, organisation_id).order_by(User.created_at, User.id)
    if role:
        stmt = stmt.where(User.role == role)
    return stmt


# API keys --------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedApiKey:
    api_key: ApiKey
    secret: str


def create_api_key(
    session: Session, creator: User, *, name: str, scopes: list[str]
) -> IssuedApiKey:
    unknown = sorted(set(scopes) - set(API_KEY_SCOPES))
    if unknown:
        messages = [f"Unknown scope {s!r}." for s in unknown]
        raise Unprocessable(
            f"Unknown scopes: {', '.join(unknown)}.",
            code="invalid_scope",
            details={"errors": {"scopes": messages}},
        )
    prefix = secrets.token_hex(6)
    secret = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        id=new_id("key"),
        organisation_id=creator.organisation_id,
        name=name,
        prefix=prefix,
        secret_hash=_sha256(secret),
        scopes=sorted(set(scopes)),
        created_by=creator.id,
    )
    session.add(key)
    session.flush()
    return IssuedApiKey(key, secret)


def authenticate_api_key(session: Session, presented: str) -> ApiKey:
    invalid = Unauthorized("The API key is not valid.", code="invalid_api_key")
    if not presented.startswith(API_KEY_PREFIX):
        raise invalid
    prefix = presented[len(API_KEY_PREFIX) :].split("_", 1)[0]
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None or not hmac.compare_digest(key.secret_hash, _sha256(presented)):
        raise invalid
    if key.revoked:
        raise Unauthorized("The API key was revoked.", code="api_key_revoked")
    return key


# The last-use time is written at most this often, so a busy key does not turn every
# request into a write.
API_KEY_USE_RESOLUTION = timedelta(minutes=1)


def api_key_use_is_stale(key: ApiKey) -> bool:
    return key.last_used_at is None or utcnow() - key.last_used_at > API_KEY_USE_RESOLUTION


def record_api_key_use(session: Session, key_id: str) -> None:
    now = utcnow()
    session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key_id,
            (ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < now - API_KEY_USE_RESOLUTION),
        )
        .values(last_used_at=now)
    )


def revoke_api_key(session: Session, organisation_id: str, key_id: str) -> ApiKey:
    key = get_owned(session, ApiKey, key_id, organisation_id, what="api_key")
    if not key.revoked:
        key.revoked, key.revoked_at = True, utcnow()
    return key


def get_user(session: Session, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.", code="user_not_found")
    return user
