"""Builds and sets the Dramatiq broker (workers.engine declares actors against a placeholder
broker until then).

Actors declared with `workers.engine.job_actor` are (re)bound here, so the same actor code
runs on the Redis broker (production, tests) and on the in-memory broker (embedded mode).
"""

from __future__ import annotations

import logging
from typing import Any

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    Middleware,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

from core.settings import Settings

log = logging.getLogger(__name__)


class AppContextMiddleware(Middleware):
    """Each message runs inside the Flask app context (database session, settings)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._contexts: dict[str, Any] = {}

    def before_process_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        context = self.app.app_context()
        context.push()
        self._contexts[message.message_id] = context

    def _pop(self, message: dramatiq.Message) -> None:
        context = self._contexts.pop(message.message_id, None)
        if context is not None:
            from storage.db import db

            db.session.remove()
            context.pop()

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: dramatiq.Message,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        self._pop(message)

    def after_skip_message(self, broker: dramatiq.Broker, message: dramatiq.Message) -> None:
        self._pop(message)


def build_broker(settings: Settings, app: Any, *, with_prometheus: bool = False) -> dramatiq.Broker:
    retries = Retries(
        min_backoff=settings.job_retry_min_backoff_ms, max_backoff=settings.job_retry_max_backoff_ms
    )
    middleware: list[Middleware] = [
        AgeLimit(),
        TimeLimit(),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        retries,
    ]
    if with_prometheus:
        from dramatiq.middleware.prometheus import Prometheus

        middleware.insert(0, Prometheus())
    if settings.embedded:
        broker: dramatiq.Broker = StubBroker(middleware=middleware)
        broker.emit_after("process_boot")
    else:
        # Timeouts so that a submission answers soon when Redis is down or hung (the
        # sweeper re-sends); Dramatiq's own pool has none.
        client = redis.Redis.from_url(
            settings.redis_url, socket_connect_timeout=2, socket_timeout=10
        )
        broker = RedisBroker(
            client=client,
            middleware=middleware,
            namespace=f"{settings.queue_prefix}dramatiq",
            heartbeat_timeout=settings.broker_heartbeat_timeout_ms,
            maintenance_chance=settings.broker_maintenance_chance,
        )
    broker.add_middleware(AppContextMiddleware(app))
    return broker


def install_broker(broker: dramatiq.Broker, settings: Settings) -> None:
    """Make `broker` the global broker and bind every declared actor to it."""
    from workers import engine

    dramatiq.set_broker(broker)
    for actor in engine.all_actors():
        actor.broker = broker
        actor.queue_name = settings.queue(engine.logical_queue(actor.actor_name))
        broker.declare_actor(actor)
