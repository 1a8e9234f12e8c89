"""Rate limits: sign-in attempts per account and address, registrations per address, job
submissions per organisation, password changes per account, password-reset requests per
email and address.

A sliding window estimated from two fixed windows (the previous window's count, weighted by
how much of it still overlaps the sliding one, plus the current window's count): smooth at
window edges, two counters per key. Counters live in Redis when configured, so every API
process shares them; in process memory in embedded mode. When Redis cannot be reached the
request goes through: a limiter must not take the platform down with it.

An answer over the limit is a 429 problem (`rate_limited`) with `Retry-After`; limited
endpoints also carry `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

import redis
from flask import Flask, Response, current_app, g, request

from core.rates import DEFAULT_RATES, PERIODS, Rate, parse_rate  # noqa: F401 (re-exported)
from storage.errors import AppError

log = logging.getLogger(__name__)


class RateLimited(AppError):
    status = 429
    code = "rate_limited"
    title = "Too many requests"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    rate: Rate
    remaining: int
    reset_seconds: int


class MemoryCounters:
    """Counters of one process (embedded mode)."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._pruned = 0.0

    def hit(self, current: str, previous: str, now: float) -> tuple[int, int]:
        with self._lock:
            if now - self._pruned > 60:
                self._prune(now)
            self._counts[current] = self._counts.get(current, 0) + 1
            return self._counts[current], self._counts.get(previous, 0)

    def undo(self, current: str) -> None:
        with self._lock:
            if self._counts.get(current, 0) > 0:
                self._counts[current] -= 1

    def _prune(self, now: float) -> None:
        # Keys end with ":<window start>:<window seconds>"; drop those two windows old.
        for key in list(self._counts):
            start, seconds = (int(part) for part in key.rsplit(":", 2)[1:])
            if start + 2 * seconds < now:
                del self._counts[key]
        self._pruned = now


# One script, one command: count this request in the current window, give the counter its
# lifetime when it has none, and read the previous window's count.
_HIT = """
local count = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {count, tonumber(redis.call('GET', KEYS[2]) or '0')}
"""


class RedisCounters:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._hit = client.register_script(_HIT)

    def hit(self, current: str, previous: str, now: float, seconds: int) -> tuple[int, int]:
        count, before = self._hit(keys=[current, previous], args=[2 * seconds])
        return int(count), int(before)

    def undo(self, current: str) -> None:
        self.client.decr(current)


class Limiter:
    def __init__(self, rates: Mapping[str, Rate], client: redis.Redis | None, prefix: str) -> None:
        self.rates = dict(rates)
        self.prefix = prefix
        self.redis = RedisCounters(client) if client is not None else None
        self.memory = MemoryCounters()

    def hit(self, name: str, identity: str, now: float | None = None) -> Decision | None:
        """Count one request of `identity` against limit `name`; None when it is off."""
        rate = self.rates[name]
        if rate.count == 0:
            return None
        now = time.time() if now is None else now
        start = int(now // rate.seconds * rate.seconds)
        base = f"{self.prefix}ratelimit:{name}:{identity}"
        current = f"{base}:{start}:{rate.seconds}"
        previous = f"{base}:{start - rate.seconds}:{rate.seconds}"
        try:
            if self.redis is not None:
                count, before = self.redis.hit(current, previous, now, rate.seconds)
            else:
                count, before = self.memory.hit(current, previous, now)
        except redis.RedisError as exc:
            log.warning(
                "rate limit %s not checked: Redis unreachable (%s)", name, type(exc).__name__
            )
            return None
        end = start + rate.seconds
        estimate = before * (end - now) / rate.seconds + count
        remaining = max(0, math.floor(rate.count - estimate))
        if estimate <= rate.count:
            return Decision(True, rate, remaining, max(1, math.ceil(end - now)))
        # A refused attempt is not counted (GitHub's and Stripe's limits count the requests
        # they serve): otherwise a client retrying at Retry-After pushes its own lockout on
        # and never gets through.
        try:
            if self.redis is not None:
                self.redis.undo(current)
            else:
                self.memory.undo(current)
        except redis.RedisError:
            pass
        return Decision(
            False, rate, 0, max(1, math.ceil(_free_at(rate, before, count - 1, end) - now))
        )

    def count_window(
        self, key: str, limit: int, seconds: int, now: float | None = None
    ) -> tuple[bool, int, float] | None:
        """Count one request in the current fixed window of `key`: (allowed, used, when the
        window ends); None when Redis cannot be reached. Exact: one atomic increment per
        request, and a refused request is taken back, so it does not count."""
        now = time.time() if now is None else now
        start = int(now // seconds * seconds)
        current = f"{self.prefix}{key}:{start}:{seconds}"
        try:
            if self.redis is not None:
                count, _ = self.redis.hit(current, current, now, seconds)
            else:
                count, _ = self.memory.hit(current, current, now)
            if count <= limit:
                return True, count, start + seconds
            if self.redis is not None:
                self.redis.undo(current)
            else:
                self.memory.undo(current)
        except redis.RedisError as exc:
            log.warning("quota %s not checked: Redis unreachable (%s)", key, type(exc).__name__)
            return None
        return False, limit, start + seconds


def _free_at(rate: Rate, before: int, served: int, end: float) -> float:
    """When one more request fits: the sliding estimate plus that request is within the
    limit. `served` counts this window's requests already let through."""
    room = rate.count - 1  # what the estimate may be, with the next request on top
    if served <= room and before:
        # Within this window, as the previous one slides out.
        return end - rate.seconds * (room - served) / before
    if served <= room:
        return end
    # In the next window, as this one slides out.
    return end + rate.seconds * max(0.0, 1 - room / served)


def check(name: str, identity: str) -> None:
    """Count this request against limit `name` for `identity`; 429 when over it."""
    limiter: Limiter = current_app.extensions["rate_limiter"]
    decision = limiter.hit(name, identity)
    if decision is None:
        return
    tightest: Decision | None = g.get("rate_limit")
    if tightest is None or decision.remaining < tightest.remaining:
        g.rate_limit = decision
    if not decision.allowed:
        raise RateLimited(
            f"Too many requests: the limit is {decision.rate.count} every "
            f"{decision.rate.seconds} s. Try again in {decision.reset_seconds} s.",
            headers={"Retry-After": str(decision.reset_seconds)},
        )


def client_address() -> str:
    """The caller's address (behind TRUSTED_PROXY_COUNT proxies, the one they saw)."""
    return request.remote_addr or "unknown"


def _rate_limit_headers(response: Response) -> Response:
    decision: Decision | None = g.get("rate_limit")
    if decision is not None:
        response.headers["RateLimit-Limit"] = str(decision.rate.count)
        response.headers["RateLimit-Remaining"] = str(decision.remaining)
        response.headers["RateLimit-Reset"] = str(decision.reset_seconds)
    return response


def init_app(
    app: Flask, rates: Mapping[str, Rate], client: redis.Redis | None, prefix: str
) -> None:
    app.extensions["rate_limiter"] = Limiter(rates, client, prefix)
    app.after_request(_rate_limit_headers)
