"""What the learners' views need beyond the storage services: the caller, the answer's
shape, and acting as the learner in the study services."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from api.security import current_principal
from storage import learners
from storage.db import db
from storage.errors import NotFound
from storage.learning.access import user_in_organisation
from storage.models.identity import User


@dataclass(frozen=True)
class ActingFor:
    """The learner themself, as the study services see the caller: a partner's key
    records a session exactly as the learner's own app would."""

    organisation_id: str
    user_id: str
    role: str = "learner"
    api_key_id: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    def is_staff(self) -> bool:
        return False


def learner_views(users: list[User]) -> list[dict[str, Any]]:
    identities = learners.identities_of(db.session, [u.id for u in users])
    return [_view(user, identities[user.id]) for user in users]


def _view(user: User, identities: list, created: bool | None = None) -> dict[str, Any]:
    email = None if user.email.endswith("@" + learners.PLACEHOLDER_DOMAIN) else user.email
    view = {
        "id": user.id,
        "name": user.name,
        "email": email,
        "timezone": user.timezone,
        "native_language": user.native_language,
        "target_languages": user.target_languages,
        "is_active": user.is_active,
        "external_id": user.external_id,
        "created_at": user.created_at,
        "identities": [{"lms": i.lms, "external_id": i.external_id} for i in identities],
    }
    if created is not None:
        view["created"] = created
    return view


def upsert(lms: str, external_id: str, data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    done = learners.upsert(
        db.session, current_principal().organisation_id, lms=lms, external_id=external_id, **data
    )
    db.session.commit()
    view = _view(
        done.user,
        learners.identities_of(db.session, [done.user.id])[done.user.id],
        created=done.created,
    )
    return view, 201 if done.created else 200


def by_lms_id(lms: str, external_id: str) -> dict[str, Any]:
    organisation_id = current_principal().organisation_id
    user = learners.find(
        db.session, organisation_id, learners.LearnerRef(external_id=external_id, lms=lms)
    )
    if user is None:
        raise NotFound(
            f"No learner with external id {external_id!r} in LMS {lms!r}.", code="learner_not_found"
        )
    return learner_views([user])[0]


def acting_for(user_id: str) -> tuple[User, ActingFor]:
    """The organisation's learner, and the caller acting as them."""
    learner = user_in_organisation(db.session, user_id, current_principal().organisation_id)
    return learner, ActingFor(learner.organisation_id, learner.id)
