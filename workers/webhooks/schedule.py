"""When to try a delivery again, and what an attempt's outcome means.

The schedule lists the delay before each attempt: the first entry is the delay before the
first attempt (normally 0), so a schedule of eight entries allows eight attempts. Delays get
a proportional jitter so a receiver coming back from an outage is not hit by every sender
in the same second. On 429 and 503 a `Retry-After` header pushes the next attempt later
(never earlier) up to a cap.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum

DEFAULT_SCHEDULE: tuple[float, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
RETRY_AFTER_STATUSES = frozenset({429, 503})
DISABLE_STATUSES = frozenset({410})
# Errors no later attempt can fix: the destination itself is unusable as written.
PERMANENT_ERRORS = frozenset({"invalid_url"})


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    RETRY = "retry"
    EXHAUSTED = "exhausted"
    DISABLE = "disable"
    FAILED = "failed"


@dataclass(frozen=True)
class Decision:
    """What to do after an attempt. `delay` is set only when outcome is RETRY."""

    outcome: Outcome
    delay: float | None = None
    reason: str = ""


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or an HTTP date), or None
    when absent or unreadable. A date in the past means no wait."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        # RFC 9110 dates are always GMT; a date without a zone is read as such.
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def is_success(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


@dataclass(frozen=True)
class RetryPolicy:
    schedule: tuple[float, ...] = DEFAULT_SCHEDULE
    # Each delay is multiplied by a random factor in [1 - jitter, 1 + jitter].
    jitter: float = 0.1
    # The longest a Retry-After header may push the next attempt.
    retry_after_cap: float = 36000.0

    def __post_init__(self) -> None:
        if not self.schedule:
            raise ValueError("a retry schedule needs at least one delay")
        if any(delay < 0 for delay in self.schedule):
            raise ValueError("retry delays cannot be negative")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter is a fraction in [0, 1)")

    @property
    def max_attempts(self) -> int:
        return len(self.schedule)

    def first_delay(self, rng: random.Random | None = None) -> float:
        return self._jittered(self.schedule[0], rng)

    def _jittered(self, delay: float, rng: random.Random | None) -> float:
        if delay <= 0 or self.jitter == 0:
            return max(0.0, delay)
        factor = (rng or random).uniform(1 - self.jitter, 1 + self.jitter)
        return delay * factor

    def next_delay(
        self,
        attempt: int,
        retry_after: float | None = None,
        rng: random.Random | None = None,
    ) -> float | None:
        """The delay before the attempt after `attempt` (1-based) failed, or None when the
        schedule is exhausted."""
        if attempt < 1:
            raise ValueError("attempts are counted from 1")
        if attempt >= self.max_attempts:
            return None
        delay = self._jittered(self.schedule[attempt], rng)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.retry_after_cap))
        return delay

    def decide(
        self,
        attempt: int,
        status: int | None,
        headers: dict[str, str] | None = None,
        *,
        error: str | None = None,
        now: datetime | None = None,
        rng: random.Random | None = None,
    ) -> Decision:
        """Classify attempt number `attempt`: 2xx succeeds, 410 disables the endpoint, an
        unusable URL fails at once, anything else (3xx, 4xx, 5xx, network errors) is retried
        until the schedule ends."""
        if is_success(status) and error is None:
            return Decision(Outcome.SUCCEEDED, reason=f"HTTP {status}")
        if status in DISABLE_STATUSES:
            return Decision(Outcome.DISABLE, reason=f"HTTP {status}: the receiver is gone")
        if error in PERMANENT_ERRORS:
            return Decision(Outcome.FAILED, reason=error)
        reason = error or f"HTTP {status}"
        retry_after = None
        if status in RETRY_AFTER_STATUSES:
            lowered = {key.lower(): value for key, value in (headers or {}).items()}
            retry_after = parse_retry_after(lowered.get("retry-after"), now)
        delay = self.next_delay(attempt, retry_after, rng)
        if delay is None:
            return Decision(Outcome.EXHAUSTED, reason=f"{reason}; no attempts left")
        return Decision(Outcome.RETRY, delay=delay, reason=reason)
