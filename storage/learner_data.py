"""Which rows of the platform are one learner's: the list that erasure deletes and a subject
access export copies, derived from the tables' own foreign keys so that a table added later
is covered without anyone remembering to list it.

A table holds a learner's rows when
- a column naming a user is one of SUBJECT_COLUMNS (`user_id`, `learner_user_id`...): the
  row is about that user; columns in ACTOR_COLUMNS (`created_by`, `reviewer_id`...) name
  staff who acted and do not make a row theirs. A foreign key to `users` under any other
  name stops the derivation (`Unclassified`): whoever adds it decides which it is;
- it hangs by an ON DELETE CASCADE key from a learner's row (a review of their study
  session, a delivery of their webhook event): it goes with the row, so it is theirs too;
- a column without a foreign key links it (LINKS: a webhook event names a job by id).

Rows are always selected inside the organisation (tables without an organisation column are
reached through a learner-owned parent or the learner's own id). KEPT tables are exported
but not deleted by erasure: the audit log is append-only and usage records stay,
anonymised, for the organisation's totals."""

from __future__ import annotations

import graphlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, and_, exists, false, or_, select

from storage.db import db

USERS = "users"
SUBJECT_COLUMNS = frozenset(
    {"user_id", "learner_user_id", "owner_user_id", "learner_id", "accepted_by"}
)
ACTOR_COLUMNS = frozenset({"created_by", "changed_by", "reviewer_id"})
# Columns that name a learner's row without a foreign key: table -> [(column, target)].
LINKS: dict[str, tuple[tuple[str, str], ...]] = {
    "webhook_events": (("job_id", "jobs"),),
    "usage_counters": (("subject", USERS),),
    "idempotency_records": (("principal_id", USERS),),
    "audit_records": (("target_id", USERS), ("actor_id", USERS)),
}
# Exported, never deleted by erasure: what erasure does with them instead.
KEPT = {
    "audit_records": "append-only; the erasure's own record holds counts only",
    "usage_records": "kept for the organisation's totals, the learner's id cleared",
}
# Columns an export leaves out: credentials, however hashed.
SECRET_COLUMNS = frozenset(
    {
        "password_hash",
        "token_hash",
        "code_hash",
        "secret_hash",
        "run_token",
        "nonce",
        "code_verifier",
    }
)


class Unclassified(Exception):
    """A foreign key to users that is neither a subject nor an actor column."""


@dataclass(frozen=True)
class Holding:
    """One table that holds learners' rows, and the tables its selection reads."""

    table: Table
    parents: tuple[tuple[str, str], ...]  # (column, parent table) by CASCADE key or LINKS
    subject_columns: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.table.name


def _classify(table: Table) -> tuple[list[str], list[tuple[str, str]]]:
    subject, parents = [], []
    for column in table.columns:
        for fk in column.foreign_keys:
            target = fk.column.table.name
            if target == USERS:
                if column.name in SUBJECT_COLUMNS:
                    subject.append(column.name)
                elif column.name not in ACTOR_COLUMNS:
                    raise Unclassified(
                        f"{table.name}.{column.name} names a user: add it to SUBJECT_COLUMNS "
                        "(the row is about that user) or ACTOR_COLUMNS (staff who acted)"
                    )
            elif (fk.ondelete or "").upper() == "CASCADE" and target != "organisations":
                parents.append((column.name, target))
    for column, target in LINKS.get(table.name, ()):
        if target == USERS:
            subject.append(column)
        else:
            parents.append((column, target))
    return subject, parents


@cache
def holdings() -> dict[str, Holding]:
    """Every table holding learners' rows, parents before children (the export's order;
    erasure deletes in the reverse)."""
    import storage.models  # noqa: F401  (every model, so the metadata is complete)

    tables = db.metadata.tables
    classified = {name: _classify(table) for name, table in tables.items()}
    owned = {USERS} | {name for name, (subject, _) in classified.items() if subject}
    while True:  # a CASCADE child of a learner's table is theirs too
        more = {
            name
            for name, (_, parents) in classified.items()
            if name not in owned and any(p in owned for _, p in parents)
        }
        if not more:
            break
        owned |= more
    order = graphlib.TopologicalSorter(
        {name: {p for _, p in classified[name][1] if p in owned and p != name} for name in owned}
    )
    ordered = list(order.static_order())
    return {
        name: Holding(
            tables[name],
            tuple((c, p) for c, p in classified[name][1] if p in owned),
            tuple(classified[name][0]),
        )
        for name in ordered
    }


# Rows that belong to a learner by something other than a column: the recordings their jobs
# and batch submissions name (a teacher may have uploaded them in a batch).
def _media_named_by_their_work(org: str, uid: str) -> ColumnElement[bool]:
    jobs, items, batches = (db.metadata.tables[n] for n in ("jobs", "batch_items", "batches"))
    media = db.metadata.tables["media"]
    from_jobs = select(jobs.c.input["media_id"].as_string()).where(where("jobs", org, uid))
    from_batches = (
        select(items.c.media_id)
        .join(batches, batches.c.id == items.c.batch_id)
        .where(batches.c.organisation_id == org, items.c.learner_id == uid)
    )
    return or_(media.c.id.in_(from_jobs), media.c.id.in_(from_batches))


def _invites_to_them(org: str, uid: str) -> ColumnElement[bool]:
    invites, users = db.metadata.tables["invites"], db.metadata.tables[USERS]
    return invites.c.email.in_(
        select(users.c.email).where(users.c.organisation_id == org, users.c.id == uid)
    )


EXTRA: dict[str, Callable[[str, str], ColumnElement[bool]]] = {
    "media": _media_named_by_their_work,
    "invites": _invites_to_them,
}


def where(name: str, org: str, uid: str) -> ColumnElement[bool]:
    """The condition selecting the learner's rows of one table, inside the organisation."""
    holding = holdings()[name]
    table = holding.table
    parts: list[ColumnElement[bool]] = []
    if name == USERS:
        parts.append(table.c.id == uid)
    parts += [table.c[column] == uid for column in holding.subject_columns]
    for column, parent in holding.parents:
        key = _parent_key(table, column, parent)
        parts.append(table.c[column].in_(select(key).where(where(parent, org, uid))))
    if name in EXTRA:
        parts.append(EXTRA[name](org, uid))
    condition = or_(*parts) if parts else false()
    if "organisation_id" in table.c:
        return and_(table.c.organisation_id == org, condition)
    # No organisation column (a refresh token, a class membership): only while the learner
    # is a member of this organisation.
    users = db.metadata.tables[USERS]
    return and_(condition, exists().where(users.c.id == uid, users.c.organisation_id == org))


def _parent_key(table: Table, column: str, parent: str) -> Any:
    for fk in table.c[column].foreign_keys:
        if fk.column.table.name == parent:
            return fk.column
    return db.metadata.tables[parent].c.id  # a LINKS column names the parent's id


def rows(name: str, org: str, uid: str) -> Select:
    """The learner's rows of one table, in a stable order."""
    table = holdings()[name].table
    return select(table).where(where(name, org, uid)).order_by(*table.primary_key.columns)


def exported(row: Any) -> dict[str, Any]:
    """A row as an export shows it: every column but credentials."""
    return {key: value for key, value in row._mapping.items() if key not in SECRET_COLUMNS}
