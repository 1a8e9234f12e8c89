"""Who acts: the one `Actor` every service that checks access takes.

A request's caller (`api.security.Principal`) is an Actor; a worker acting for a job builds a
`JobActor` (the job's owner, or the learner a batch item is about). Learners act on their own
records; teachers, admins and API keys are staff of their organisation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

LEARNER, TEACHER, ADMIN = "learner", "teacher", "admin"
ROLES = (LEARNER, TEACHER, ADMIN)
STAFF_ROLES = (TEACHER, ADMIN)


class Actor(Protocol):
    """The caller as the services see it."""

    @property
    def organisation_id(self) -> str: ...

    @property
    def user_id(self) -> str | None: ...

    @property
    def api_key_id(self) -> str | None: ...

    @property
    def role(self) -> str: ...

    @property
    def scopes(self) -> frozenset[str]: ...

    def is_staff(self) -> bool: ...


def is_staff(role: str, api_key_id: str | None) -> bool:
    """Teachers, admins and API keys are staff: they see their organisation's records."""
    return role in STAFF_ROLES or api_key_id is not None


@dataclass(frozen=True)
class JobActor:
    """The Actor a worker acts as: a job's owner (staff by default) or a learner."""

    organisation_id: str
    user_id: str | None
    api_key_id: str | None = None
    role: str = TEACHER
    scopes: frozenset[str] = frozenset()

    def is_staff(self) -> bool:
        return is_staff(self.role, self.api_key_id)
