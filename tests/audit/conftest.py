"""The audit tests reuse the teachers' school and upload fixtures to reach a reviewed result."""

from tests.teachers.conftest import school, upload  # noqa: F401
