"""Webhook delivery on the `webhooks` queue: one message per attempt, carrying the
delivery id only. Retries follow the webhook schedule (delayed messages sent by the attempt
itself), not Dramatiq's backoff; Dramatiq only retries a crash before the attempt ran."""

from __future__ import annotations

from workers.engine import plain_actor
from workers.webhooks import delivery


@plain_actor(
    name=delivery.ACTOR_NAME,
    queue=delivery.QUEUE,
    max_retries=3,
    min_backoff=1000,
    max_backoff=30_000,
    time_limit=5 * 60 * 1000,
)
def deliver_webhook(delivery_id: str) -> None:
    delivery.attempt(delivery_id)
