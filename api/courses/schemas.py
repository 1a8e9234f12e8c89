from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.fields import CallbackUrl
from api.pagination import PageArgs
from core.levels import CEFR_LEVELS
from storage.models.content import COURSE_STATUSES, SKILLS

_LEVEL = {"validate": validate.OneOf(CEFR_LEVELS), "allow_none": True}
_TITLE = validate.Length(min=1, max=200)


class CourseCreateSchema(Schema):
    title = fields.String(required=True, validate=_TITLE)
    description = fields.String(validate=validate.Length(max=20_000))
    language = fields.String(
        required=True, validate=validate.Length(min=2, max=16), metadata={"example": "en"}
    )
    level_min = fields.String(**_LEVEL)
    level_max = fields.String(**_LEVEL)
    prerequisites = fields.List(
        fields.String(validate=validate.Length(min=1, max=40)),
        validate=validate.Length(max=50),
        metadata={"description": "Ids of courses to take first."},
    )
    status = fields.String(
        validate=validate.OneOf(COURSE_STATUSES),
        metadata={"description": "`draft` (default: staff only) or `published` (learners see it)."},
    )


class CoursePatchSchema(CourseCreateSchema):
    title = fields.String(validate=_TITLE)
    language = fields.String(validate=validate.Length(min=2, max=16))


class CourseSchema(Schema):
    id = fields.String(metadata={"example": "crs_01j..."})
    title = fields.String()
    description = fields.String()
    language = fields.String()
    level_min = fields.String(allow_none=True)
    level_max = fields.String(allow_none=True)
    prerequisites = fields.List(fields.String())
    status = fields.String(metadata={"enum": list(COURSE_STATUSES)})
    created_by = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class CourseListArgs(PageArgs):
    language = fields.String(validate=validate.Length(min=2, max=16))
    level = fields.String(
        validate=validate.OneOf(CEFR_LEVELS),
        metadata={"description": "Courses whose level range holds it."},
    )
    status = fields.String(
        validate=validate.OneOf(COURSE_STATUSES),
        metadata={"description": "Staff only; learners see published."},
    )


class ChapterCreateSchema(Schema):
    title = fields.String(required=True, validate=_TITLE)
    summary = fields.String(validate=validate.Length(max=20_000))
    position = fields.Integer(
        validate=validate.Range(min=1),
        metadata={"description": "1..n+1; the chapters after it move down. Default: last."},
    )


class ChapterPatchSchema(ChapterCreateSchema):
    title = fields.String(validate=_TITLE)


class ChapterSchema(Schema):
    id = fields.String(attribute="chapter.id", metadata={"example": "chp_01j..."})
    course_id = fields.String(attribute="chapter.course_id")
    title = fields.String(attribute="chapter.title")
    summary = fields.String(attribute="chapter.summary")
    position = fields.Integer(attribute="chapter.position")
    previous_chapter_id = fields.String(allow_none=True)
    next_chapter_id = fields.String(allow_none=True)
    created_at = fields.DateTime(attribute="chapter.created_at")
    updated_at = fields.DateTime(attribute="chapter.updated_at")


class ChapterListSchema(Schema):
    items = fields.List(fields.Nested(ChapterSchema))


class ChapterLinkSchema(Schema):
    id = fields.String(required=True, validate=validate.Length(min=1, max=40))
    next = fields.String(required=True, allow_none=True, validate=validate.Length(max=40))


class ChapterOrderSchema(Schema):
    chapter_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=40)),
        validate=validate.Length(max=1000),
        metadata={"description": "Every chapter of the course, in order."},
    )
    links = fields.List(
        fields.Nested(ChapterLinkSchema),
        validate=validate.Length(max=1000),
        metadata={"description": "Or each chapter with its `next` chapter (null for the last)."},
    )

    @validates_schema
    def one_form(self, data: dict, **_: object) -> None:
        if ("chapter_ids" in data) == ("links" in data):
            raise ValidationError("Give chapter_ids or links.", "chapter_ids")


class OutlineLessonSchema(Schema):
    id = fields.String(attribute="lesson.id")
    title = fields.String(attribute="lesson.title")
    level = fields.String(attribute="lesson.level", allow_none=True)
    skill = fields.String(
        attribute="lesson.skill", allow_none=True, metadata={"enum": list(SKILLS)}
    )
    position = fields.Integer(attribute="lesson.position")
    exercise_ids = fields.List(fields.String())


class OutlineChapterSchema(Schema):
    id = fields.String(attribute="chapter.id")
    title = fields.String(attribute="chapter.title")
    position = fields.Integer(attribute="chapter.position")
    lessons = fields.List(fields.Nested(OutlineLessonSchema))


class OutlineSchema(Schema):
    course = fields.Nested(CourseSchema)
    chapters = fields.List(fields.Nested(OutlineChapterSchema))


class CourseImportSchema(Schema):
    archive_media_id = fields.String(
        validate=validate.Length(min=1, max=40),
        metadata={
            "description": "A zip uploaded through /media: course.json and the media its "
            "lessons name (see the README's package format)."
        },
    )
    package = fields.Dict(metadata={"description": "Or the course.json document itself."})
    callback_url = CallbackUrl()


class CoursePackageSchema(Schema):
    format = fields.String(metadata={"example": "course-package/1"})
    course = fields.Dict()
    chapters = fields.List(fields.Dict())
