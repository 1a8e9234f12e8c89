"""Request and response schemas of the learning records (vocabulary-portal shapes)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from marshmallow import Schema, fields, validate

from api.pagination import PageArgs, PaginationSchema
from core.levels import CEFR_LEVELS
from storage.models.learning import LEVEL_SOURCES

LANGUAGE = validate.Regexp(
    r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", error="Use a language code such as 'ja', 'en' or 'pt-BR'."
)


def language(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=[validate.Length(min=2, max=16), LANGUAGE], metadata={"example": "ja"}, **kwargs
    )


def level(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=validate.OneOf(CEFR_LEVELS), allow_none=True, metadata={"example": "A2"}, **kwargs
    )


def strings(max_items: int, max_length: int, **kwargs: Any) -> fields.List:
    return fields.List(
        fields.String(validate=validate.Length(min=1, max=max_length)),
        validate=validate.Length(max=max_items),
        **kwargs,
    )


class StrictBoolean(fields.Boolean):
    """Only JSON true or false (not 1, "yes" or "on"): an answer must be unambiguous."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


# Words


class WordPatchSchema(Schema):
    language = language()
    term = fields.String(
        validate=validate.Length(min=1, max=200), metadata={"example": "こんにちは"}
    )
    reading = fields.String(
        validate=validate.Length(max=200), allow_none=True, metadata={"example": "konnichiwa"}
    )
    translations = strings(20, 200, metadata={"example": ["hello"]})
    part_of_speech = fields.String(
        validate=validate.Length(max=32), allow_none=True, metadata={"example": "interjection"}
    )
    level = level()
    tags = strings(30, 50)
    groups = strings(50, 40, metadata={"description": "Word group ids."})
    media_ids = strings(10, 40, metadata={"description": "Media ids (audio, image)."})


class WordCreateSchema(WordPatchSchema):
    language = language(required=True)
    term = fields.String(
        required=True, validate=validate.Length(min=1, max=200), metadata={"example": "こんにちは"}
    )


class WordSchema(Schema):
    id = fields.String()
    language = fields.String()
    term = fields.String()
    reading = fields.String(allow_none=True)
    translations = fields.List(fields.String())
    part_of_speech = fields.String(allow_none=True)
    level = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    groups = fields.Function(
        lambda word: [group.id for group in word.groups],
        metadata={"type": "array", "items": {"type": "string"}},
    )
    media_ids = fields.List(fields.String())
    media_url = fields.Method(
        "_media_url",
        allow_none=True,
        metadata={
            "type": "string",
            "nullable": True,
            "description": "Content URL of the word's first media file; null without media.",
        },
    )
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    def _media_url(self, word: Any) -> str | None:
        from api import settings

        if not word.media_ids:
            return None
        # Quoted: an id is a path segment, never a path (rows written before ids were checked).
        return (
            f"{settings().public_base_url}/api/v1/media/"
            f"{quote(str(word.media_ids[0]), safe='')}/content"
        )


class WordListArgs(PageArgs):
    language = language()
    group = fields.String(
        validate=validate.Length(max=40),
        metadata={"description": "Only words of this word group id."},
    )
    level = fields.String(validate=validate.OneOf(CEFR_LEVELS))
    q = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Text search in term, reading and translations."},
    )


class DueWordArgs(WordListArgs):
    include_new = fields.Boolean(
        load_default=False,
        metadata={"description": "Also list words never reviewed, after the due ones."},
    )


class MemorySchema(Schema):
    due_at = fields.DateTime(allow_none=True)
    interval_days = fields.Integer()
    ease = fields.Float()
    repetitions = fields.Integer()
    lapses = fields.Integer()
    reviews = fields.Integer()
    last_reviewed_at = fields.DateTime(allow_none=True)


class DueWordSchema(WordSchema):
    memory = fields.Nested(MemorySchema, allow_none=True)


# Word groups


class GroupPatchSchema(Schema):
    name = fields.String(
        validate=validate.Length(min=1, max=200), metadata={"example": "Basic Greetings"}
    )
    language = language()
    description = fields.String(validate=validate.Length(max=2000), allow_none=True)


class GroupCreateSchema(GroupPatchSchema):
    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"example": "Basic Greetings"},
    )
    language = language(required=True)


class GroupSchema(Schema):
    id = fields.String()
    name = fields.String()
    language = fields.String()
    description = fields.String(allow_none=True)
    word_count = fields.Integer()
    created_at = fields.DateTime()


class GroupListArgs(PageArgs):
    language = language()


class MembersSchema(Schema):
    word_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=40)),
        required=True,
        validate=validate.Length(min=1, max=500),
    )


class MembersAddedSchema(Schema):
    group_id = fields.String()
    added = fields.Integer()
    word_count = fields.Integer()


# Learning profiles


class LevelChangeSchema(Schema):
    from_level = fields.String(allow_none=True)
    to_level = fields.String(allow_none=True)
    source = fields.String(metadata={"enum": list(LEVEL_SOURCES)})
    job_id = fields.String(allow_none=True)
    changed_by = fields.String(allow_none=True)
    changed_at = fields.DateTime()


class ProfilePatchSchema(Schema):
    level = level()
    goals = strings(20, 100, metadata={"example": ["travel", "conversation"]})


class ProfileCreateSchema(ProfilePatchSchema):
    language = language(required=True)
    user_id = fields.String(
        validate=validate.Length(max=40),
        metadata={"description": "The learner (staff and API keys); defaults to the caller."},
    )


class ProfileSchema(Schema):
    id = fields.String()
    user_id = fields.String()
    language = fields.String()
    level = fields.String(allow_none=True)
    level_source = fields.String(allow_none=True, metadata={"enum": list(LEVEL_SOURCES)})
    goals = fields.List(fields.String())
    history = fields.List(fields.Nested(LevelChangeSchema))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ProfileListArgs(PageArgs):
    user_id = fields.String(validate=validate.Length(max=40))
    language = language()


# Study sessions and reviews


class SessionCreateSchema(Schema):
    group_id = fields.String(validate=validate.Length(max=40), allow_none=True)
    activity = fields.String(load_default="flashcards", validate=validate.Length(min=1, max=64))


class StudySessionSchema(Schema):
    id = fields.String()
    user_id = fields.String()
    group_id = fields.String(allow_none=True)
    group_name = fields.String(allow_none=True)
    activity = fields.String()
    start_time = fields.String(
        metadata={"format": "date-time", "example": "2025-02-08T17:20:23-05:00"}
    )
    end_time = fields.String(allow_none=True, metadata={"format": "date-time"})
    review_items_count = fields.Integer()
    success_rate = fields.Float(metadata={"description": "Percent of correct answers."})


class StudySessionsSchema(Schema):
    user_id = fields.String()
    study_sessions = fields.List(fields.Nested(StudySessionSchema))
    pagination = fields.Nested(PaginationSchema)


class ReviewCreateSchema(Schema):
    word_id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    correct = StrictBoolean(required=True)


class ReviewAnswerSchema(Schema):
    success = fields.Boolean()
    session_id = fields.String()
    word_id = fields.String()
    correct = fields.Boolean()


# Progress


class StreakSchema(Schema):
    user_id = fields.String()
    current_streak = fields.Integer()
    longest_streak = fields.Integer()
    last_active_date = fields.Date(
        allow_none=True,
        metadata={"description": "The last day with activity, on the learner's calendar."},
    )
    timezone = fields.String()


class LevelSchema(Schema):
    language = fields.String()
    level = fields.String(allow_none=True)
    source = fields.String(allow_none=True)


class StatsSchema(StreakSchema):
    words_studied = fields.Integer()
    words_mastered = fields.Integer(metadata={"description": "Review interval of 21 days or more."})
    reviews = fields.Integer()
    correct_reviews = fields.Integer()
    accuracy = fields.Float(allow_none=True, metadata={"description": "Percent correct."})
    minutes_studied = fields.Float(
        metadata={"description": "Study sessions and time recorded on lessons."}
    )
    sessions = fields.Integer()
    lessons_completed = fields.Integer()
    assessments_taken = fields.Integer()
    levels = fields.List(fields.Nested(LevelSchema))
    usage = fields.Dict(
        metadata={
            "description": "Conversation and speech use: "
            "`speech_minutes_in`, `characters_synthesised`, "
            "`llm_input_tokens`, `llm_output_tokens`, `partner_turns`, "
            "`realtime_sessions`."
        }
    )
