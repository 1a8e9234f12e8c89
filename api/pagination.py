"""One page shape for every list: {"items": [...], "pagination": {...}}."""

from __future__ import annotations

import math
from functools import cache
from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

MAX_PER_PAGE = 100
# Past this page the offset would overflow a 64-bit integer long before any table is that
# long; such a page is a 422, not a database error.
MAX_PAGE = 1_000_000


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE))


class PaginationSchema(Schema):
    current_page = fields.Integer()
    total_pages = fields.Integer()
    total_items = fields.Integer()
    items_per_page = fields.Integer()


@cache
def page_schema(item_schema: type[Schema]) -> type[Schema]:
    """A schema for a page of `item_schema` items, named after it in the OpenAPI document."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    return type(
        name,
        (Schema,),
        {
            "items": fields.List(fields.Nested(item_schema)),
            "pagination": fields.Nested(PaginationSchema),
        },
    )


def paginate(session: Session, stmt: Select, page: int, per_page: int) -> dict[str, Any]:
    """Run `stmt` for one page; a page past the end is empty with the right totals."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return {
        "items": items,
        "pagination": {
            "current_page": page,
            "total_pages": math.ceil(total / per_page) if total else 0,
            "total_items": total,
            "items_per_page": per_page,
        },
    }
