"""Learning records under /api/v1: the views live in one module per resource, all on `blp`."""

from __future__ import annotations

from api.learning import profile_views, study_views, word_views  # noqa: F401  (routes)
from api.learning.blueprint import blp

__all__ = ["blp"]
