from __future__ import annotations

from marshmallow import Schema, fields


class LessonEntrySchema(Schema):
    lesson_id = fields.String()
    title = fields.String()
    completed = fields.Boolean()
    score = fields.Float(allow_none=True)
    time_spent_seconds = fields.Integer()
    completed_at = fields.DateTime(allow_none=True)


class ChapterProgressSchema(Schema):
    chapter_id = fields.String()
    title = fields.String()
    lessons_total = fields.Integer()
    lessons_completed = fields.Integer()
    completed = fields.Boolean()
    time_spent_seconds = fields.Integer()
    lessons = fields.List(fields.Nested(LessonEntrySchema))


class CourseSummarySchema(Schema):
    course_id = fields.String()
    title = fields.String()
    lessons_total = fields.Integer()
    lessons_completed = fields.Integer()
    percent = fields.Float()
    completed = fields.Boolean()
    completed_at = fields.DateTime(allow_none=True)
    started_at = fields.DateTime(allow_none=True)
    last_lesson_id = fields.String(allow_none=True)


class CourseProgressSchema(CourseSummarySchema):
    user_id = fields.String()
    time_spent_seconds = fields.Integer()
    chapters = fields.List(fields.Nested(ChapterProgressSchema))


class CourseSummaryListSchema(Schema):
    items = fields.List(fields.Nested(CourseSummarySchema))
