"""Writing / sentence assessment: offline checks and CEFR scoring, refined by an LLM if set."""

from pipelines.writing.checks import available_checks
from pipelines.writing.engine import (
    DEFAULT_MAX_CHARS,
    WritingAssessment,
    anchor_llm_errors,
    apply_corrections,
    assess_writing,
)
from pipelines.writing.spans import TextError

__all__ = [
    "DEFAULT_MAX_CHARS",
    "TextError",
    "WritingAssessment",
    "anchor_llm_errors",
    "apply_corrections",
    "assess_writing",
    "available_checks",
]
