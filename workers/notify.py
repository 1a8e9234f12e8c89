"""Wakes long-polling requests when a job changes: Redis pub/sub across processes, or a
condition variable inside one process (embedded mode)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict

import redis


class LocalNotifier:
    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._versions: dict[str, int] = defaultdict(int)

    def publish(self, job_id: str) -> None:
        with self._condition:
            self._versions[job_id] += 1
            self._condition.notify_all()

    def subscribe(self, job_id: str) -> _LocalSubscription:
        with self._condition:
            return _LocalSubscription(self, job_id, self._versions[job_id])


class _LocalSubscription:
    def __init__(self, notifier: LocalNotifier, job_id: str, seen: int) -> None:
        self.notifier, self.job_id, self.seen = notifier, job_id, seen

    def wait(self, timeout: float) -> bool:
        """True when the job changed since the last wait, False on timeout."""
        condition = self.notifier._condition
        with condition:
            changed = condition.wait_for(
                lambda: self.notifier._versions[self.job_id] != self.seen, timeout=timeout
            )
            self.seen = self.notifier._versions[self.job_id]
            if self.seen == 0:
                self.notifier._versions.pop(self.job_id, None)
            return changed

    def close(self) -> None:
        return None


class RedisNotifier:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client, self.prefix = client, prefix

    def channel(self, job_id: str) -> str:
        return f"{self.prefix}job-events:{job_id}"

    def publish(self, job_id: str) -> None:
        self.client.publish(self.channel(job_id), "changed")

    def subscribe(self, job_id: str) -> _RedisSubscription:
        pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        try:
            pubsub.subscribe(self.channel(job_id))
        except redis.RedisError:  # Redis down: the long poll degrades to re-reading the row
            pubsub.close()
            return _RedisSubscription(None)
        return _RedisSubscription(pubsub)


class _RedisSubscription:
    def __init__(self, pubsub: redis.client.PubSub | None) -> None:
        self.pubsub = pubsub

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            if self.pubsub is None:
                time.sleep(left)
                return False
            try:
                message = self.pubsub.get_message(timeout=min(left, 1.0))
            except redis.RedisError:
                self.close()
                self.pubsub = None
                continue
            if message is not None:
                return True
        return False

    def close(self) -> None:
        if self.pubsub is not None:
            self.pubsub.close()
