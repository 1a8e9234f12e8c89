"""Webhook endpoints, events and deliveries as services: they take the session, change rows
and never commit. Other areas announce events with `events.record_event`."""
