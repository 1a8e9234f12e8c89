"""Every actor module, imported so the broker knows each actor."""

from workers.actors import batches, lti, mail, media, ping, speech, text, webhooks  # noqa: F401
