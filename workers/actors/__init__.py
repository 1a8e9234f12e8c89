"""Every actor module, imported so the broker knows each actor."""

from workers.actors import (  # noqa: F401
    batches,
    content,
    lti,
    mail,
    media,
    ping,
    speech,
    text,
    webhooks,
)
