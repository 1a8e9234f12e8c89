"""Helpers that apply the organisation filter to a tenant table: a query of one tenant table
goes through them; a query joining several filters each table by organisation itself."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from storage.errors import NotFound

T = TypeVar("T")


def tenant_select(model: type[T], organisation_id: str) -> Select[tuple[T]]:
    """`SELECT model WHERE organisation_id = ...`; build every tenant query from this."""
    return select(model).where(model.organisation_id == organisation_id)  # type: ignore[attr-defined]


def get_owned(
    session: Session,
    model: type[T],
    object_id: Any,
    organisation_id: str,
    *,
    what: str | None = None,
    for_update: bool = False,
) -> T:
    """Load one row of the organisation or raise NotFound: another tenant's id looks
    exactly like a missing one."""
    stmt = tenant_select(model, organisation_id).where(model.id == object_id)  # type: ignore[attr-defined]
    if for_update:
        stmt = stmt.with_for_update()
    row = session.scalars(stmt).first()
    if row is None:
        label = what or getattr(model, "__tablename__", "object").rstrip("s")
        raise NotFound(f"No {label} with id {object_id!r}.", code=f"{label}_not_found")
    return row
