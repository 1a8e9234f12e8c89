"""Every actor module, imported so the broker knows each actor."""

from workers.actors import media  # noqa: F401
from workers.actors import ping  # noqa: F401
from workers.actors import speech  # noqa: F401
from workers.actors import text  # noqa: F401
from workers.actors import webhooks  # noqa: F401
