"""Scheduled work of the learning records: the hourly streak reset."""

from __future__ import annotations

import logging
from datetime import datetime

from storage.db import db, utcnow
from storage.learning.progress import reset_broken_streaks
from workers.locks import exclusive

log = logging.getLogger(__name__)

STREAK_RESET_JOB_ID = "learning.reset_streaks"
STREAK_RESET_LOCK = "learning.reset_streaks"


def reset_streaks(now: datetime | None = None, *, batch_size: int = 500) -> int | None:
    """Set current_streak to 0 for learners who missed yesterday in their own timezone.

    Returns how many streaks were reset, or None when another scheduler replica holds the
    lock (it is doing the same work). Each batch commits on its own, so a crash loses at
    most one batch, and a rerun finds nothing left to do.
    """
    with exclusive(STREAK_RESET_LOCK, ttl_seconds=900) as held:
        if not held:
            log.info("streak reset skipped: another scheduler holds the lock")
            return None
        now = now or utcnow()
        total, cursor = 0, None
        while True:
            try:
                reset, cursor = reset_broken_streaks(
                    db.session, now, after=cursor, limit=batch_size
                )
                db.session.commit()
            except Exception:
                db.session.rollback()
                raise
            total += len(reset)
            if cursor is None:
                break
        log.info("streak reset: %d streaks reset", total)
        return total
