"""Where a job's time goes in the worker: `python -m bench.profile_job [N] [--stats]`.

Builds the platform as a worker process would be (PostgreSQL, Redis, JSON logs at INFO),
submits N `ping` jobs through the API in this process (their messages wait in Redis), then
runs each job's actor as Dramatiq's worker thread does (inside an app context, the session
removed after it), without the consumer: the bare Dramatiq baseline pays that part too.
Prints, per job: CPU time unprofiled, SQL statements (SQLAlchemy's
`before_cursor_execute`), Redis commands (`INFO commandstats`) and the CPU time inside each
part of the engine (cProfile with time.process_time; read the parts as shares).
Needs the bench database (BENCH_DATABASE_URL) and starts a private redis-server.
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import time
from typing import Any

import redis

from bench.profile_submission import _cumulative, profiling_app
from bench.services import prepare_database, private_redis

PARTS = [
    ("whole job (workers.engine.run_job)", "workers/engine.py", "run_job"),
    ("claim UPDATE ... RETURNING", "storage/jobs.py", "claim"),
    ("heartbeat thread start", "workers/engine.py", "start"),
    ("heartbeat thread stop (join)", "workers/engine.py", "stop"),
    ("the handler (ping)", "workers/actors/ping.py", "ping"),
    ("  ctx.report -> progress UPDATE + PUBLISH", "workers/engine.py", "beat"),
    ("complete UPDATE ... RETURNING + terminal hooks", "storage/jobs.py", "complete"),
    ("  terminal hooks", "storage/jobs.py", "_finished"),
    ("    webhook outbox (event row, endpoints)", "storage/webhooks/events.py", "on_job_terminal"),
    ("    usage", "storage/usage.py", "on_job_terminal"),
    ("    learner progress", "storage/learning/progress.py", "on_job_terminal"),
    ("session commit (incl. after-commit callbacks)", "sqlalchemy/orm/session.py", "commit"),
    ("  change notification PUBLISH", "workers/runtime.py", "notify_job"),
    ("session.get (the job after the handler)", "sqlalchemy/orm/session.py", "get"),
    ("log lines", "workers/engine.py", "_log_job"),
    ("metrics", "workers/metrics.py", "job_finished"),
    ("every SQL statement (Connection.execute)", "sqlalchemy/engine/base.py", "execute"),
    ("app context push/pop + session remove", "bench/profile_job.py", "_context"),
]


def _run_jobs(app: Any, run: Any, job_ids: list[str]) -> None:
    from storage.db import db

    for job_id in job_ids:
        context = app.app_context()
        context.push()
        try:
            run(job_id)
        finally:
            _context(db, context)


def _context(db: Any, context: Any) -> None:
    db.session.remove()
    context.pop()


def main(argv: list[str]) -> int:
    numbers = [arg for arg in argv if arg.isdigit()]
    n = int(numbers[0]) if numbers else 300
    with private_redis() as redis_url:
        prepare_database(redis_url)
        from storage.db import db
        from workers import engine

        app, client, headers, statements = profiling_app(redis_url, "Profile jobs")

        def submit(count: int) -> list[str]:
            ids = []
            for _ in range(count):
                answer = client.post("/api/v1/jobs/ping", json={}, headers=headers)
                ids.append(answer.headers["Location"].rsplit("/", 1)[1])
            return ids

        run = engine._actors["ping"].fn
        warm, plain, profiled = submit(20), submit(n), submit(n)
        _run_jobs(app, run, warm)
        start, cpu = time.perf_counter(), time.process_time()
        _run_jobs(app, run, plain)
        wall_ms = (time.perf_counter() - start) * 1000 / n
        cpu_ms = (time.process_time() - cpu) * 1000 / n
        statements.clear()
        redis_client = redis.Redis.from_url(redis_url)
        redis_client.config_resetstat()
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        _run_jobs(app, run, profiled)
        profiler.disable()
        commands = {
            name.removeprefix("cmdstat_"): round(int(value["calls"]) / n, 2)
            for name, value in redis_client.info("commandstats").items()
        }
        commands.pop("info", None)
        commands.pop("config|resetstat", None)
        stats = pstats.Stats(profiler)
        with app.app_context():
            from sqlalchemy import func, select

            from storage.models.jobs import Job

            done = db.session.scalar(
                select(func.count()).where(Job.id.in_(plain + profiled), Job.status == "succeeded")
            )
        print(f"\n== {n} ping jobs run by calling the actor ({done} of {2 * n} succeeded)")
        print(f"unprofiled: wall {wall_ms:.2f} ms/job, CPU {cpu_ms:.2f} ms/job")
        print(
            "SQL statements/job:", {kind: round(count / n, 2) for kind, count in statements.items()}
        )
        print("Redis commands/job:", commands)
        for label, fragment, name in PARTS:
            print(f"  {_cumulative(stats, fragment, name) * 1000 / n:8.3f} ms  {label}")
        if "--stats" in argv:
            stats.sort_stats("cumulative").print_stats(40)
        app.extensions["runtime"].stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
