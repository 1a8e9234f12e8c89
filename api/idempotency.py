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
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from api import settings
from api.security import current_principal
from storage.db import db, utcnow
from storage.errors import Conflict, Unprocessable
from storage.models.jobs import IdempotencyRecord

HEADER = "Idempotency-Key"
IN_FLIGHT_LOCK = timedelta(seconds=60)
_REPLAYED_HEADERS = ("Location", "Retry-After", "Content-Type", "Preference-Applied")

HEADER_DOC = {
    "name": HEADER, "in": "header", "required": False,
    "description": "Unique key (at most 255 characters) making the POST safe to retry.",
    "schema": {"type": "string", "maxLength": 255},
}


def _request_hash() -> str:
    body = request.get_data(cache=True)
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(request.method.encode() + b" " + request.path.encode() + b"\n"
                          + canonical).hexdigest()


def idempotent(func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER)
        if key is None:
            return func(*args, **kwargs)
        if not key or len(key) > 255:
            raise Unprocessable("Idempotency-Key must have 1 to 255 characters.",
                                code="idempotency_key_invalid")
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
        record = IdempotencyRecord(
            organisation_id=principal.organisation_id, principal_id=principal.id, key=key,
            request_hash=request_hash, state="in_flight", locked_until=now + IN_FLIGHT_LOCK,
            expires_at=now + timedelta(seconds=settings().idempotency_ttl), created_at=now)
        session.add(record)
        try:
            session.commit()
            return record
        except IntegrityError:
            session.rollback()
        existing = session.scalar(select(IdempotencyRecord).where(
            IdempotencyRecord.organisation_id == principal.organisation_id,
            IdempotencyRecord.principal_id == principal.id, IdempotencyRecord.key == key))
        if existing is None:
            continue
        if existing.expires_at <= now:
            session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == existing.id))
            session.commit()
            continue
        if existing.request_hash != request_hash:
            raise Unprocessable("This Idempotency-Key was used with a different request.",
                                code="idempotency_key_reused")
        if existing.state == "done":
            return _replay(existing)
        if existing.locked_until > now:
            raise Conflict("A request with this Idempotency-Key is still being processed.",
                           code="idempotency_request_in_flight", headers={"Retry-After": "1"})
        existing.locked_until = now + IN_FLIGHT_LOCK  # the first request died: take over
        session.commit()
        return existing
    raise Conflict("Could not reserve the Idempotency-Key; retry.", code="idempotency_conflict")


def _as_response(value: Any) -> Response:
    from flask import make_response

    return value if isinstance(value, Response) else make_response(value)


def _store(record_id: int, response: Response) -> None:
    record = db.session.get(IdempotencyRecord, record_id)
    if record is None:
        return
    record.state = "done"
    record.response_status = response.status_code
    body = response.get_data()
    record.response_body = {"json": json.loads(body)} if body and response.is_json else {
        "text": body.decode("utf-8", "replace")}
    record.response_headers = {name: response.headers[name] for name in _REPLAYED_HEADERS
                               if name in response.headers}
    db.session.commit()


def _store_committed(record_id: int, job_id: str) -> None:
    from api.jobs.schemas import JobSchema
    from storage.models.jobs import Job

    db.session.rollback()
    job = db.session.get(Job, job_id)
    if job is None:
        _release(record_id)
        return
    response = Response(json.dumps(JobSchema().dump(job)), status=202,
                        mimetype="application/json")
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

