"""`submits_job`: what every job-creating view declares, written once.

A job-creating POST takes the caller's role (and an API key's scope), honours
`Idempotency-Key`, parses its body, may be refused with 429 (rate limit, quota), answers 202
with the job, or 200 with the finished job under `Prefer: wait=N`. A body that names a
`callback_url` hands it to the view as a keyword argument, apart from the job's input.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema

from api.idempotency import idempotent
from api.jobs.schemas import JobSchema
from api.jobs.submission import WAITED_DESCRIPTION
from api.security import ANY_ROLE, auth_required

View = Callable[..., Any]


def submits_job(
    blp: Blueprint,
    body: type[Schema] | None = None,
    *,
    roles: Iterable[str] = ANY_ROLE,
    scope: str | None = "jobs:write",
    refusals: Iterable[tuple[int, str]] = (),
) -> Callable[[View], View]:
    """Decorate a view that creates a job (see the module's docstring).

    `refusals` documents further errors the view answers, e.g. `(409, "CONFLICT")`.
    """

    def decorate(view: View) -> View:
        if body is not None and "callback_url" in body().fields:
            view = _with_callback_url(view)
        decorated = blp.alt_response(200, schema=JobSchema, description=WAITED_DESCRIPTION)(view)
        decorated = blp.response(202, JobSchema)(decorated)
        for status, response in (*refusals, (429, "TOO_MANY_REQUESTS")):
            decorated = blp.alt_response(status, response=response)(decorated)
        if body is not None:
            decorated = blp.arguments(body)(decorated)
        decorated = idempotent(decorated)
        return auth_required(tuple(roles), scope=scope)(decorated)

    return decorate


def _with_callback_url(view: View) -> View:
    @functools.wraps(view)
    def wrapper(self: Any, data: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        return view(self, data, *args, callback_url=data.pop("callback_url", None), **kwargs)

    return wrapper
