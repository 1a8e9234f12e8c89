"""Learning events for partner systems (`streak.reset`), written in the same transaction as
the change that causes them.

EXTENSION POINT: the webhooks area owns event rows and their delivery. When its module is
installed (`storage.webhooks.events.record_event`), learning events go through it and reach
every subscribed endpoint; without it they are only logged. `set_event_sink` puts another
function in its place (tests use it to watch events).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

# sink(session, organisation_id, event_type, data, *, user_id=..., occurred_at=...)
EventSink = Callable[..., Any]
WEBHOOKS_MODULE = "storage.webhooks.events"

_sink: EventSink | None = None


def set_event_sink(sink: EventSink | None) -> None:
    """Send learning events to `sink` (None: back to the webhooks area's function)."""
    global _sink
    _sink = sink


def _webhooks_sink() -> EventSink | None:
    try:
        module = importlib.import_module(WEBHOOKS_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name not in ("storage.webhooks", WEBHOOKS_MODULE):
            raise  # the module exists but is broken: say so
        return None
    return getattr(module, "record_event", None)


def record_event(
    session: Session,
    organisation_id: str,
    event_type: str,
    data: dict[str, Any],
    *,
    user_id: str | None = None,
    occurred_at: datetime | None = None,
) -> None:
    sink = _sink or _webhooks_sink()
    if sink is None:
        log.info(
            "learning event %s (no webhook event store installed)",
            event_type,
            extra={"organisation_id": organisation_id, "event_type": event_type},
        )
        return
    sink(session, organisation_id, event_type, data, user_id=user_id, occurred_at=occurred_at)
