"""Vocabulary: words (teachers write, everyone reads), word groups and membership."""

from __future__ import annotations

from flask.views import MethodView
from sqlalchemy.orm import selectinload

from api.learning.blueprint import blp, now
from api.learning.schemas import (
    DueWordArgs,
    DueWordSchema,
    GroupCreateSchema,
    GroupListArgs,
    GroupPatchSchema,
    GroupSchema,
    MembersAddedSchema,
    MembersSchema,
    WordCreateSchema,
    WordListArgs,
    WordPatchSchema,
    WordSchema,
)
from api.pagination import PageArgs, page_schema, paginate
from api.security import ANY_ROLE, STAFF, auth_required, current_principal
from storage.db import db
from storage.learning import study, vocabulary
from storage.models.learning import Word

READ, WRITE = "learning:read", "learning:write"


def _filters(args: dict) -> dict:
    return {
        "language": args.get("language"),
        "group_id": args.get("group"),
        "level": args.get("level"),
        "q": args.get("q"),
    }


@blp.route("/words")
class Words(MethodView):
    @auth_required(ANY_ROLE, scope=READ)
    @blp.arguments(WordListArgs, location="query")
    @blp.response(200, page_schema(WordSchema))
    def get(self, args: dict):
        """List words (filters: language, group, level, q), in the vocabulary-portal shape."""
        stmt = vocabulary.words_query(current_principal().organisation_id, **_filters(args))
        return paginate(
            db.session, stmt.options(selectinload(Word.groups)), args["page"], args["per_page"]
        )

    @auth_required(STAFF, scope=WRITE)
    @blp.arguments(WordCreateSchema)
    @blp.response(201, WordSchema)
    def post(self, data: dict):
        """Add a word (teachers and admins)."""
        principal = current_principal()
        word = vocabulary.create_word(
            db.session, principal.organisation_id, principal.user_id, data
        )
        db.session.commit()
        return word


@blp.route("/words/due")
class DueWords(MethodView):
    @auth_required(ANY_ROLE)
    @blp.arguments(DueWordArgs, location="query")
    @blp.response(200, page_schema(DueWordSchema))
    def get(self, args: dict):
        """List the caller's words due for review, most overdue first."""
        principal = current_principal()
        stmt = study.due_words_query(
            principal.organisation_id,
            principal.user_id,
            now(),
            include_new=args["include_new"],
            **_filters(args),
        )
        page = paginate(
            db.session, stmt.options(selectinload(Word.groups)), args["page"], args["per_page"]
        )
        page["items"] = study.with_memories(db.session, principal.user_id, list(page["items"]))
        return page


@blp.route("/words/<word_id>")
class WordView(MethodView):
    @auth_required(ANY_ROLE, scope=READ)
    @blp.response(200, WordSchema)
    def get(self, word_id: str):
        """Read a word."""
        return vocabulary.get_word(db.session, current_principal().organisation_id, word_id)

    @auth_required(STAFF, scope=WRITE)
    @blp.arguments(WordPatchSchema)
    @blp.response(200, WordSchema)
    def patch(self, data: dict, word_id: str):
        """Change a word (teachers and admins)."""
        word = vocabulary.get_word(db.session, current_principal().organisation_id, word_id)
        vocabulary.update_word(db.session, word, data)
        db.session.commit()
        return word

    @auth_required(STAFF, scope=WRITE)
    @blp.response(204)
    def delete(self, word_id: str):
        """Delete a word with its reviews and memory (teachers and admins)."""
        word = vocabulary.get_word(db.session, current_principal().organisation_id, word_id)
        vocabulary.delete_word(db.session, word)
        db.session.commit()


@blp.route("/word-groups")
class WordGroups(MethodView):
    @auth_required(ANY_ROLE, scope=READ)
    @blp.arguments(GroupListArgs, location="query")
    @blp.response(200, page_schema(GroupSchema))
    def get(self, args: dict):
        """List word groups, by name."""
        stmt = vocabulary.groups_query(current_principal().organisation_id, args.get("language"))
        return paginate(db.session, stmt, args["page"], args["per_page"])

    @auth_required(STAFF, scope=WRITE)
    @blp.arguments(GroupCreateSchema)
    @blp.response(201, GroupSchema)
    def post(self, data: dict):
        """Create a word group such as "Basic Greetings" (teachers and admins)."""
        group = vocabulary.create_group(db.session, current_principal().organisation_id, data)
        db.session.commit()
        return group


@blp.route("/word-groups/<group_id>")
class WordGroupView(MethodView):
    @auth_required(ANY_ROLE, scope=READ)
    @blp.response(200, GroupSchema)
    def get(self, group_id: str):
        """Read a word group."""
        return vocabulary.get_group(db.session, current_principal().organisation_id, group_id)

    @auth_required(STAFF, scope=WRITE)
    @blp.arguments(GroupPatchSchema)
    @blp.response(200, GroupSchema)
    def patch(self, data: dict, group_id: str):
        """Rename or describe a word group (teachers and admins)."""
        group = vocabulary.get_group(db.session, current_principal().organisation_id, group_id)
        vocabulary.update_group(db.session, group, data)
        db.session.commit()
        return group

    @auth_required(STAFF, scope=WRITE)
    @blp.response(204)
    def delete(self, group_id: str):
        """Delete a word group; its words stay (teachers and admins)."""
        group = vocabulary.get_group(db.session, current_principal().organisation_id, group_id)
        vocabulary.delete_group(db.session, group)
        db.session.commit()


@blp.route("/word-groups/<group_id>/words")
class WordGroupMembers(MethodView):
    @auth_required(ANY_ROLE, scope=READ)
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(WordSchema))
    def get(self, args: dict, group_id: str):
        """List the words of a word group, in the vocabulary-portal shape."""
        group = vocabulary.get_group(db.session, current_principal().organisation_id, group_id)
        stmt = vocabulary.words_query(group.organisation_id, group_id=group.id)
        return paginate(
            db.session, stmt.options(selectinload(Word.groups)), args["page"], args["per_page"]
        )

    @auth_required(STAFF, scope=WRITE)
    @blp.arguments(MembersSchema)
    @blp.response(200, MembersAddedSchema)
    def post(self, data: dict, group_id: str):
        """Add words to a word group; words already in it are skipped."""
        group = vocabulary.get_group(db.session, current_principal().organisation_id, group_id)
        added = vocabulary.add_members(db.session, group, data["word_ids"])
        db.session.commit()
        return {"group_id": group.id, "added": added, "word_count": group.word_count}


@blp.route("/word-groups/<group_id>/words/<word_id>")
class WordGroupMember(MethodView):
    @auth_required(STAFF, scope=WRITE)
    @blp.response(204)
    def delete(self, group_id: str, word_id: str):
        """Take a word out of a word group."""
        group = vocabulary.get_group(db.session, current_principal().organisation_id, group_id)
        vocabulary.remove_member(db.session, group, word_id)
        db.session.commit()
