"""Media: uploads (streamed, presigned, multipart), listing, content, deletion, bulk import.

The presigned multipart endpoints follow Uppy's AwsS3 multipart callbacks; see
api/media/transfer.py for them and for the local backend's signed URLs.
"""

from __future__ import annotations

from flask import Response, redirect, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from api import quotas, settings
from api.jobs import submission
from api.jobs.decorators import submits_job
from api.media.formstream import StreamedForm
from api.media.schemas import (
    ImportRequestSchema,
    MediaListArgs,
    MediaSchema,
    PresignedUploadSchema,
    UploadFormSchema,
    UploadRequestSchema,
)
from api.pagination import page_schema, paginate
from api.security import ANY_ROLE, auth_required, current_principal
from storage.actor import ADMIN, TEACHER
from storage.db import db
from storage.errors import Unprocessable
from storage.media import imports, library, uploads
from storage.models.media import MEDIA_KINDS
from workers import runtime

blp = Blueprint(
    "media",
    __name__,
    url_prefix="/api/v1/media",
    description="Audio, images and archives: stored, checked from their bytes, "
    "and imported into vocabulary.",
)

UPLOAD_URL_SECONDS = 3600


def allow_large_body() -> None:
    # The API's default body limit is small (JSON); uploads get the upload limit.
    request.max_content_length = settings().max_upload_bytes


@blp.route("")
class MediaCollection(MethodView):
    @auth_required(ANY_ROLE, scope="media:read")
    @blp.arguments(MediaListArgs, location="query")
    @blp.response(200, page_schema(MediaSchema))
    def get(self, args: dict):
        """List the media the caller may see, newest first (filter by kind or status)."""
        stmt = library.list_query(
            current_principal(), kind=args.get("kind"), status=args.get("status")
        )
        return paginate(db.session, stmt, args["page"], args["per_page"])

    @auth_required(ANY_ROLE, scope="media:write")
    @blp.doc(
        requestBody={
            "required": True,
            "content": {"multipart/form-data": {"schema": UploadFormSchema}},
        }
    )
    @blp.response(201, MediaSchema)
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    @blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
    def post(self):
        """Upload a file (form field `file`, optional `kind` before it), streamed to storage."""
        allow_large_body()
        form = StreamedForm.from_request(request)
        found = form.next_file("file")
        if found is None:
            raise Unprocessable("The form has no `file` part.", code="file_missing")
        kind = form.fields.get("kind") or None
        if kind is not None and kind not in MEDIA_KINDS:
            raise Unprocessable(
                f"kind must be one of {', '.join(MEDIA_KINDS)}.", code="invalid_kind"
            )
        filename, chunks = found
        media = uploads.create_from_stream(
            db.session,
            runtime.object_store(),
            current_principal(),
            filename,
            chunks,
            kind,
            settings().upload_limits,
            after_body=form.finish,
        )
        exceeded = quotas.check_storage(media)
        if exceeded is not None:
            raise exceeded  # the row rolls back; its object is gone
        db.session.commit()
        return media, 201, {"Location": url_for("media.MediaItem", media_id=media.id)}


@blp.route("/uploads")
class PresignedUploads(MethodView):
    @auth_required(ANY_ROLE, scope="media:write")
    @blp.arguments(UploadRequestSchema)
    @blp.response(201, PresignedUploadSchema)
    def post(self, data: dict):
        """Start a direct upload: a pending media and a presigned PUT URL for its bytes."""
        media, url = uploads.create_presigned(
            db.session,
            runtime.object_store(),
            current_principal(),
            data["filename"],
            data["kind"],
            data.get("size"),
            data.get("content_type"),
            settings().upload_limits,
            UPLOAD_URL_SECONDS,
        )
        db.session.commit()
        headers = {"Content-Type": data["content_type"]} if data.get("content_type") else {}
        return {
            "media": media,
            "upload": {
                "url": url,
                "method": "PUT",
                "headers": headers,
                "expires_in": UPLOAD_URL_SECONDS,
            },
        }


@blp.route("/<media_id>/complete")
class CompleteUpload(MethodView):
    @auth_required(ANY_ROLE, scope="media:write")
    @blp.response(200, MediaSchema)
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
    def post(self, media_id: str):
        """Finish a presigned upload: check the stored bytes and mark the media ready."""
        media = uploads.complete_presigned(
            db.session,
            runtime.object_store(),
            current_principal(),
            media_id,
            settings().upload_limits,
        )
        exceeded = quotas.check_storage(media)
        db.session.commit()  # a rejection is recorded before it is answered
        if exceeded is not None:
            raise exceeded
        uploads.raise_if_rejected(media)
        return media


@blp.route("/<media_id>")
class MediaItem(MethodView):
    @auth_required(ANY_ROLE, scope="media:read")
    @blp.response(200, MediaSchema)
    def get(self, media_id: str):
        """Read one media item."""
        return library.get_media(db.session, current_principal(), media_id)

    @auth_required(ANY_ROLE, scope="media:write")
    @blp.response(204)
    def delete(self, media_id: str):
        """Delete a media item and its stored bytes (owner or staff)."""
        library.delete_media(db.session, runtime.object_store(), current_principal(), media_id)
        db.session.commit()


@blp.route("/<media_id>/content")
class MediaContent(MethodView):
    @auth_required(ANY_ROLE, scope="media:read")
    @blp.response(200, description="The bytes (local storage; `Range` honoured).")
    @blp.alt_response(302, description="A presigned URL of the object store (S3).")
    def get(self, media_id: str):
        """Download the file: a redirect to the object store, or the bytes themselves."""
        answer = library.content(
            db.session,
            runtime.object_store(),
            current_principal(),
            media_id,
            request.method,
            request.headers.get("Range"),
        )
        if isinstance(answer, str):
            return redirect(answer, 302)
        return Response(
            answer.body, status=answer.status, headers=answer.headers, direct_passthrough=True
        )


@blp.route("/imports")
class MediaImports(MethodView):
    @submits_job(blp, ImportRequestSchema, roles=(TEACHER, ADMIN), scope="media:write")
    def post(self, data: dict, callback_url: str | None):
        """Import vocabulary media from a zip, or from uploaded media, with a CSV manifest."""
        job_input = imports.prepare_import(db.session, current_principal(), data)
        return submission.submit("media_import", job_input, callback_url=callback_url)


from api.media import transfer  # noqa: E402, F401  (more views on this blueprint)
