"""Where a submission's time goes: `python -m bench.profile_submission [N]`.

Builds the platform as a production API process would be (PostgreSQL, Redis, JSON logs at
INFO), registers an admin, and sends N authenticated `POST /api/v1/jobs/ping` through the
app in this process under cProfile, with and without an `Idempotency-Key`. Prints, per
request: wall time, SQL statements (counted with SQLAlchemy's `before_cursor_execute`
event), Redis commands (the server's own `INFO commandstats`), and the time inside each
part of the path (cProfile's cumulative time of the functions that do it, divided by N).
The profiler counts CPU time (time.process_time), so waits on the network and on a busy
machine do not show; cProfile slows Python calls down, so read the parts as shares.
Needs the bench database (BENCH_DATABASE_URL) and starts a private redis-server.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import event

from bench.services import platform_env, prepare_database, private_redis

# (label, module path fragment, function name): cumulative time of each, per request.
PARTS = [
    ("whole request (Flask full_dispatch_request)", "flask/app.py", "full_dispatch_request"),
    ("before_request: request id", "api/logs.py", "assign_request_id"),
    ("before_request: JSON depth/unicode guard", "api/jsonguard.py", "check_json_body"),
    (
        "auth: JWT decode + verify (incl. revocation)",
        "flask_jwt_extended/view_decorators.py",
        "verify_jwt_in_request",
    ),
    ("auth: revocation check + user (cache or 1 query)", "api/tokens.py", "token_state"),
    ("auth:   the query itself (cache misses)", "storage/identity.py", "access_token_state"),
    ("auth: whole authenticate_request", "api/security.py", "authenticate_request"),
    ("idempotency: reserve key (INSERT + commit)", "api/idempotency.py", "_acquire"),
    ("idempotency: store answer (UPDATE + commit)", "api/idempotency.py", "_store"),
    ("schema load (webargs + marshmallow)", "webargs/core.py", "parse"),
    ("rate limiter (Redis pipeline)", "api/ratelimit.py", "check"),
    ("learner resolution", "storage/learners.py", "resolve"),
    ("job spec", "workers/engine.py", "job_spec"),
    ("new job object", "storage/jobs.py", "new_job"),
    ("ORM path: add + flush (when a transaction is open)", "sqlalchemy/orm/session.py", "flush"),
    ("ORM path: commit (incl. after-commit send)", "sqlalchemy/orm/session.py", "commit"),
    (
        "Core path: INSERT (autocommit) + send + enqueued_at",
        "workers/runtime.py",
        "insert_and_send",
    ),
    ("send + enqueued_at UPDATE (either path)", "workers/runtime.py", "send_job"),
    ("  broker enqueue (Redis)", "workers/runtime.py", "broker_send"),
    ("every SQL statement (Connection.execute)", "sqlalchemy/engine/base.py", "execute"),
    ("metrics counter", "workers/metrics.py", "job_submitted"),
    ("response: schema dump (marshmallow)", "marshmallow/schema.py", "dump"),
    ("response: url_for Location", "flask/helpers.py", "url_for"),
    ("after_request: access log line", "api/logs.py", "log_request"),
    ("after_request: rate limit headers", "api/ratelimit.py", "_rate_limit_headers"),
    ("session teardown (remove)", "sqlalchemy/orm/scoping.py", "remove"),
]


def _cumulative(stats: pstats.Stats, fragment: str, name: str) -> float:
    total = 0.0
    for (filename, _line, function), row in stats.stats.items():  # type: ignore[attr-defined]
        if function == name and filename.replace("\\", "/").endswith(fragment):
            total += row[3]  # cumulative time
    return total


def _run(
    client: Any,
    headers: dict[str, str],
    n: int,
    idempotent: bool,
    statements: Counter,
    redis_client: redis.Redis,
) -> dict[str, Any]:
    def post(index: int) -> None:
        extra = {"Idempotency-Key": f"k-{uuid.uuid4().hex}"} if idempotent else {}
        answer = client.post(
            "/api/v1/jobs/ping", json={"sleep_ms": 0}, headers={**headers, **extra}
        )
        if answer.status_code != 202:
            raise RuntimeError(f"submission refused: {answer.status_code} {answer.data[:300]}")

    for i in range(20):  # warm-up: first-call paths, pools
        post(i)
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(n):
        post(i)
    plain_ms = (time.perf_counter() - start) * 1000 / n
    plain_cpu_ms = (time.process_time() - cpu) * 1000 / n
    statements.clear()
    redis_client.config_resetstat()
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for i in range(n):
        post(i)
    profiler.disable()
    commands = {
        name.removeprefix("cmdstat_"): int(value["calls"])
        for name, value in redis_client.info("commandstats").items()
    }
    commands.pop("info", None)
    stats = pstats.Stats(profiler)
    return {
        "wall_ms_per_request_unprofiled": round(plain_ms, 2),
        "cpu_ms_per_request_unprofiled": round(plain_cpu_ms, 2),
        "sql_per_request": {kind: round(count / n, 2) for kind, count in statements.items()},
        "redis_per_request": {name: round(count / n, 2) for name, count in commands.items()},
        "parts_ms": {
            label: round(_cumulative(stats, fragment, name) * 1000 / n, 3)
            for label, fragment, name in PARTS
        },
        "stats": stats,
    }


def profiling_app(redis_url: str, organisation: str) -> tuple[Any, Any, dict[str, str], Counter]:
    """The platform's app on the bench database and `redis_url`, its access log silenced, a
    counter of SQL statements by verb, and a test client signed in as a new organisation's
    admin: (app, client, headers, statements)."""
    import logging

    from api import create_app
    from core.settings import Settings
    from storage.db import db

    env = platform_env(redis_url, Path(tempfile.mkdtemp(prefix="bench-profile-")))
    app = create_app(Settings.from_env(env), start_services=False)
    # The access log goes where a production process sends it, but not to this terminal.
    for handler in logging.getLogger().handlers:
        if getattr(handler, "_platform", False):
            handler.stream = open("/dev/null", "w")  # noqa: SIM115
    statements: Counter = Counter()
    with app.app_context():

        @event.listens_for(db.engine, "before_cursor_execute")
        def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements[statement.split(None, 1)[0].upper()] += 1

    client = app.test_client()
    registered = client.post(
        "/api/v1/auth/register",
        json={
            "email": f"profile-{uuid.uuid4().hex}@example.test",
            "password": "bench password 1",
            "name": "Profile",
            "organisation_name": organisation,
            "timezone": "UTC",
        },
    ).get_json()
    return app, client, {"Authorization": f"Bearer {registered['access_token']}"}, statements


def main(argv: list[str]) -> int:
    numbers = [arg for arg in argv if arg.isdigit()]
    n = int(numbers[0]) if numbers else 300
    with private_redis() as redis_url:
        prepare_database(redis_url)
        app, client, headers, statements = profiling_app(redis_url, "Profile")
        redis_client = redis.Redis.from_url(redis_url)
        for idempotent in (False, True):
            result = _run(client, headers, n, idempotent, statements, redis_client)
            stats = result.pop("stats")
            print(f"\n== {'with' if idempotent else 'without'} Idempotency-Key, {n} requests")
            print(
                f"unprofiled, test client: wall {result['wall_ms_per_request_unprofiled']} "
                f"ms/request, CPU {result['cpu_ms_per_request_unprofiled']} ms/request"
            )
            print(f"SQL statements/request: {result['sql_per_request']}")
            print(f"Redis commands/request: {result['redis_per_request']}")
            for label, ms in result["parts_ms"].items():
                print(f"  {ms:8.3f} ms  {label}")
            if "--stats" in argv:
                stats.sort_stats("tottime").print_stats(25)
        app.extensions["runtime"].stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
