"""Fixtures of the LMS tests."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.learning.conftest import Vocabulary


@pytest.fixture
def vocab(client: FlaskClient) -> Vocabulary:
    return Vocabulary(client)


@pytest.fixture
def catalogue(app) -> int:
    """The speaking catalogue, loaded again after the per-test truncation."""
    from storage.db import db
    from storage.speech.catalogue import sync_catalogue

    changed = sync_catalogue(db.session)
    db.session.commit()
    return changed
