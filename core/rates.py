"""Named request rates: what each rate limit counts and its default (RATE_LIMITS overrides
them; a count of 0 turns one off). Read by the settings and enforced by api.ratelimit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    def __str__(self) -> str:
        return f"{self.count} per {self.seconds} s"


# What each limit counts, and its default (RATE_LIMITS overrides; a count of 0 turns one off).
DEFAULT_RATES: Mapping[str, Rate] = {
    "login": Rate(10, 60),  # per email and client address
    "login_address": Rate(100, 60),  # per client address, whatever the email
    "register": Rate(60, 3600),  # per client address (a class may share one address)
    "submit": Rate(600, 60),  # job-creating POSTs per organisation
    "realtime": Rate(20, 3600),  # realtime voice-session tokens per learner
    # Password changes per account: each checks the current password with argon2 (64 MiB),
    # and a stolen access token must not become an offline-speed guess of the password.
    "password": Rate(5, 300),
    # Password-reset requests: each may send a mail, so per email (a mailbox is not flooded)
    # and per client address (one caller does not probe or spam many addresses).
    "password_reset": Rate(5, 3600),
    "password_reset_address": Rate(30, 3600),
    # Reset confirmations per client address: tokens are unguessable, but each try costs a
    # lookup and a valid one an argon2 hash.
    "password_reset_confirm": Rate(30, 3600),
}


def parse_rate(text: str) -> Rate:
    """`10/minute`, `600/60` (seconds), `0/minute` (off). Raises ValueError."""
    count, slash, period = text.strip().partition("/")
    if not slash:
        raise ValueError(f"{text!r} is not count/period")
    seconds = PERIODS.get(period.strip()) or int(period)
    if int(count) < 0 or seconds < 1:
        raise ValueError(f"{text!r} has a negative count or an empty period")
    return Rate(int(count), seconds)
