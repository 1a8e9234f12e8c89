"""Baseline of the job overhead benchmark: a bare Dramatiq actor on the same Redis.

`dramatiq bench.bare_actor` runs it; the benchmark sends to it. The actor only records when it
ran, in a Redis list named by the sender, which is how the sender learns it finished.
"""

from __future__ import annotations

import os
import time

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker

REDIS_URL = os.environ["BENCH_REDIS_URL"]
QUEUE = "bench-bare"

broker = RedisBroker(url=REDIS_URL, namespace="bench-bare")
dramatiq.set_broker(broker)
_client = redis.Redis.from_url(REDIS_URL)


@dramatiq.actor(queue_name=QUEUE, max_retries=0)
def bare_ping(done_list: str, index: int) -> None:
    _client.rpush(done_list, f"{index} {time.time()}")
