"""The password policy: 8 to 256 characters, and not guessable.

Guessability is zxcvbn's estimate (Dropbox's estimator, the one Auth0's password-strength
policies and many identity products build on; NIST SP 800-63B asks for a check against
common, dictionary and breached passwords rather than composition rules). A password must
score at least MIN_SCORE ("safely unguessable", more than 10^8 guesses), with the account's
own email and name counted as known words. Only the first EVALUATED_CHARS characters are
scored: zxcvbn's matching grows fast with length, and a long password whose first 72
characters are strong is strong.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from zxcvbn import zxcvbn

from storage.errors import Unprocessable

MIN_LENGTH = 8
MAX_LENGTH = 256
MIN_SCORE = 3
EVALUATED_CHARS = 72


def check_password(password: str, user_inputs: Iterable[str] = ()) -> None:
    """Raise 422 `weak_password` (with zxcvbn's advice) unless the password is acceptable."""
    if len(password) < MIN_LENGTH:
        _refuse(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        _refuse(f"Use at most {MAX_LENGTH} characters.")
    words = _known_words(user_inputs)
    result = zxcvbn(password[:EVALUATED_CHARS], user_inputs=words, max_length=EVALUATED_CHARS)
    if result["score"] < MIN_SCORE:
        feedback = result.get("feedback") or {}
        advice = " ".join(
            filter(None, [feedback.get("warning"), *(feedback.get("suggestions") or [])])
        )
        _refuse("This password is too easy to guess." + (f" {advice}" if advice else ""))


def _known_words(user_inputs: Iterable[str]) -> list[str]:
    """The account's own values as zxcvbn's known words: each value whole (a password that
    is the email itself is a dictionary word, as Auth0's "no personal info" rule has it) and
    each of its parts (the email's local part, the words of a name)."""
    words: list[str] = []
    for value in user_inputs:
        if not value:
            continue
        value = value.lower()
        words.append(value)
        words.extend(part for part in re.split(r"[^\w]+", value) if len(part) > 2)
    return words


def _refuse(message: str) -> None:
    raise Unprocessable(message, code="weak_password", details={"errors": {"password": [message]}})
