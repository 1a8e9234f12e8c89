"""The learning records' blueprint and the clock its views read."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_smorest import Blueprint

from storage.db import utcnow

blp = Blueprint(
    "learning",
    __name__,
    url_prefix="/api/v1",
    description="Learning records: profiles, vocabulary, study sessions and "
    "reviews, spaced repetition, progress and streaks.",
)


def now() -> datetime:
    """The current time; `app.extensions["clock"]` replaces it (tests move the clock)."""
    return current_app.extensions.get("clock", utcnow)()
