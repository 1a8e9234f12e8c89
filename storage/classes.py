"""Classes and assignments: who teaches and who learns in a class, and the tasks set to it.

Rules: every row is of one organisation; an admin manages every class of it, a teacher only
the classes they teach (creating a class makes its creator one of its teachers). Functions
take the session and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from storage.errors import Forbidden, NotFound, Unprocessable
from storage.ids import new_id
from storage.models.classes import Assignment, ClassMember, SchoolClass
from storage.models.identity import User
from storage.speech.catalogue import get_prompt
from storage.tenancy import get_owned, tenant_select

MAX_MEMBERS_PER_REQUEST = 500


@dataclass(frozen=True)
class Staff:
    """The teacher or admin acting; an API key with a classes scope acts as an admin with no
    user (`user_id` None)."""

    organisation_id: str
    user_id: str | None
    is_admin: bool


def _teaches(session: Session, staff: Staff, class_id: str) -> bool:
    return (
        session.scalar(
            select(ClassMember.id).where(
                ClassMember.class_id == class_id,
                ClassMember.user_id == staff.user_id,
                ClassMember.role == "teacher",
            )
        )
        is not None
    )


def get_class(session: Session, staff: Staff, class_id: str) -> SchoolClass:
    """A class of the organisation the caller manages: 404 outside it, 403 for a teacher who
    does not teach it."""
    school_class = get_owned(session, SchoolClass, class_id, staff.organisation_id, what="class")
    if not staff.is_admin and not _teaches(session, staff, class_id):
        raise Forbidden("You do not teach this class.", code="not_class_teacher")
    return school_class


def list_classes(staff: Staff) -> Select:
    stmt = tenant_select(SchoolClass, staff.organisation_id)
    if not staff.is_admin:
        stmt = stmt.where(
            SchoolClass.id.in_(
                select(ClassMember.class_id).where(
                    ClassMember.user_id == staff.user_id, ClassMember.role == "teacher"
                )
            )
        )
    return stmt.order_by(SchoolClass.created_at.desc(), SchoolClass.id.desc())


def create_class(session: Session, staff: Staff, data: dict[str, Any]) -> SchoolClass:
    school_class = SchoolClass(
        id=new_id("cls"),
        organisation_id=staff.organisation_id,
        name=data["name"],
        language=data.get("language"),
        created_by=staff.user_id,
    )
    session.add(school_class)
    session.flush()
    if staff.user_id:  # a teacher teaches the class they create; a partner's key is no one
        session.add(ClassMember(class_id=school_class.id, user_id=staff.user_id, role="teacher"))
        session.flush()
    return school_class


def delete_class(session: Session, staff: Staff, class_id: str) -> None:
    session.delete(get_class(session, staff, class_id))
    session.flush()


def members(session: Session, class_id: str) -> list[tuple[ClassMember, User]]:
    return list(
        session.execute(
            select(ClassMember, User)
            .join(User, User.id == ClassMember.user_id)
            .where(ClassMember.class_id == class_id)
            .order_by(ClassMember.role, User.email)
        )
    )


def add_members(
    session: Session, staff: Staff, class_id: str, role: str, user_ids: list[str], emails: list[str]
) -> list[tuple[ClassMember, User]]:
    """Add users of the organisation to a class (again is a no-op). A learner member must be
    a learner account, a teacher member a teacher or admin; an unknown one refuses all."""
    get_class(session, staff, class_id)
    wanted = list(dict.fromkeys(user_ids)) + list(dict.fromkeys(e.lower() for e in emails))
    if not wanted:
        raise Unprocessable("Name at least one user (user_ids or emails).", code="members_empty")
    if len(wanted) > MAX_MEMBERS_PER_REQUEST:
        raise Unprocessable(
            f"At most {MAX_MEMBERS_PER_REQUEST} members per request.", code="too_many_members"
        )
    found = list(
        session.scalars(
            tenant_select(User, staff.organisation_id).where(
                User.id.in_(user_ids) | User.email.in_([e.lower() for e in emails])
            )
        )
    )
    known = {u.id for u in found} | {u.email.lower() for u in found}
    missing = [w for w in wanted if w not in known]
    if missing:
        raise NotFound(
            f"No user {missing[0]!r} in the organisation.",
            code="user_not_found",
            details={"missing": missing},
        )
    allowed = ("learner",) if role == "learner" else ("teacher", "admin")
    wrong = [u.email for u in found if u.role not in allowed]
    if wrong:
        raise Unprocessable(
            f"{wrong[0]} cannot be a {role} of a class.",
            code="member_role_mismatch",
            details={"users": wrong},
        )
    present = set(
        session.scalars(select(ClassMember.user_id).where(ClassMember.class_id == class_id))
    )
    for user in found:
        if user.id not in present:
            session.add(ClassMember(class_id=class_id, user_id=user.id, role=role))
    session.flush()
    return members(session, class_id)


def remove_member(session: Session, staff: Staff, class_id: str, user_id: str) -> None:
    get_class(session, staff, class_id)
    result = session.execute(
        delete(ClassMember).where(ClassMember.class_id == class_id, ClassMember.user_id == user_id)
    )
    if not result.rowcount:
        raise NotFound(f"No member {user_id!r} in the class.", code="member_not_found")


def class_learner_ids(session: Session, class_id: str) -> set[str]:
    return set(
        session.scalars(
            select(ClassMember.user_id).where(
                ClassMember.class_id == class_id, ClassMember.role == "learner"
            )
        )
    )


# Assignments


def create_assignment(session: Session, staff: Staff, data: dict[str, Any]) -> Assignment:
    """A speaking or writing task for a class. A catalogue prompt brings its language, its
    instructions and (for a reading task) its reference text."""
    get_class(session, staff, data["class_id"])
    language = data.get("language")
    prompt_text = data.get("prompt_text")
    reference_text = data.get("reference_text")
    prompt_id = data.get("prompt_id")
    if prompt_id:
        if data["kind"] != "speaking":
            raise Unprocessable(
                "Catalogue prompts are speaking tasks.", code="prompt_kind_mismatch"
            )
        prompt = get_prompt(session, prompt_id)
        if language and language != prompt.language:
            raise Unprocessable(
                f"The prompt is in {prompt.language!r} but the language given is {language!r}.",
                code="prompt_language_mismatch",
            )
        language, prompt_text = prompt.language, prompt_text or prompt.instructions
        if prompt.kind == "reading" and not reference_text:
            reference_text = prompt.reference_text
    if not language:
        raise Unprocessable(
            "Give the assignment's language (or a catalogue prompt).", code="language_missing"
        )
    if data["kind"] == "writing" and reference_text:
        raise Unprocessable(
            "A reference text is for reading aloud (speaking tasks).",
            code="reference_text_not_allowed",
        )
    assignment = Assignment(
        id=new_id("asg"),
        organisation_id=staff.organisation_id,
        class_id=data["class_id"],
        title=data["title"],
        kind=data["kind"],
        language=language,
        level=data.get("level"),
        prompt_id=prompt_id,
        prompt_text=prompt_text,
        reference_text=reference_text,
        due_at=data.get("due_at"),
        lti_resource_link_id=data.get("lti_resource_link_id"),
        created_by=staff.user_id,
    )
    session.add(assignment)
    session.flush()
    return assignment


def get_assignment(session: Session, staff: Staff, assignment_id: str) -> Assignment:
    assignment = get_owned(
        session, Assignment, assignment_id, staff.organisation_id, what="assignment"
    )
    get_class(session, staff, assignment.class_id)
    return assignment


def list_assignments(staff: Staff, class_id: str | None = None) -> Select:
    stmt = tenant_select(Assignment, staff.organisation_id)
    if class_id:
        stmt = stmt.where(Assignment.class_id == class_id)
    if not staff.is_admin:
        stmt = stmt.where(
            Assignment.class_id.in_(
                select(ClassMember.class_id).where(
                    ClassMember.user_id == staff.user_id, ClassMember.role == "teacher"
                )
            )
        )
    return stmt.order_by(Assignment.created_at.desc(), Assignment.id.desc())


def update_assignment(
    session: Session, staff: Staff, assignment_id: str, data: dict[str, Any]
) -> Assignment:
    assignment = get_assignment(session, staff, assignment_id)
    for name in ("title", "level", "due_at", "prompt_text", "lti_resource_link_id"):
        if name in data:
            setattr(assignment, name, data[name])
    if "reference_text" in data:
        if assignment.kind == "writing" and data["reference_text"]:
            raise Unprocessable(
                "A reference text is for reading aloud (speaking tasks).",
                code="reference_text_not_allowed",
            )
        assignment.reference_text = data["reference_text"]
    session.flush()
    return assignment


def delete_assignment(session: Session, staff: Staff, assignment_id: str) -> None:
    session.delete(get_assignment(session, staff, assignment_id))
    session.flush()
