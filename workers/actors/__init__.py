"""Every actor module, imported so the broker knows each actor."""

from workers.actors import lti, media, ping, speech, text, webhooks  # noqa: F401
