"""Fixtures of the webhook tests: a receiver on loopback and the webhook API helper."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.webhooks.webhook_support import Receiver, WebhookApi


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def hooks(client) -> WebhookApi:
    return WebhookApi(client)
