"""Every actor module, imported so the broker knows each actor."""

from workers.actors import ping  # noqa: F401
