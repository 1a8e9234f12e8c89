"""Job baseline of the job overhead benchmark: the essential work of a job engine written by
hand on the platform's own `jobs` table. The sender INSERTs the job row (autocommit) and
sends the id; the actor claims it with one conditional `UPDATE ... RETURNING`
(queued -> running, with a run token) and finishes it with one `UPDATE` guarded by that
token (running -> succeeded, with the result), each a single autocommit statement on a
psycopg 3 pool, then records its completion in a Redis list named by the sender.
No heartbeat thread, progress, notifications, hooks, metrics or logs.

Environment: BENCH_REDIS_URL, BENCH_DATABASE_URL.
"""

from __future__ import annotations

import os
import secrets
import time
from datetime import UTC, datetime

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool
from ulid import ULID

REDIS_URL = os.environ["BENCH_REDIS_URL"]
QUEUE = "bench-handwritten"
THREADS = 4

broker = RedisBroker(url=REDIS_URL, namespace="bench-handwritten")
dramatiq.set_broker(broker)
_client = redis.Redis.from_url(REDIS_URL)
_pool: ConnectionPool | None = None

INSERT = """INSERT INTO jobs (id, type, queue, actor, status, stage, progress, input,
    attempts, runs, max_attempts, lease_seconds, cancel_requested, owner_user_id,
    learner_user_id, organisation_id, created_at, version)
    VALUES (%s, 'ping', %s, 'handwritten_ping', 'queued', 'queued', 0, %s, 0, 0, 5, 30,
    false, %s, %s, %s, %s, 1)"""
CLAIM = """UPDATE jobs SET status = 'running', run_token = %s, attempts = attempts + 1,
    runs = runs + 1, started_at = coalesce(started_at, now()), heartbeat_at = now(),
    version = version + 1
    WHERE id = %s AND status = 'queued' RETURNING input"""
FINISH = """UPDATE jobs SET status = 'succeeded', result = %s, progress = 100, stage = 'done',
    finished_at = now(), version = version + 1
    WHERE id = %s AND run_token = %s AND status = 'running'"""


def pool() -> ConnectionPool:
    global _pool
    if _pool is None:  # opened in the process that uses it (the worker forks)
        _pool = ConnectionPool(
            os.environ["BENCH_DATABASE_URL"],
            min_size=1,
            max_size=THREADS,
            kwargs={"autocommit": True},
            open=True,
        )
    return _pool


def submit(organisation_id: str, user_id: str, done_list: str) -> str:
    """The row, committed, then the message: what the sender of a job does by hand."""
    job_id = f"job_{str(ULID()).lower()}"
    with pool().connection() as connection:
        connection.execute(
            INSERT, (job_id, QUEUE, Jsonb({}), user_id, user_id, organisation_id, datetime.now(UTC))
        )
    handwritten_ping.send(job_id, done_list)
    return job_id


@dramatiq.actor(queue_name=QUEUE, max_retries=0)
def handwritten_ping(job_id: str, done_list: str) -> None:
    token = secrets.token_urlsafe(12)
    with pool().connection() as connection:
        claimed = connection.execute(CLAIM, (token, job_id)).fetchone()
        if claimed is None:  # finished, or claimed by another delivery
            return
        connection.execute(FINISH, (Jsonb({"pong": True}), job_id, token))
    _client.rpush(done_list, f"{job_id} {time.time()}")
