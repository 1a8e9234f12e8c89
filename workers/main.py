"""Worker entry point: `dramatiq workers.main --queues transcription scoring`.

Importing this module builds the app from the environment, which sets the Redis broker
and declares every actor before Dramatiq looks for them.
"""

from __future__ import annotations

import os

from api import create_app
from workers import runtime

app = create_app(start_services=False)
if os.environ.get("WORKER_PROMETHEUS", "").lower() in ("1", "true", "yes"):
    runtime.init_app(app, app.extensions["settings"], with_prometheus=True)
broker = runtime.get().broker
