"""Large uploads in parts (Uppy's AwsS3 multipart callbacks) and the local backend's signed
URLs, which stand in for S3's presigned ones in embedded mode.

Uppy callback -> endpoint: createMultipartUpload -> POST /media/multipart; signPart -> GET
/media/{id}/multipart/{partNumber}; listParts -> GET /media/{id}/multipart;
completeMultipartUpload -> POST /media/{id}/multipart/complete; abortMultipartUpload ->
DELETE /media/{id}/multipart.
"""

from __future__ import annotations

from flask import Response, request, url_for
from flask.views import MethodView

from api import quotas, settings
from api.media.routes import UPLOAD_URL_SECONDS, allow_large_body, blp
from api.media.schemas import (
    CompleteMultipartSchema,
    MultipartCompletedSchema,
    MultipartCreatedSchema,
    PartSchema,
    SignedPartSchema,
    UploadRequestSchema,
)
from api.security import ANY_ROLE, auth_required, current_principal
from storage.db import db
from storage.errors import NotFound
from storage.media import uploads
from storage.objectstore import Part, handle_local_request
from workers import runtime


@blp.route("/multipart")
class MultipartUploads(MethodView):
    @auth_required(ANY_ROLE, scope="media:write")
    @blp.arguments(UploadRequestSchema)
    @blp.response(201, MultipartCreatedSchema)
    def post(self, data: dict):
        """Start a multipart upload of a large file (Uppy: createMultipartUpload)."""
        media, _ = uploads.create_presigned(
            db.session,
            runtime.object_store(),
            current_principal(),
            data["filename"],
            data["kind"],
            data.get("size"),
            data.get("content_type"),
            settings().upload_limits,
            UPLOAD_URL_SECONDS,
            multipart=True,
        )
        db.session.commit()
        return {"uploadId": media.upload_id, "key": media.object_key, "media": media}


@blp.route("/<media_id>/multipart")
class MultipartUpload(MethodView):
    @auth_required(ANY_ROLE, scope="media:write")
    @blp.response(200, PartSchema(many=True))
    def get(self, media_id: str):
        """List the parts uploaded so far (Uppy: listParts)."""
        parts = uploads.list_parts(
            db.session, runtime.object_store(), current_principal(), media_id
        )
        return [{"PartNumber": p.number, "ETag": p.etag, "Size": p.size} for p in parts]

    @auth_required(ANY_ROLE, scope="media:write")
    @blp.response(204)
    def delete(self, media_id: str):
        """Abandon a multipart upload and its pending media (Uppy: abortMultipartUpload)."""
        uploads.abort_multipart(db.session, runtime.object_store(), current_principal(), media_id)
        db.session.commit()


@blp.route("/<media_id>/multipart/<int:part_number>")
class MultipartPart(MethodView):
    @auth_required(ANY_ROLE, scope="media:write")
    @blp.response(200, SignedPartSchema)
    def get(self, media_id: str, part_number: int):
        """A presigned URL for one part; PUT the part there (Uppy: signPart)."""
        url = uploads.sign_part(
            db.session,
            runtime.object_store(),
            current_principal(),
            media_id,
            part_number,
            UPLOAD_URL_SECONDS,
        )
        return {"url": url, "headers": {}}


@blp.route("/<media_id>/multipart/complete")
class MultipartComplete(MethodView):
    @auth_required(ANY_ROLE, scope="media:write")
    @blp.arguments(CompleteMultipartSchema)
    @blp.response(200, MultipartCompletedSchema)
    def post(self, data: dict, media_id: str):
        """Join the parts and check the file (Uppy: completeMultipartUpload)."""
        parts = [Part(p["PartNumber"], p["ETag"]) for p in data["parts"]]
        media = uploads.complete_multipart(
            db.session,
            runtime.object_store(),
            current_principal(),
            media_id,
            parts,
            settings().upload_limits,
        )
        exceeded = quotas.check_storage(media)
        db.session.commit()
        if exceeded is not None:
            raise exceeded
        uploads.raise_if_rejected(media)
        return {"location": url_for("media.MediaContent", media_id=media.id), "media": media}


def _upload_open(payload: dict) -> None:
    uploads.check_upload_open(db.session, payload["key"], payload["op"], payload.get("uid"))
    db.session.commit()  # no transaction (nor pooled connection) held while the body streams


@blp.route("/local/<token>")
class LocalSignedObject(MethodView):
    def _answer(self, token: str) -> Response:
        store = runtime.object_store()
        if store.redirect_downloads:  # S3 serves its own presigned URLs
            raise NotFound("No such URL.", code="not_found")
        if request.method == "PUT":
            allow_large_body()
        answer = handle_local_request(
            store,
            settings().url_signing_key,
            request.method,
            token,
            body=request.stream if request.method == "PUT" else None,
            content_length=request.content_length,
            content_type=request.content_type,
            range_header=request.headers.get("Range"),
            max_bytes=settings().max_upload_bytes,
            may_write=_upload_open,
        )
        return Response(
            answer.body, status=answer.status, headers=answer.headers, direct_passthrough=True
        )

    @blp.response(200, description="The object's bytes; `Range` honoured.")
    def get(self, token: str):
        """Read an object through a local signed URL (embedded mode's presigned GET)."""
        return self._answer(token)

    @blp.response(200, description="Stored; the ETag header names the object or part.")
    def put(self, token: str):
        """Write an object or a part through a local signed URL (embedded mode's PUT)."""
        return self._answer(token)
