"""Worker entry point: `dramatiq workers.main --queues transcription scoring`.

Importing this module builds the app from the environment, which sets the Redis broker
and declares every actor before Dramatiq looks for them.
"""

from __future__ import annotations

import logging

from api import create_app
from workers import runtime

# Dramatiq's CLI has given the root logger a plain-text handler of its own; the platform's
# (JSON, redacting) handler replaces it, or every line would be written twice.
logging.getLogger().handlers.clear()
app = create_app(start_services=False)
if app.extensions["settings"].worker_prometheus:
    runtime.init_app(app, app.extensions["settings"], with_prometheus=True)
broker = runtime.get().broker
