"""Every actor module, imported so the broker knows each actor."""

from workers.actors import (  # noqa: F401
    batches,
    content,
    conversations,
    erasure,
    learner_export,
    lti,
    mail,
    media,
    ping,
    speech,
    synthesis,
    text,
    webhooks,
)
