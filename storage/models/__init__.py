"""Every model module, imported so the metadata is complete for Alembic and the tests."""

from storage.models import (
    audit,  # noqa: F401
    batches,  # noqa: F401
    classes,  # noqa: F401
    content,  # noqa: F401
    conversations,  # noqa: F401
    hints,  # noqa: F401
    identity,  # noqa: F401
    jobs,  # noqa: F401
    learning,  # noqa: F401
    lms,  # noqa: F401
    lti,  # noqa: F401
    mail,  # noqa: F401
    media,  # noqa: F401
    oidc,  # noqa: F401
    plans,  # noqa: F401
    speech,  # noqa: F401
    usage,  # noqa: F401
    webhooks,  # noqa: F401
)
