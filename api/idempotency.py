"""`Idempotency-Key` on job-creating POSTs: the same key and body replay the first answer;
the same key with another body is 422; the same key while the first request runs is 409."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from copy import deepcopy
from datetime import timedelta
from typing import Any

from flask import Response, g, request, url_for
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from api import settings
from api.security import current_principal
from storage.db import autocommit_connection, db, utcnow
from storage.errors import Conflict, Unprocessable
from storage.models.jobs import IdempotencyRecord

HEADER = "Idempotency-Key"
IN_FLIGHT_LOCK = timedelta(seconds=60)
_REPLAYED_HEADERS = ("Location", "Retry-After", "Content-Type", "Preference-Applied")

HEADER_DOC = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": "Unique key (at most 255 characters) making the POST safe to retry.",
    "schema": {"type": "string", "maxLength": 255},
}


def _request_hash() -> str:
    body = request.get_data(cache=True)
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(
        request.method.encode() + b" " + request.path.encode() + b"\n" + canonical
    ).hexdigest()


def idempotent(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER)
        if key is None:
            return func(*args, **kwargs)
        if not key or len(key) > 255:
            raise Unprocessable(
                "Idempotency-Key must have 1 to 255 characters.", code="idempotency_key_invalid"
            )
        record = _acquire(key, _request_hash())
        if isinstance(record, Response):
            return record
        try:
            response = func(*args, **kwargs)
        except Exception:
            committed = g.pop("committed_job_id", None)
            if committed is None:
                _release(record.id)
            else:
                # The job exists: a retry must get it, not make a second one (Stripe keeps
                # the key of a request that failed after its side effect took place).
                _store_committed(record.id, committed)
            raise
        response = _as_response(response)
        if response.status_code >= 500:
            _release(record.id)
        else:
            _store(record.id, response)
        return response

    doc = deepcopy(getattr(func, "_apidoc", {}))
    manual = doc.setdefault("manual_doc", {})
    manual["parameters"] = [*manual.get("parameters", []), HEADER_DOC]
    wrapper._apidoc = doc  # type: ignore[attr-defined]
    return wrapper


def _acquire(key: str, request_hash: str) -> IdempotencyRecord | Response:
    principal = current_principal()
    now = utcnow()
    session = db.session
    for _ in range(2):
        values = dict(
            organisation_id=principal.organisation_id,
            principal_id=principal.id,
            key=key,
            request_hash=request_hash,
            state="in_flight",
            locked_until=now + IN_FLIGHT_LOCK,
            expires_at=now + timedelta(seconds=settings().idempotency_ttl),
            created_at=now,
        )
        try:
            # One statement in autocommit (one round trip): the key is taken or it is not.
            with autocommit_connection() as connection:
                record_id = connection.execute(
                    insert(IdempotencyRecord).returning(IdempotencyRecord.id), values
                ).scalar_one()
            return IdempotencyRecord(id=record_id, **values)
        except IntegrityError:
            pass
        existing = session.scalar(
            select(IdempotencyRecord).where(
                IdempotencyRecord.organisation_id == principal.organisation_id,
                IdempotencyRecord.principal_id == principal.id,
                IdempotencyRecord.key == key,
            )
        )
        if existing is None:
            continue
        if existing.expires_at <= now:
            session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == existing.id))
            session.commit()
            continue
        if existing.request_hash != request_hash:
            raise Unprocessable(
                "This Idempotency-Key was used with a different request.",
                code="idempotency_key_reused",
            )
        if existing.state == "done":
            return _replay(existing)
        if existing.locked_until > now:
            raise Conflict(
                "A request with this Idempotency-Key is still being processed.",
                code="idempotency_request_in_flight",
                headers={"Retry-After": "1"},
            )
        existing.locked_until = now + IN_FLIGHT_LOCK  # the first request died: take over
        session.commit()
        return existing
    raise Conflict("Could not reserve the Idempotency-Key; retry.", code="idempotency_conflict")


def _as_response(value: Any) -> Response:
    from flask import make_response

    return value if isinstance(value, Response) else make_response(value)


def _store(record_id: int, response: Response) -> None:
    body = response.get_data()
    # One UPDATE in autocommit: no read of the record, no BEGIN and COMMIT round trips.
    with autocommit_connection() as connection:
        connection.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.id == record_id)
            .values(
                state="done",
                response_status=response.status_code,
                response_body={"json": json.loads(body)}
                if body and response.is_json
                else {"text": body.decode("utf-8", "replace")},
                response_headers={
                    name: response.headers[name]
                    for name in _REPLAYED_HEADERS
                    if name in response.headers
                },
            )
        )


def _store_committed(record_id: int, job_id: str) -> None:
    from api.jobs.schemas import JobSchema
    from storage.models.jobs import Job

    db.session.rollback()
    job = db.session.get(Job, job_id)
    if job is None:
        _release(record_id)
        return
    response = Response(json.dumps(JobSchema().dump(job)), status=202, mimetype="application/json")
    response.headers["Location"] = url_for("jobs.JobView", job_id=job.id)
    _store(record_id, response)


def _release(record_id: int) -> None:
    db.session.rollback()
    db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))
    db.session.commit()


def _replay(record: IdempotencyRecord) -> Response:
    stored = record.response_body or {}
    body = json.dumps(stored["json"]) if "json" in stored else stored.get("text", "")
    response = Response(body, status=record.response_status or 200)
    for name, value in (record.response_headers or {}).items():
        response.headers[name] = value
    response.headers["Idempotent-Replayed"] = "true"
    return response
