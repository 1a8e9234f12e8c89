"""Learning records under /api/v1: the views live in one module per resource, all on `blp`."""

from __future__ import annotations

import workers.learning  # noqa: F401  (the hourly streak reset in the scheduler's job list)
from api.learning import profile_views, study_views, word_views  # noqa: F401  (routes)
from api.learning.blueprint import blp
from storage.learning import progress  # noqa: F401  (the job engine's terminal hook)

__all__ = ["blp"]
