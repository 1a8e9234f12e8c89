"""A poison payload (an event whose data holds a lone surrogate, stored before the edge
refused such text) is still delivered once, not retried forever."""

from __future__ import annotations

import json

from sqlalchemy import select

from storage.db import db
from storage.models.webhooks import WebhookDelivery
from storage.webhooks import events
from tests.factories import Accounts
from tests.webhooks.webhook_support import Receiver, WebhookApi
from workers.webhooks import delivery
from workers.webhooks.render import dumps


def test_rendered_bodies_are_always_encodable():
    body = dumps({"text": "Hello \ud800 and \U0001f600"})
    assert body.encode("utf-8")
    assert json.loads(body)["text"] == "Hello \ufffd and \U0001f600"


def test_an_event_holding_a_lone_surrogate_is_delivered_once(sqlite_app):
    # Given an endpoint of an organisation on the embedded database, and an event whose data
    # holds a lone surrogate (SQLite keeps it in its JSON text as an escape)
    receiver = Receiver()
    receiver.start()
    try:
        client = sqlite_app.test_client()
        admin = Accounts(client).admin()
        WebhookApi(client).create(admin, receiver.url())
        with sqlite_app.app_context():
            _, made = events.record_event(
                db.session, admin.organisation_id, "webhook.test", {"text": "Hello \ud800"}
            )
            delivery_id = made[0].id
            db.session.info.pop("after_commit", None)  # the test makes the attempt itself
            db.session.commit()
            # When the worker makes its attempt
            delivery.attempt(delivery_id)
            db.session.remove()
            state = db.session.scalar(
                select(WebhookDelivery.state).where(WebhookDelivery.id == delivery_id)
            )
        # Then the body was stored and sent, and the delivery is finished
        assert state == "succeeded"
        (received,) = receiver.wait_for(1)
        assert "\ufffd" in received.body.decode("utf-8")
    finally:
        receiver.stop()
