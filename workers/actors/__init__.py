"""Every actor module, imported so the broker knows each actor."""

from workers.actors import batches, lti, media, ping, speech, text, webhooks  # noqa: F401
