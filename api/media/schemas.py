"""Media request and response bodies."""

from __future__ import annotations

from flask import url_for
from marshmallow import Schema, fields, validate

from api.fields import CallbackUrl
from api.pagination import PageArgs
from storage.models.media import MEDIA_KINDS, MEDIA_SOURCES, MEDIA_STATUSES, MEDIA_VISIBILITIES

LANGUAGE = validate.Regexp(
    r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$", error="Not a language tag such as en or ja."
)


class MediaErrorSchema(Schema):
    code = fields.String()
    message = fields.String()


class MediaSchema(Schema):
    id = fields.String(metadata={"example": "med_01jd3k..."})
    kind = fields.String(metadata={"enum": list(MEDIA_KINDS)})
    filename = fields.String(metadata={"description": "The name the file was uploaded with."})
    content_type = fields.String(
        allow_none=True, metadata={"description": "Decided from the file's bytes."}
    )
    size = fields.Integer(allow_none=True)
    sha256 = fields.String(allow_none=True)
    duration = fields.Float(allow_none=True, metadata={"description": "Seconds (audio)."})
    status = fields.String(metadata={"enum": list(MEDIA_STATUSES)})
    source = fields.String(metadata={"enum": list(MEDIA_SOURCES)})
    visibility = fields.String(metadata={"enum": list(MEDIA_VISIBILITIES)})
    error = fields.Nested(MediaErrorSchema, allow_none=True)
    owner_user_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    content_url = fields.Function(
        lambda media: url_for("media.MediaContent", media_id=media.id),
        metadata={"description": "GET it for the bytes (a redirect on S3)."},
    )


class MediaListArgs(PageArgs):
    kind = fields.String(validate=validate.OneOf(MEDIA_KINDS))
    status = fields.String(validate=validate.OneOf(MEDIA_STATUSES))


class UploadFormSchema(Schema):
    """Documentation of the multipart form of POST /media (it is read as a stream)."""

    kind = fields.String(
        validate=validate.OneOf(MEDIA_KINDS),
        metadata={"description": "Optional; send it before `file`."},
    )
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class UploadRequestSchema(Schema):
    filename = fields.String(required=True, validate=validate.Length(min=1, max=255))
    kind = fields.String(required=True, validate=validate.OneOf(MEDIA_KINDS))
    content_type = fields.String(validate=validate.Length(max=100))
    size = fields.Integer(
        validate=validate.Range(min=0),
        metadata={"description": "Bytes, when known: too large is 413 now."},
    )


class UploadTargetSchema(Schema):
    url = fields.String()
    method = fields.String()
    headers = fields.Dict(keys=fields.String(), values=fields.String())
    expires_in = fields.Integer()


class PresignedUploadSchema(Schema):
    media = fields.Nested(MediaSchema)
    upload = fields.Nested(UploadTargetSchema)


class MultipartCreatedSchema(Schema):
    """What Uppy's `createMultipartUpload` expects (uploadId, key), plus the media."""

    uploadId = fields.String()  # Uppy's name
    key = fields.String()
    media = fields.Nested(MediaSchema)


class SignedPartSchema(Schema):
    url = fields.String()
    headers = fields.Dict(keys=fields.String(), values=fields.String())


class PartSchema(Schema):
    """A part as Uppy names it."""

    PartNumber = fields.Integer(required=True, validate=validate.Range(min=1, max=10_000))
    ETag = fields.String(required=True, validate=validate.Length(min=1, max=100))
    Size = fields.Integer(dump_only=True)


class CompleteMultipartSchema(Schema):
    parts = fields.List(
        fields.Nested(PartSchema), required=True, validate=validate.Length(min=1, max=10_000)
    )


class MultipartCompletedSchema(Schema):
    location = fields.String()
    media = fields.Nested(MediaSchema)


class ImportRequestSchema(Schema):
    archive_media_id = fields.String(
        validate=validate.Length(max=40), metadata={"description": "A zip uploaded as media."}
    )
    media_ids = fields.List(
        fields.String(validate=validate.Length(max=40)),
        validate=validate.Length(max=1000),
        metadata={"description": "Uploaded audio or images to link."},
    )
    manifest_media_id = fields.String(
        validate=validate.Length(max=40),
        metadata={
            "description": "A CSV manifest uploaded as media; a zip may hold manifest.csv instead."
        },
    )
    language = fields.String(
        validate=LANGUAGE, metadata={"description": "For rows that name no language."}
    )
    group = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Word group for rows that name none."},
    )
    callback_url = CallbackUrl()
