"""Who may read or change whose learning records.

A learner sees their own records; teachers, admins and API keys (staff) see the records of
their organisation's users; nobody sees another organisation's (that looks like a missing
user, so ids cannot be probed across tenants).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from storage.actor import Actor
from storage.errors import Forbidden, NotFound
from storage.models.identity import User


def user_in_organisation(session: Session, user_id: str, organisation_id: str) -> User:
    user = session.get(User, user_id)
    if user is None or user.organisation_id != organisation_id:
        raise NotFound(f"No user with id {user_id!r}.", code="user_not_found")
    return user


def readable_user(session: Session, actor: Actor, user_id: str) -> User:
    """The user whose records `actor` asks for, when `actor` may read them."""
    user = user_in_organisation(session, user_id, actor.organisation_id)
    if actor.user_id != user.id and not actor.is_staff():
        raise Forbidden("Learners can only see their own learning records.", code="not_your_record")
    return user


def require_owner_or_staff(actor: Actor, owner_user_id: str) -> None:
    if actor.user_id != owner_user_id and not actor.is_staff():
        raise Forbidden("Learners can only see their own learning records.", code="not_your_record")
