"""Same-work baseline of the API submission benchmark: what a careful engineer would write by
hand for the essential work of `POST /api/v1/jobs/ping`, served by gunicorn with the same
settings as the platform, on the same PostgreSQL and Redis.

It verifies the HS256 bearer token (signature, expiry, an admin's role claim), validates the
JSON body, INSERTs one job row into the platform's `jobs` table and commits (a psycopg 3
connection pool), LPUSHes the job id to a Redis list, and answers 202 with the job as JSON
and a Location header. Nothing else: no revocation check, rate limit, idempotency, request
log or schema library.

Environment: BENCH_DATABASE_URL, BENCH_REDIS_URL, BENCH_JWT_KEY (the platform's token signing
key, so the same bearer token works on both), BENCH_QUEUE_KEY (the Redis list).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import jwt
import redis
from flask import Flask, Response, request
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool
from ulid import ULID

app = Flask(__name__)
KEY = os.environ["BENCH_JWT_KEY"]
QUEUE_KEY = os.environ.get("BENCH_QUEUE_KEY", "bench:same-work")
# One connection per gunicorn thread, as the platform's pool gives each thread its own.
pool = ConnectionPool(os.environ["BENCH_DATABASE_URL"], min_size=4, max_size=4, open=True)
client = redis.Redis.from_url(os.environ["BENCH_REDIS_URL"])

INSERT = """INSERT INTO jobs (id, type, queue, actor, status, stage, progress, input,
    attempts, runs, max_attempts, lease_seconds, cancel_requested, owner_user_id,
    learner_user_id, organisation_id, created_at, version)
    VALUES (%s, 'ping', 'scoring', 'ping', 'queued', 'queued', 0, %s, 0, 0, 5, 30, false,
    %s, %s, %s, %s, 1)"""
FIELDS = {"sleep_ms": (int, 0, 60_000), "fail_times": (int, 0, 10), "reject": (bool, None, None)}


def _problem(status: int, code: str) -> Response:
    return Response(
        json.dumps({"status": status, "code": code}),
        status=status,
        mimetype="application/problem+json",
    )


def _validated(body: object) -> dict | None:
    if not isinstance(body, dict) or set(body) - set(FIELDS):
        return None
    data = {"sleep_ms": 0, "fail_times": 0, "reject": False}
    for name, value in body.items():
        kind, low, high = FIELDS[name]
        if type(value) is not kind or (low is not None and not low <= value <= high):
            return None
        data[name] = value
    return data


@app.post("/api/v1/jobs/ping")
def submit() -> Response:
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Bearer "):
        return _problem(401, "unauthorized")
    try:
        claims = jwt.decode(
            auth[7:], KEY, algorithms=["HS256"], options={"require": ["exp", "sub"]}
        )
    except jwt.InvalidTokenError:
        return _problem(401, "token_invalid")
    if claims.get("role") != "admin" or claims.get("type") != "access":
        return _problem(403, "insufficient_role")
    data = _validated(request.get_json(silent=True))
    if data is None:
        return _problem(422, "validation_failed")
    job_id = f"job_{str(ULID()).lower()}"
    now = datetime.now(UTC)
    with pool.connection() as connection:  # commits when the block ends
        connection.execute(
            INSERT, (job_id, Jsonb(data), claims["sub"], claims["sub"], claims["org"], now)
        )
    client.lpush(QUEUE_KEY, job_id)
    body = {
        "id": job_id,
        "type": "ping",
        "status": "queued",
        "stage": "queued",
        "progress": 0,
        "input": data,
        "learner_id": claims["sub"],
        "created_at": now.isoformat(),
    }
    return Response(
        json.dumps(body),
        status=202,
        mimetype="application/json",
        headers={"Location": f"/api/v1/jobs/{job_id}", "Retry-After": "1"},
    )


@app.get("/")
def index() -> Response:
    return Response("same-work baseline\n", mimetype="text/plain")
