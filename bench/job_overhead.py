"""Job overhead: `ping` jobs (no work) submitted through the API and run by a real
`dramatiq workers.main` process over Redis, against two baselines on the same Redis with a
worker of the same size: the hand-written claim/finish on the same `jobs` table
(`handwritten_actor.py`) and a bare Dramatiq actor round trip (`bare_actor.py`).

- sequential: one at a time, from submission until the client learns it finished (the
  platform: POST then a long poll, woken by Redis pub/sub; the bare actor: send then BLPOP
  on the list the actor writes to);
- burst: N submitted while no worker runs (submissions/s), then a worker of the same size
  drains them: jobs/s from the first completion to the last.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis

from bench.services import DATABASE_URL, Worker, percentile, platform_env

THREADS = 4


def _summary(latencies_s: list[float]) -> dict[str, float]:
    ms = [value * 1000 for value in latencies_s]
    return {"p50_ms": round(percentile(ms, 50), 2), "p99_ms": round(percentile(ms, 99), 2)}


def _result(sequential: list[float], burst: int, drain_s: float, submit_s: float) -> dict:
    return {
        "sequential": _summary(sequential),
        "burst": {
            "jobs_per_s": round((burst - 1) / drain_s, 1),
            "submit_per_s": round(burst / submit_s, 1),
        },
    }


def platform(redis_url: str, sequential: int, burst: int) -> dict[str, Any]:
    from sqlalchemy import func, select

    from api import create_app
    from core.settings import Settings
    from storage.db import db
    from storage.models.jobs import Job

    env = platform_env(redis_url, Path(tempfile.mkdtemp(prefix="bench-jobs-")))
    worker = Worker("workers.main", env, threads=THREADS, queues=("scoring",))
    # The API side runs in this process; its per-request log lines would only add noise.
    app = create_app(Settings.from_env(env).replace(log_level="WARNING"), start_services=False)
    try:
        client = app.test_client()
        registered = client.post(
            "/api/v1/auth/register",
            json={
                "email": f"bench-{uuid.uuid4().hex}@example.test",
                "password": "bench password 1",
                "name": "Bench",
                "organisation_name": "Bench jobs",
                "timezone": "UTC",
            },
        ).get_json()
        headers = {"Authorization": f"Bearer {registered['access_token']}"}
        org = registered["user"]["organisation_id"]

        def submit() -> str:
            answer = client.post("/api/v1/jobs/ping", json={}, headers=headers)
            if answer.status_code != 202:
                raise RuntimeError(f"submission refused: {answer.get_json()}")
            return answer.headers["Location"]

        def round_trip() -> float:
            started = time.perf_counter()
            location = submit()
            while True:
                job = client.get(f"{location}?wait=30", headers=headers).get_json()
                if job["status"] in ("succeeded", "failed", "canceled"):
                    break
            if job["status"] != "succeeded":
                raise RuntimeError(f"ping job {job['status']}: {job['error']}")
            return time.perf_counter() - started

        for _ in range(10):  # warm-up
            round_trip()
        seq = [round_trip() for _ in range(sequential)]

        # Burst: the jobs wait in Redis while no worker runs, then one worker drains them.
        worker.stop()
        first = time.time()
        for _ in range(burst):
            submit()
        submitted = time.time() - first
        worker = Worker("workers.main", env, threads=THREADS, queues=("scoring",))
        with app.app_context():

            def succeeded() -> int:
                count = db.session.scalar(
                    select(func.count()).where(
                        Job.organisation_id == org, Job.status == "succeeded"
                    )
                )
                db.session.rollback()
                return count

            while succeeded() < 10 + sequential + burst:
                time.sleep(0.05)
            rows = db.session.scalars(
                select(Job.finished_at)
                .where(Job.organisation_id == org)
                .order_by(Job.created_at)
                .offset(10 + sequential)
            ).all()
            db.session.rollback()
        drain = (max(rows) - min(rows)).total_seconds()
        result = _result(seq, burst, drain, submitted)
        result["account"] = (org, registered["user"]["id"])
        return result
    finally:
        worker.stop()
        app.extensions["runtime"].stop()


def _list_round_trips(
    module: str,
    env: dict[str, str],
    redis_url: str,
    sequential: int,
    burst: int,
    send: Callable[[str, int], object],
) -> dict[str, Any]:
    """A baseline whose actor records each completion in a Redis list named by the sender:
    `send(done_list, index)` submits one job."""
    worker = Worker(module, env, threads=THREADS)
    client = redis.Redis.from_url(redis_url)
    try:

        def round_trip() -> float:
            done_list = f"bench:done:{uuid.uuid4().hex}"
            started = time.perf_counter()
            send(done_list, 0)
            if client.blpop([done_list], timeout=30) is None:
                raise RuntimeError(f"{module} did not answer in 30 s")
            return time.perf_counter() - started

        for _ in range(10):
            round_trip()
        seq = [round_trip() for _ in range(sequential)]

        worker.stop()
        done_list = f"bench:done:{uuid.uuid4().hex}"
        first = time.time()
        for index in range(burst):
            send(done_list, index)
        submitted = time.time() - first
        worker = Worker(module, env, threads=THREADS)
        finished: list[float] = []
        while len(finished) < burst:
            item = client.blpop([done_list], timeout=60)
            if item is None:
                raise RuntimeError(f"{module} stopped answering")
            finished.append(float(item[1].decode().split()[1]))
        drain = max(finished) - min(finished)
        return _result(seq, burst, drain, submitted)
    finally:
        worker.stop()


def handwritten(
    redis_url: str, sequential: int, burst: int, organisation_id: str, user_id: str
) -> dict[str, Any]:
    """The hand-written claim/finish on the same tables (bench/handwritten_actor.py): the
    sender inserts the row, sends, and waits on the list the actor writes to."""
    env = {**os.environ, "BENCH_REDIS_URL": redis_url, "BENCH_DATABASE_URL": DATABASE_URL}
    os.environ.update(BENCH_REDIS_URL=redis_url, BENCH_DATABASE_URL=DATABASE_URL)
    from bench import handwritten_actor

    return _list_round_trips(
        "bench.handwritten_actor",
        env,
        redis_url,
        sequential,
        burst,
        lambda done_list, _: handwritten_actor.submit(organisation_id, user_id, done_list),
    )


def bare(redis_url: str, sequential: int, burst: int) -> dict[str, Any]:
    os.environ["BENCH_REDIS_URL"] = redis_url
    env = {**os.environ, "BENCH_REDIS_URL": redis_url}
    from bench import bare_actor

    return _list_round_trips(
        "bench.bare_actor", env, redis_url, sequential, burst, bare_actor.bare_ping.send
    )


def _ratios(mine: dict[str, Any], base: dict[str, Any]) -> dict[str, float]:
    return {
        "sequential_p50": round(mine["sequential"]["p50_ms"] / base["sequential"]["p50_ms"], 2),
        "sequential_p50_overhead_ms": round(
            mine["sequential"]["p50_ms"] - base["sequential"]["p50_ms"], 2
        ),
        "burst_jobs_per_s": round(mine["burst"]["jobs_per_s"] / base["burst"]["jobs_per_s"], 3),
    }


def run(redis_url: str, sequential: int = 100, burst: int = 500) -> dict[str, Any]:
    measured = platform(redis_url, sequential, burst)
    organisation_id, user_id = measured.pop("account")
    by_hand = handwritten(redis_url, sequential, burst, organisation_id, user_id)
    baseline = bare(redis_url, sequential, burst)
    return {
        "title": "Job overhead (ping job vs hand-written claim/finish vs bare Dramatiq actor)",
        "settings": {
            "worker": f"1 process, {THREADS} threads",
            "sequential": sequential,
            "burst": burst,
        },
        "platform": measured,
        "handwritten": by_hand,
        "baseline": baseline,
        "ratio": _ratios(measured, baseline),
        "ratio_handwritten": _ratios(measured, by_hand),
    }
