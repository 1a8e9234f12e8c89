"""Learners as partners see them: naming the learner a job is for, and provisioning learners
by their id in a partner LMS.

A learner is named by the platform's user id, or by `{"external_id", "lms"}`: their id in an
LMS the organisation uses (`lms` is an LTI platform registration id or a label the partner
chooses; without `lms`, the member's own `external_id` is meant). Learners may only name
themselves; teachers, admins and API keys holding `learners:write` may name any active user
of their organisation. Another organisation's user looks exactly like an unknown one.

Functions take the session and change rows; the caller commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.actor import STAFF_ROLES, Actor
from storage.db import utcnow
from storage.errors import Conflict, Forbidden, Unprocessable
from storage.identity import check_timezone, hash_password, normalise_email
from storage.ids import new_id
from storage.models.identity import User
from storage.models.lms import LmsIdentity

# The scope an API key needs to act for learners (name them on jobs, provision them, record
# their study activity); `learners:read` lists them.
ACT_FOR_LEARNERS = "learners:write"
READ_LEARNERS = "learners:read"
# Provisioned learners without an email get an address under a reserved TLD (RFC 2606):
# unique, never deliverable, and never a way to sign in.
PLACEHOLDER_DOMAIN = "learners.invalid"


@dataclass(frozen=True)
class LearnerRef:
    """What a request said about the learner: a user id, or an id in an LMS."""

    user_id: str | None = None
    external_id: str | None = None
    lms: str | None = None

    @classmethod
    def parse(cls, value: str | Mapping[str, Any]) -> LearnerRef:
        if isinstance(value, str):
            return cls(user_id=value)
        return cls(external_id=value["external_id"], lms=value.get("lms"))

    def describe(self) -> str:
        if self.user_id:
            return repr(self.user_id)
        where = f" in LMS {self.lms!r}" if self.lms else ""
        return f"with external id {self.external_id!r}{where}"


def may_act_for_others(actor: Actor) -> bool:
    if actor.api_key_id is not None:
        return ACT_FOR_LEARNERS in actor.scopes
    return actor.role in STAFF_ROLES


def find(session: Session, organisation_id: str, ref: LearnerRef) -> User | None:
    """The organisation's user the reference names, if any."""
    if ref.user_id:
        user = session.get(User, ref.user_id)
        return user if user is not None and user.organisation_id == organisation_id else None
    if ref.lms:
        return session.scalar(
            select(User)
            .join(LmsIdentity, LmsIdentity.user_id == User.id)
            .where(
                LmsIdentity.organisation_id == organisation_id,
                LmsIdentity.lms == ref.lms,
                LmsIdentity.external_id == ref.external_id,
            )
        )
    return session.scalar(
        select(User).where(
            User.organisation_id == organisation_id, User.external_id == ref.external_id
        )
    )


def resolve(session: Session, actor: Actor, value: str | Mapping[str, Any] | None) -> str | None:
    """The user id of the learner a submission is for: the named one when the caller may
    name them, else the caller (None for an API key that names nobody)."""
    if value is None:
        return actor.user_id
    ref = LearnerRef.parse(value)
    user = find(session, actor.organisation_id, ref)
    if actor.user_id is not None and user is not None and user.id == actor.user_id:
        return user.id
    if not may_act_for_others(actor):
        if actor.api_key_id is not None:
            raise Forbidden(
                f"Naming a learner needs an API key with the {ACT_FOR_LEARNERS!r} scope.",
                code="insufficient_scope",
            )
        raise Forbidden("Learners can only submit work for themselves.", code="learner_not_allowed")
    if user is None:
        raise Unprocessable(
            f"No learner {ref.describe()} in your organisation.",
            code="learner_not_found",
            details={"errors": {"learner": ["Unknown learner."]}},
        )
    if not user.is_active:
        raise Unprocessable(
            f"The learner {ref.describe()} is deactivated.",
            code="learner_inactive",
            details={"errors": {"learner": ["Deactivated learner."]}},
        )
    return user.id


# Provisioning ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Upserted:
    user: User
    identity: LmsIdentity
    created: bool


def upsert(
    session: Session,
    organisation_id: str,
    *,
    lms: str,
    external_id: str,
    name: str | None = None,
    email: str | None = None,
    timezone: str | None = None,
    target_languages: list[str] | None = None,
    native_language: str | None = None,
) -> Upserted:
    """Find the learner known to `lms` as `external_id` and update what is given, or create
    them (role learner, no password: they come in through the LMS)."""
    if timezone is not None:
        check_timezone(timezone)
    identity = session.scalar(
        select(LmsIdentity)
        .where(
            LmsIdentity.organisation_id == organisation_id,
            LmsIdentity.lms == lms,
            LmsIdentity.external_id == external_id,
        )
        .with_for_update()
    )
    now = utcnow()
    if identity is not None:
        user = session.get(User, identity.user_id)
        assert user is not None  # the foreign key cascades
        _apply(
            session,
            user,
            name=name,
            email=email,
            timezone=timezone,
            target_languages=target_languages,
            native_language=native_language,
        )
        identity.updated_at = now
        session.flush()
        return Upserted(user, identity, created=False)
    user_id = new_id("usr")
    user = User(
        id=user_id,
        organisation_id=organisation_id,
        role="learner",
        email=f"{user_id}@{PLACEHOLDER_DOMAIN}",
        password_hash=hash_password(secrets.token_urlsafe(32)),
        name=name or external_id,
        timezone=timezone or "UTC",
        native_language=native_language,
        target_languages=target_languages or [],
        created_at=now,
    )
    session.add(user)
    session.flush()
    _apply(session, user, email=email)
    identity = LmsIdentity(
        id=new_id("lmi"),
        organisation_id=organisation_id,
        lms=lms,
        external_id=external_id,
        user_id=user.id,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(identity)
    except IntegrityError:
        # Another request provisioned the same learner first: answer with theirs.
        session.expunge(user)
        return upsert(
            session,
            organisation_id,
            lms=lms,
            external_id=external_id,
            name=name,
            email=email,
            timezone=timezone,
            target_languages=target_languages,
            native_language=native_language,
        )
    return Upserted(user, identity, created=True)


def _apply(session: Session, user: User, **changes: Any) -> None:
    email = changes.pop("email", None)
    if email is not None:
        email = normalise_email(email)
        if email != user.email:
            taken = session.scalar(select(User.id).where(User.email == email))
            if taken is not None:
                raise Conflict("Another account uses this email.", code="email_taken")
            user.email = email
    for key, value in changes.items():
        if value is not None:
            setattr(user, key, value)


def link(
    session: Session, organisation_id: str, user: User, *, lms: str, external_id: str
) -> LmsIdentity:
    """Record that `lms` knows `user` as `external_id` (idempotent)."""
    identity = session.scalar(
        select(LmsIdentity).where(
            LmsIdentity.organisation_id == organisation_id,
            LmsIdentity.lms == lms,
            LmsIdentity.external_id == external_id,
        )
    )
    if identity is None:
        identity = LmsIdentity(
            id=new_id("lmi"),
            organisation_id=organisation_id,
            lms=lms,
            external_id=external_id,
            user_id=user.id,
            created_at=utcnow(),
        )
        session.add(identity)
        session.flush()
    return identity


def identities_of(session: Session, user_ids: list[str]) -> dict[str, list[LmsIdentity]]:
    found: dict[str, list[LmsIdentity]] = {uid: [] for uid in user_ids}
    if user_ids:
        rows = session.scalars(
            select(LmsIdentity)
            .where(LmsIdentity.user_id.in_(user_ids))
            .order_by(LmsIdentity.created_at)
        )
        for row in rows:
            found[row.user_id].append(row)
    return found


def list_query(
    organisation_id: str, *, lms: str | None = None, external_id: str | None = None
) -> Select[tuple[User]]:
    """The organisation's learners (role learner), oldest first; by LMS identity if asked."""
    stmt = select(User).where(User.organisation_id == organisation_id, User.role == "learner")
    if lms or external_id:
        sub = select(LmsIdentity.user_id).where(LmsIdentity.organisation_id == organisation_id)
        if lms:
            sub = sub.where(LmsIdentity.lms == lms)
        if external_id:
            sub = sub.where(LmsIdentity.external_id == external_id)
        stmt = stmt.where(User.id.in_(sub))
    return stmt.order_by(User.created_at, User.id)
