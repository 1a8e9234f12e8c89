"""The API tests call the app as production does: one app context per request."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient


class IsolatedClient(FlaskClient):
    """Runs each request on a thread of its own, so it gets a fresh app context and database
    session that are torn down afterwards, as in production. The shared `client` reuses the
    test's app context and session, where a view that forgets to commit still looks right."""

    executor: ThreadPoolExecutor

    def open(self, *args: Any, **kwargs: Any) -> Any:
        return self.executor.submit(super().open, *args, **kwargs).result()


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="request") as executor:
        isolated = IsolatedClient(app, app.response_class, use_cookies=True)
        isolated.executor = executor
        yield isolated
