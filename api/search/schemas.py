from __future__ import annotations

from marshmallow import Schema, fields, validate

from storage.content.search import KINDS, MAX_LIMIT, MAX_QUERY


class SearchArgs(Schema):
    q = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_QUERY),
        metadata={
            "description": "Words to find (web-search syntax on PostgreSQL: quotes, `or`, `-word`)."
        },
    )
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=MAX_LIMIT))
    language = fields.String(
        validate=validate.Length(min=2, max=16),
        metadata={"description": "Only content in this language."},
    )


class SearchHitSchema(Schema):
    type = fields.String(attribute="kind", metadata={"enum": list(KINDS)})
    id = fields.String()
    title = fields.String(metadata={"description": "HTML: escaped, matches in <mark>."})
    snippet = fields.String(metadata={"description": "HTML: escaped, matches in <mark>."})
    score = fields.Float(metadata={"description": "Higher is a better match."})
    course_id = fields.String(allow_none=True)
    language = fields.String()


class SearchResponseSchema(Schema):
    query = fields.String()
    count = fields.Integer()
    results = fields.List(fields.Nested(SearchHitSchema))
