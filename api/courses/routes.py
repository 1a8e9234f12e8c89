"""Courses and their ordered chapters: teachers and admins author, learners read what is
published."""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from api.courses.schemas import (
    ChapterCreateSchema,
    ChapterListSchema,
    ChapterOrderSchema,
    ChapterSchema,
    CourseCreateSchema,
    CourseImportSchema,
    CourseListArgs,
    CoursePackageSchema,
    CoursePatchSchema,
    CourseSchema,
    OutlineSchema,
)
from api.jobs import submission
from api.jobs.decorators import submits_job
from api.pagination import page_schema, paginate
from api.security import ANY_ROLE, STAFF, auth_required, current_principal
from storage.content import courses, imports, packages
from storage.db import db

blp = Blueprint(
    "courses",
    __name__,
    url_prefix="/api/v1/courses",
    description="Courses and their chapters (learning content).",
)


@blp.route("")
class Courses(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.arguments(CourseListArgs, location="query")
    @blp.response(200, page_schema(CourseSchema))
    def get(self, args: dict):
        """List the organisation's courses (learners: the published ones)."""
        stmt = courses.courses_query(
            current_principal(),
            language=args.get("language"),
            level=args.get("level"),
            status=args.get("status"),
        )
        return paginate(db.session, stmt, args["page"], args["per_page"])

    @auth_required(STAFF, scope="learning:write")
    @blp.arguments(CourseCreateSchema)
    @blp.response(201, CourseSchema)
    def post(self, data: dict):
        """Create a course (a draft unless `status` is published)."""
        course = courses.create_course(db.session, current_principal(), data)
        db.session.commit()
        return course, 201, {"Location": url_for("courses.CourseView", course_id=course.id)}


@blp.route("/<course_id>")
class CourseView(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.response(200, CourseSchema)
    def get(self, course_id: str):
        """Read one course."""
        return courses.get_course(db.session, current_principal(), course_id)

    @auth_required(STAFF, scope="learning:write")
    @blp.arguments(CoursePatchSchema)
    @blp.response(200, CourseSchema)
    def patch(self, data: dict, course_id: str):
        """Change a course; `status: published` shows it to learners."""
        course = courses.update_course(db.session, current_principal(), course_id, data)
        db.session.commit()
        return course

    @auth_required(STAFF, scope="learning:write")
    @blp.response(204)
    def delete(self, course_id: str):
        """Delete a course with its chapters, lessons, exercises and attempts."""
        courses.delete_course(db.session, current_principal(), course_id)
        db.session.commit()


@blp.route("/<course_id>/outline")
class Outline(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.response(200, OutlineSchema)
    def get(self, course_id: str):
        """The course with its chapters, lessons and exercise ids, in order."""
        course = courses.get_course(db.session, current_principal(), course_id)
        return {"course": course, "chapters": courses.course_outline(db.session, course.id)}


@blp.route("/<course_id>/chapters")
class Chapters(MethodView):
    @auth_required(ANY_ROLE, scope="learning:read")
    @blp.response(200, ChapterListSchema)
    def get(self, course_id: str):
        """The course's chapters in order, each with its previous and next chapter."""
        course = courses.get_course(db.session, current_principal(), course_id)
        return {"items": courses.chapter_links(courses.chapters_of(db.session, course.id))}

    @auth_required(STAFF, scope="learning:write")
    @blp.arguments(ChapterCreateSchema)
    @blp.response(201, ChapterSchema)
    def post(self, data: dict, course_id: str):
        """Add a chapter (at `position`, default last)."""
        chapter = courses.create_chapter(db.session, current_principal(), course_id, data)
        db.session.commit()
        return (
            courses.chapter_view(db.session, chapter),
            201,
            {"Location": url_for("chapters.ChapterView", chapter_id=chapter.id)},
        )


@blp.route("/<course_id>/chapters/order")
class ChapterOrder(MethodView):
    @auth_required(STAFF, scope="learning:write")
    @blp.arguments(ChapterOrderSchema)
    @blp.response(200, ChapterListSchema)
    def put(self, data: dict, course_id: str):
        """Set the order of every chapter, from a list of ids or from `next` links.

        Gaps, loops and cycles are refused with their own codes."""
        links = [(link["id"], link["next"]) for link in data["links"]] if "links" in data else None
        courses.reorder_chapters(
            db.session,
            current_principal(),
            course_id,
            chapter_ids=data.get("chapter_ids"),
            links=links,
        )
        db.session.commit()
        return {"items": courses.chapter_links(courses.chapters_of(db.session, course_id))}


@blp.route("/imports")
class CourseImports(MethodView):
    @submits_job(blp, CourseImportSchema, roles=STAFF, scope="learning:write")
    def post(self, data: dict, callback_url: str | None):
        """Import a course package (a zip with course.json and media, or the JSON), as a job.

        All of it is imported or, on any problem, none of it."""
        job_input = imports.prepare_import(db.session, current_principal().organisation_id, data)
        return submission.submit("content_import", job_input, callback_url=callback_url)


@blp.route("/<course_id>/export")
class Export(MethodView):
    @auth_required(STAFF, scope="learning:read")
    @blp.response(200, CoursePackageSchema)
    def get(self, course_id: str):
        """The course as a package document (course.json), answers included."""
        return packages.export_package(db.session, current_principal(), course_id)
