"""Fixtures of the LMS tests."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.learning.conftest import Vocabulary


@pytest.fixture
def vocab(client: FlaskClient) -> Vocabulary:
    return Vocabulary(client)
