"""Assignments: speaking or writing tasks set to a class, their batches, results, reviews
and export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from flask import Flask, Response, current_app, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from api import audit
from api.assignments import exports
from api.assignments.schemas import (
    AssignmentCreateSchema,
    AssignmentListArgs,
    AssignmentSchema,
    AssignmentUpdateSchema,
    ExportArgs,
    ResultArgs,
    ResultListSchema,
    ReviewListSchema,
    ReviewRequestSchema,
    ReviewSchema,
)
from api.batches.routes import BatchCreateSchema, BatchSchema, submit_batch
from api.classes.routes import staff
from api.idempotency import idempotent
from api.pagination import PageArgs, page_schema, paginate
from api.security import STAFF, auth_required
from storage import batches, classes, reviews
from storage.db import db

EXPORT_CHUNK = 500

blp = Blueprint(
    "assignments",
    __name__,
    url_prefix="/api/v1/assignments",
    description="Assignments of a class: batch assessment, results, teachers' "
    "reviews and export (teachers and admins).",
)


@blp.route("")
class Assignments(MethodView):
    @auth_required(STAFF, scope="classes:read")
    @blp.arguments(AssignmentListArgs, location="query")
    @blp.response(200, page_schema(AssignmentSchema))
    def get(self, args: dict):
        """List the assignments of the classes the caller teaches (filter by class)."""
        stmt = classes.list_assignments(staff(), args.get("class_id"))
        return paginate(db.session, stmt, args["page"], args["per_page"])

    @auth_required(STAFF, scope="classes:write")
    @blp.arguments(AssignmentCreateSchema)
    @blp.response(201, AssignmentSchema)
    def post(self, data: dict):
        """Set a speaking or writing task to a class."""
        created = classes.create_assignment(db.session, staff(), data)
        db.session.commit()
        return (
            created,
            201,
            {"Location": url_for("assignments.AssignmentView", assignment_id=created.id)},
        )


@blp.route("/<assignment_id>")
class AssignmentView(MethodView):
    @auth_required(STAFF, scope="classes:read")
    @blp.response(200, AssignmentSchema)
    def get(self, assignment_id: str):
        """Read one assignment."""
        return classes.get_assignment(db.session, staff(), assignment_id)

    @auth_required(STAFF, scope="classes:write")
    @blp.arguments(AssignmentUpdateSchema)
    @blp.response(200, AssignmentSchema)
    def patch(self, data: dict, assignment_id: str):
        """Change an assignment's title, level, due date, task text or LTI link."""
        changed = classes.update_assignment(db.session, staff(), assignment_id, data)
        db.session.commit()
        return changed

    @auth_required(STAFF, scope="classes:write")
    @blp.response(204)
    def delete(self, assignment_id: str):
        """Delete an assignment with its batches (the jobs and their results stay)."""
        classes.delete_assignment(db.session, staff(), assignment_id)
        db.session.commit()


@blp.route("/<assignment_id>/batches")
class AssignmentBatches(MethodView):
    @auth_required(STAFF, scope="classes:read")
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, page_schema(BatchSchema))
    def get(self, args: dict, assignment_id: str):
        """List the assignment's batches, newest first."""
        current = staff()
        classes.get_assignment(db.session, current, assignment_id)
        page = paginate(
            db.session,
            batches.list_batches(current.organisation_id, assignment_id),
            args["page"],
            args["per_page"],
        )
        page["items"] = [batches.batch_data(db.session, b) for b in page["items"]]
        return page

    @auth_required(STAFF, scope="classes:write")
    @idempotent
    @blp.arguments(BatchCreateSchema)
    @blp.response(202, BatchSchema)
    def post(self, data: dict, assignment_id: str):
        """Assess many recordings (a zip or uploaded media) or texts (a CSV) at once."""
        return submit_batch(assignment_id, data)


@blp.route("/<assignment_id>/results")
class Results(MethodView):
    @auth_required(STAFF, scope="classes:read")
    @blp.arguments(ResultArgs, location="query")
    @blp.response(200, ResultListSchema)
    def get(self, args: dict, assignment_id: str):
        """Items of the assignment with their AI and reviewed results, a page at a time."""
        current = staff()
        classes.get_assignment(db.session, current, assignment_id)
        after, limit = args.pop("after"), args.pop("limit")
        rows, following = reviews.result_page(
            db.session, current.organisation_id, assignment_id, after, limit, **args
        )
        return {"items": rows, "next": following}


@blp.route("/<assignment_id>/results/export")
class ResultsExport(MethodView):
    @auth_required(STAFF, scope="classes:read")
    @blp.arguments(ExportArgs, location="query")
    @blp.response(200, description="text/csv (streamed) or XLSX: one row per item.")
    def get(self, args: dict, assignment_id: str):
        """Download the assignment's results as CSV (streamed) or XLSX."""
        form = args.pop("format")
        current = staff()
        classes.get_assignment(db.session, current, assignment_id)  # 4xx before streaming
        db.session.commit()
        name = f"{assignment_id}-results.{form}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        if form == "xlsx":
            rows = reviews.result_rows(db.session, current, assignment_id, **args)
            return Response(exports.xlsx_chunks(rows), mimetype=exports.XLSX_TYPE, headers=headers)
        body = _csv(current_app._get_current_object(), current.organisation_id, assignment_id, args)
        return Response(body, mimetype="text/csv", headers=headers)


def _csv(app: Flask, organisation_id: str, assignment_id: str, args: dict) -> Iterator[str]:
    """Read a chunk, write it, send it. Each chunk is read on an app context of its own,
    opened and closed between two yields: the body is sent after the view has returned."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(reviews.EXPORT_COLUMNS)
    after: int | None = 0
    while after is not None:
        with app.app_context():
            rows, after = reviews.result_page(
                db.session, organisation_id, assignment_id, after, EXPORT_CHUNK, **args
            )
            db.session.remove()
        for row in rows:
            writer.writerow([_cell(row[c]) for c in reviews.EXPORT_COLUMNS])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


_cell = exports.cell


@blp.route("/<assignment_id>/results/<job_id>/reviews")
class Reviews(MethodView):
    @auth_required(STAFF, scope="classes:read")
    @blp.response(200, ReviewListSchema)
    def get(self, assignment_id: str, job_id: str):
        """The audit trail of a result: every review, oldest first, with the AI result."""
        return {"items": reviews.history(db.session, staff(), assignment_id, job_id)}

    @auth_required(STAFF)
    @blp.arguments(ReviewRequestSchema)
    @blp.response(201, ReviewSchema)
    def post(self, data: dict, assignment_id: str, job_id: str):
        """Override a result's level or sub-scores with a comment (the AI result stays)."""
        row = reviews.review(db.session, staff(), assignment_id, job_id, data)
        audit.record(
            "result.reviewed",
            target_type="job",
            target_id=job_id,
            before={"level": row.ai_level, "scores": row.ai_scores},
            after={
                "review_id": row.id,
                "assignment_id": assignment_id,
                "level": row.level,
                "scores": row.scores,
            },
        )
        db.session.commit()
        return row, 201
